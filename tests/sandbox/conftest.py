"""Sandbox tests: one `api` fixture that runs each test in process and over uvicorn."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from console import money


@pytest.fixture(autouse=True)
def no_sandbox_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No PAYMENTS_SANDBOX_* variable (extra key, faults) leaks in from the environment."""
    for name in list(os.environ):
        if name.startswith("PAYMENTS_SANDBOX_"):
            monkeypatch.delenv(name)
    return


def body(**fields: Any) -> str:
    """Exact JSON: strings of digits given for amount become JSON numbers, never floats."""
    return money.dumps(
        {
            name: Decimal(value) if name == "amount" and isinstance(value, str) else value
            for name, value in fields.items()
        }
    )


@dataclass
class Api:
    """An httpx client on a sandbox (base URL ends in /v1/) with the test key set."""

    client: httpx.AsyncClient
    app: FastAPI
    key: str

    async def pay(
        self,
        amount: str = "10.00",
        currency: str = "USD",
        source: str = "tok_visa",
        headers: dict[str, str] | None = None,
        **more: Any,
    ) -> httpx.Response:
        payload = body(amount=amount, currency=currency, source=source, **more)
        return await self.client.post("payments", content=payload, headers=headers)

    async def refund(
        self, payment_id: str, amount: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        fields: dict[str, Any] = {"payment_id": payment_id}
        if amount is not None:
            fields["amount"] = amount
        return await self.client.post("refunds", content=body(**fields), headers=headers)

    async def paid(self, amount: str = "10.00", currency: str = "USD") -> str:
        """The id of a new succeeded payment."""
        answer = await self.pay(amount, currency)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def count(self, table: str) -> int:
        """Rows in a table of the sandbox database, read over a separate connection."""
        with sqlite3.connect(self.app.state.store.path) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def client_for(app: FastAPI, base_url: str | None = None) -> httpx.AsyncClient:
    """In process when no base_url is given, else over the network."""
    headers = {"Authorization": f"Bearer {app.state.api_key}"}
    if base_url is None:
        transport = httpx.ASGITransport(app)
        return httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1/v1/", headers=headers
        )
    return httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", headers=headers, timeout=30)


@pytest.fixture(params=["asgi", "uvicorn"])
async def api(request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    """The sandbox_app fixture in process, or the sandbox_server fixture over loopback."""
    if request.param == "asgi":
        app: FastAPI = request.getfixturevalue("sandbox_app")
        client = client_for(app)
    else:
        server = request.getfixturevalue("sandbox_server")
        app = server.app
        client = client_for(app, server.base_url)
    async with client:
        yield Api(client, app, app.state.api_key)


def error_of(answer: httpx.Response) -> dict[str, Any]:
    """The error body, after checking its shape and that it names the Request-Id."""
    data: dict[str, Any] = answer.json()
    assert {"error", "code", "param", "request_id"} <= data.keys()
    assert data["request_id"] == answer.headers["request-id"]
    return data


class Client:
    """A synchronous face on an in-process client, for Hypothesis' synchronous tests."""

    def __init__(self, app: FastAPI) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = client_for(app)

    def post(self, path: str, content: str) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(path, content=content))

    def get(self, path: str) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(path))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
