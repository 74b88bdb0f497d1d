"""The client against the real sandbox: over loopback HTTP, in process, and under faults."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from console.api import (
    APIConnectionError,
    AuthenticationError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    NotFoundError,
    PaymentCreate,
    PaymentsClient,
    RateLimitError,
    RefundCreate,
)
from console.sandbox.faults import Faults
from console.sandbox.server import SandboxServer


def faulty_server(tmp_path: Path, faults: Faults) -> SandboxServer:
    return SandboxServer(tmp_path / "faulty.db", faults=faults)


def payment_rows(db_path: str | Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT id, description FROM payments").fetchall()


@pytest.mark.parametrize(
    ("amount", "currency", "wire"),
    [("100.00", "USD", "100.00"), ("5000", "JPY", "5000"), ("1.25", "KWD", "1.250")],
)
async def test_payment_and_refund_round_trip(
    sandbox_server: SandboxServer, amount: str, currency: str, wire: str
) -> None:
    async with PaymentsClient(sandbox_server.base_url, sandbox_server.api_key) as api:
        created = await api.create_payment(
            PaymentCreate(amount=Decimal(amount), currency=currency, source="tok_visa")
        )
        assert (created.status, created.currency, str(created.amount)) == (
            "succeeded",
            currency,
            wire,
        )
        fetched = await api.get_payment(created.id)
        assert fetched.id == created.id and fetched.amount == Decimal(amount)
        refund = await api.create_refund(RefundCreate(payment_id=created.id))
        assert refund.amount == Decimal(amount) and refund.payment_id == created.id
        assert (await api.get_refund(refund.id)) == refund
        assert (await api.get_payment(created.id)).refunded is True


async def test_in_process_through_asgi_transport(sandbox_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=sandbox_app)
    key = sandbox_app.state.api_key
    async with PaymentsClient("http://127.0.0.1/v1", key, transport=transport) as api:
        created = await api.create_payment(
            PaymentCreate(amount=Decimal("19.99"), currency="USD", source="tok_mastercard")
        )
        assert (await api.get_payment(created.id)).amount == Decimal("19.99")


async def test_sandbox_errors_map_to_exceptions(sandbox_server: SandboxServer) -> None:
    async with PaymentsClient(sandbox_server.base_url, sandbox_server.api_key) as api:
        with pytest.raises(CardError) as declined:
            await api.create_payment(
                PaymentCreate(
                    amount=Decimal("5.00"), currency="USD", source="tok_chargeDeclinedExpiredCard"
                )
            )
        assert declined.value.decline_code == "expired_card"
        assert declined.value.code == "card_declined"
        assert declined.value.payment_id is not None
        assert (await api.get_payment(declined.value.payment_id)).status == "failed"
        assert declined.value.request_id and declined.value.request_id.startswith("req")

        with pytest.raises(InvalidRequestError, match="Invalid payment source"):
            await api.create_payment(
                PaymentCreate(amount=Decimal("5.00"), currency="USD", source="tok_nope")
            )
        with pytest.raises(NotFoundError, match="Payment not found") as missing:
            await api.get_payment("pay_missing")
        assert missing.value.http_status == 404
        with pytest.raises(NotFoundError) as no_payment:
            await api.create_refund(RefundCreate(payment_id="pay_missing"))
        assert no_payment.value.param == "payment_id"

    wrong_key = "sk_test_wrong_key_000000000000"
    async with PaymentsClient(sandbox_server.base_url, wrong_key) as api:
        with pytest.raises(AuthenticationError) as refused:
            await api.get_payment("pay_1")
    assert refused.value.code == "invalid_api_key"
    assert wrong_key not in str(refused.value)


async def test_idempotency_key_replays_and_mismatches(sandbox_server: SandboxServer) -> None:
    request = PaymentCreate(amount=Decimal("7.00"), currency="USD", source="tok_visa")
    async with PaymentsClient(sandbox_server.base_url, sandbox_server.api_key) as api:
        first = await api.create_payment(request, idempotency_key="order-1")
        again = await api.create_payment(request, idempotency_key="order-1")
        with pytest.raises(IdempotencyError) as mismatch:
            await api.create_payment(
                request.model_copy(update={"amount": Decimal("8.00")}), idempotency_key="order-1"
            )
    assert first == again
    assert mismatch.value.code == "idempotency_error" and mismatch.value.http_status == 400
    assert len(payment_rows(sandbox_server.db_path)) == 1


@pytest.fixture
def chaos(tmp_path: Path) -> Iterator[SandboxServer]:
    with faulty_server(tmp_path, Faults(drop_after_commit=0.3, fail_rate=0.2, seed=7)) as server:
        yield server


async def test_300_payments_under_faults_are_each_created_exactly_once(
    chaos: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Dropped answers after commit and injected 500s: retries with one key never double."""
    caplog.set_level(logging.INFO, logger="console.api.client")
    outcomes: dict[str, str | APIConnectionError] = {}
    gate = asyncio.Semaphore(16)

    async def pay(api: PaymentsClient, number: int) -> None:
        order = f"order-{number:03d}"
        request = PaymentCreate(
            amount=Decimal("1.00") + number, currency="USD", source="tok_visa", description=order
        )
        async with gate:
            try:
                outcomes[order] = (await api.create_payment(request)).id
            except APIConnectionError as exc:  # retries exhausted
                outcomes[order] = exc

    started = time.monotonic()
    async with PaymentsClient(
        chaos.base_url, chaos.api_key, max_retries=25, retry_delay=0.001, max_retry_delay=0.01
    ) as api:
        await asyncio.gather(*(pay(api, number) for number in range(300)))
    assert time.monotonic() - started < 20
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert sum("HTTP 500" in message for message in retries) > 30  # ~0.2 x 300 injected
    assert sum("lost before" in message for message in retries) > 30  # ~0.3 x 240 dropped

    rows = payment_rows(chaos.db_path)
    per_order = Counter(description for _, description in rows)
    assert max(per_order.values()) == 1, "a payment was created twice"
    for order, outcome in outcomes.items():
        if isinstance(outcome, APIConnectionError):
            assert outcome.may_have_reached_server and outcome.outcome_unknown
            assert per_order[order] <= 1
        else:
            assert per_order[order] == 1 and (outcome, order) in rows
    assert len(outcomes) == 300
    assert sum(not isinstance(o, APIConnectionError) for o in outcomes.values()) >= 299


