"""A scripted HTTP/1.1 server on raw asyncio TCP, for answers no real API would give.

Each test gives a handler `async (request, writer) -> None` that writes whatever bytes it
likes (garbage, a cut-off body, a trickle that never ends); the server records every
request it read. Keep-alive is honoured: after a handler returns without closing, the
next request on the same connection is read and handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int
    """Sequence number of the TCP connection it came on (0-based)."""

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[RawRequest, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawServer:
    handler: Handler
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[RawRequest] = field(default_factory=list)
    connections: int = 0
    server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self._writers.add(writer)
        number = self.connections
        self.connections += 1
        try:
            while not writer.is_closing():
                request = await _read_request(reader, number)
                if request is None:
                    break
                self.requests.append(request)
                await self.handler(request, writer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a cancelled handler (stop()) ends quietly, as a closed one does
        finally:
            writer.close()
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening (new connections are refused) and end every open connection."""
        if self.server is not None:
            self.server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


async def _read_request(reader: asyncio.StreamReader, connection: int) -> RawRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return RawRequest(method, path, headers, body, connection)


@contextlib.asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[RawServer]:
    server = RawServer(handler)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def response(
    status: int,
    body: bytes | str | dict[str, Any] = b"",
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> bytes:
    """The bytes of a complete HTTP/1.1 response."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    lines = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def reply(*answers: bytes) -> Handler:
    """A handler giving the answers in turn, the last one for every later request."""
    queue = list(answers)

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(queue.pop(0) if len(queue) > 1 else queue[0])

    return handler


PAYMENT = {
    "id": "pay_1",
    "amount": 100.00,
    "currency": "USD",
    "status": "succeeded",
    "created_at": "2024-06-10T12:00:00Z",
}
