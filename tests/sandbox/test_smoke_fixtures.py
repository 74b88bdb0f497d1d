"""The shared fixtures give a working sandbox, in process and over a real socket."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from console.sandbox.server import SandboxServer


async def test_sandbox_app_fixture_answers_in_process(sandbox_app: FastAPI) -> None:
    headers = {"Authorization": f"Bearer {sandbox_app.state.api_key}"}
    transport = httpx.ASGITransport(sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        created = await client.post(
            "/v1/payments",
            content=b'{"amount": 12.5, "currency": "USD", "source": "tok_visa"}',
            headers=headers,
        )
        assert created.status_code == 201
        assert '"amount":12.50' in created.text


def test_sandbox_server_fixture_serves_on_loopback(sandbox_server: SandboxServer) -> None:
    assert sandbox_server.base_url.startswith("http://127.0.0.1:")
    answer = httpx.get(
        f"{sandbox_server.base_url}/payments/pay_missing",
        headers={"Authorization": f"Bearer {sandbox_server.api_key}"},
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "resource_missing"