async def test_latency_above_the_timeout_is_a_connection_error(tmp_path: Path) -> None:
    with faulty_server(tmp_path, Faults(latency_ms=800)) as server:
        async with PaymentsClient(
            server.base_url, server.api_key, timeout=0.2, max_retries=0
        ) as api:
            started = time.monotonic()
            with pytest.raises(APIConnectionError) as caught:
                await api.get_payment("pay_1")
            assert time.monotonic() - started < 0.7
    assert caught.value.may_have_reached_server
    assert "0.2 s" in str(caught.value)


async def test_post_timing_out_is_retried_into_one_payment(tmp_path: Path) -> None:
    # The first attempt times out while the sandbox is still working; the retries with the
    # same key meet "key in use" (409) and then the stored answer: one payment, not two.
    with faulty_server(tmp_path, Faults(latency_ms=400)) as server:
        async with PaymentsClient(
            server.base_url, server.api_key, timeout=0.25, max_retries=6, retry_delay=0.05
        ) as api:
            payment = await api.create_payment(
                PaymentCreate(amount=Decimal("3.00"), currency="USD", source="tok_visa")
            )
        assert [row_id for row_id, _ in payment_rows(server.db_path)] == [payment.id]


async def test_429_retry_after_is_waited_out(tmp_path: Path) -> None:
    with faulty_server(tmp_path, Faults(rate_limit=1)) as server:
        async with PaymentsClient(server.base_url, server.api_key, max_retries=0) as strict:
            await strict.create_payment(
                PaymentCreate(amount=Decimal("1.00"), currency="USD", source="tok_visa")
            )
            with pytest.raises(RateLimitError) as limited:
                await strict.get_payment("pay_1")
        assert limited.value.retry_after == 1.0
        assert not limited.value.outcome_unknown

        async with PaymentsClient(server.base_url, server.api_key, max_retries=2) as patient:
            ids = []
            started = time.monotonic()
            for number in range(3):  # 3 payments at 1 per second: at least 2 waits
                request = PaymentCreate(
                    amount=Decimal("2.00") + number, currency="USD", source="tok_visa"
                )
                ids.append((await patient.create_payment(request)).id)
            assert time.monotonic() - started >= 1.0
        assert len(set(ids)) == 3
        assert len(payment_rows(server.db_path)) == 4
