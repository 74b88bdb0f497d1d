"""SandboxApp: FastAPI plus what every answer needs: a Request-Id header, HEAD answered
without a body, and a connection dropped on purpose (`--drop-after-commit`)."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from console.sandbox import openapi
from console.sandbox.responses import DROP, REQUEST_ID
from console.sandbox.store import IdFactory


class SandboxApp(FastAPI):
    """FastAPI plus the wrapping every answer needs: Request-Id and dropped connections."""

    new_id: IdFactory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        scope[REQUEST_ID] = self.new_id("req")

        head = scope["method"] == "HEAD"

        async def send_with_request_id(message: Message) -> None:
            if scope.get(DROP):
                return
            if message["type"] == "http.response.start":
                request_id = (b"request-id", scope[REQUEST_ID].encode())
                message["headers"] = [*message.get("headers", ()), request_id]
            elif head and message["type"] == "http.response.body":
                # The GET's status and headers (Content-Length included), no body; uvicorn
                # drops it too, but an in-process client would read it.
                message = {**message, "body": b""}
            await send(message)

        await super().__call__(scope, receive, send_with_request_id)
        if scope.get(DROP):
            await _drop_connection(send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            openapi.finish(super().openapi())
        assert self.openapi_schema is not None
        return self.openapi_schema


async def _drop_connection(send: Send) -> None:
    """Close the client's connection without an answer, as a crash after commit would.

    Under uvicorn, whose `send` is bound to the request cycle that owns the transport,
    the transport is closed: the client sees the server disconnect before any status
    line. In process (httpx.ASGITransport) there is no socket, so the equivalent httpx
    error is raised to the caller instead.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        close()
        # Let the server notice the lost connection, so it does not answer a 500 instead.
        for _ in range(3):
            await anyio.sleep(0)
        return
    import httpx

    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
