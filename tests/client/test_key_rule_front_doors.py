"""The three front doors (the CLI's --idempotency-key, the client, the sandbox) refuse the
same bad Idempotency-Keys by the same rule, with the same message, and accept the same
good ones (console.wire.idempotency)."""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from console.api import PaymentCreate, PaymentsClient
from console.cli import main
from console.config import Profile, Settings, save_settings
from console.wire.idempotency import KEY_RULE, MAX_KEY_LENGTH
from tests.unit.test_wire_rules import BAD_KEYS, GOOD_KEYS

SENDABLE_BAD_KEYS = [key for key in BAD_KEYS if key == key.strip() and key.isprintable()]
"""Bad keys an HTTP header can carry as they are (no control characters, no spaces that a
header value would lose at either end)."""

PAYMENT = PaymentCreate(amount=Decimal("1.00"), currency="USD", source="tok_visa")


def _payments(app: FastAPI) -> int:
    with sqlite3.connect(app.state.store.path) as conn:
        return int(conn.execute("SELECT count(*) FROM payments").fetchone()[0])


def test_some_bad_keys_go_over_http() -> None:
    assert {"", "has space", "café", "k" * (MAX_KEY_LENGTH + 1)} <= set(SENDABLE_BAD_KEYS)


# --- the CLI ----------------------------------------------------------------------------


@pytest.fixture
def cli_profile(monkeypatch: pytest.MonkeyPatch, isolated_dirs: object) -> None:
    """A profile, its key in PAYMENTS_API_KEY (no keyring); nothing is ever sent (the
    port is closed)."""
    profile = Profile(name="local", base_url="http://127.0.0.1:9/v1", mode="sandbox")
    save_settings(Settings().with_profile(profile))
    monkeypatch.setenv("PAYMENTS_API_KEY", "sk_test_frontdoor0000")


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.usefixtures("cli_profile")
def test_the_cli_refuses_a_bad_key(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["pay", "--amount", "1", "--source", "tok_visa", "--idempotency-key", key])
    assert code == 2
    assert f"--idempotency-key: {KEY_RULE}" in capsys.readouterr().err


# --- the client -------------------------------------------------------------------------


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_the_client_refuses_a_bad_key_before_sending(key: str) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    transport = httpx.MockTransport(handler)
    async with PaymentsClient("http://127.0.0.1/v1", "sk_test_k", transport=transport) as client:
        with pytest.raises(ValueError, match=f"^{re.escape(KEY_RULE)}$"):
            await client.create_payment(PAYMENT, idempotency_key=key)
    assert sent == []


# --- the sandbox ------------------------------------------------------------------------


@pytest.mark.parametrize("key", SENDABLE_BAD_KEYS)
async def test_the_sandbox_refuses_a_bad_key(sandbox_app: FastAPI, key: str) -> None:
    headers = {
        "Authorization": f"Bearer {sandbox_app.state.api_key}",
        "Idempotency-Key": key.encode("utf-8"),
    }
    transport = httpx.ASGITransport(sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1/v1/") as http:
        answer = await http.post(
            "payments",
            content=b'{"amount": 1.00, "currency": "USD", "source": "tok_visa"}',
            headers=headers,
        )
    assert answer.status_code == 400
    error = answer.json()
    assert (error["code"], error["param"], error["error"]) == (
        "parameter_invalid",
        "Idempotency-Key",
        KEY_RULE,
    )
    assert _payments(sandbox_app) == 0


# --- the same good keys pass every door -------------------------------------------------


@pytest.mark.parametrize("key", GOOD_KEYS)
async def test_good_keys_pass_the_client_and_the_sandbox(sandbox_app: FastAPI, key: str) -> None:
    transport = httpx.ASGITransport(sandbox_app)
    async with PaymentsClient(
        "http://127.0.0.1/v1", sandbox_app.state.api_key, transport=transport
    ) as client:
        first = await client.create_payment(PAYMENT, idempotency_key=key)
        again = await client.create_payment(PAYMENT, idempotency_key=key)
    assert again.id == first.id
    assert _payments(sandbox_app) == 1
