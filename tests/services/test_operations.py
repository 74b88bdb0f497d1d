"""Operations through the journal, against the real sandbox in process (ASGITransport)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from console import operations
from console.api.client import PaymentsClient
from console.api.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CardError,
    InvalidRequestError,
    PaymentsError,
)
from console.api.models import PaymentCreate, RefundCreate
from console.journal import Journal
from console.operations import NotRetryableError
from console.sandbox.app import create_app
from console.sandbox.faults import Faults

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
BASE_URL = "http://127.0.0.1/v1"


def clock() -> datetime:
    return NOW


def visa(amount: str = "100.00", source: str = "tok_visa") -> PaymentCreate:
    return PaymentCreate(amount=Decimal(amount), currency="USD", source=source)


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as journal:
        yield journal


def client_for(
    app: FastAPI, transport: httpx.AsyncBaseTransport | None = None, key: str | None = None
) -> PaymentsClient:
    return PaymentsClient(
        BASE_URL,
        key or app.state.api_key,
        max_retries=0,
        transport=transport or httpx.ASGITransport(app),
    )


@pytest.fixture
async def client(sandbox_app: FastAPI) -> AsyncIterator[PaymentsClient]:
    async with client_for(sandbox_app) as client:
        yield client


class Spy(httpx.AsyncBaseTransport):
    """Runs `check` when a request arrives, then lets the sandbox answer it."""

    def __init__(self, app: FastAPI, check: Callable[[httpx.Request], None]) -> None:
        self.inner = httpx.ASGITransport(app)
        self.check = check

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.check(request)
        return await self.inner.handle_async_request(request)


def sandbox_payments(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM payments").fetchone()[0])


async def test_recorded_pending_before_the_post_then_succeeded(
    sandbox_app: FastAPI, journal: Journal
) -> None:
    seen: list[tuple[str, str, str | None]] = []

    def check(request: httpx.Request) -> None:
        [entry] = journal.recent(1)
        seen.append((entry.status, entry.idempotency_key, request.headers["Idempotency-Key"]))

    async with client_for(sandbox_app, Spy(sandbox_app, check)) as client:
        payment = await operations.create_payment(
            client, journal, "shop", visa("12.50"), clock=clock
        )
    [(status, recorded_key, sent_key)] = seen
    assert status == "pending"
    assert recorded_key == sent_key
    [entry] = journal.recent()
    assert (entry.status, entry.kind, entry.profile) == ("succeeded", "payment", "shop")
    assert (entry.payment_id, entry.object_id) == (payment.id, payment.id)
    assert entry.amount == Decimal("12.50")
    assert entry.currency == "USD"
    assert entry.request == {"amount": Decimal("12.50"), "currency": "USD", "source": "tok_visa"}
    assert entry.response is not None
    assert entry.response["id"] == payment.id
    assert (entry.created_at, entry.error) == (NOW, None)


async def test_given_idempotency_key_is_used_and_replays(
    client: PaymentsClient, journal: Journal
) -> None:
    first = await operations.create_payment(
        client, journal, "shop", visa(), clock=clock, idempotency_key="order-42"
    )
    again = await operations.create_payment(
        client, journal, "shop", visa(), clock=clock, idempotency_key="order-42"
    )
    assert again.id == first.id
    assert [e.idempotency_key for e in journal.recent()] == ["order-42", "order-42"]


async def test_a_decline_is_failed_with_its_payment(
    client: PaymentsClient, journal: Journal
) -> None:
    with pytest.raises(CardError) as caught:
        await operations.create_payment(
            client, journal, "shop", visa(source="tok_chargeDeclined"), clock=clock
        )
    [entry] = journal.recent()
    assert entry.status == "failed"
    assert entry.error == str(caught.value)
    assert entry.payment_id == caught.value.payment_id is not None
    assert entry.response is None


async def test_refunds_record_the_payment_and_currency(
    client: PaymentsClient, journal: Journal
) -> None:
    payment = await operations.create_payment(client, journal, "shop", visa("30.00"), clock=clock)
    partial = await operations.create_refund(
        client,
        journal,
        "shop",
        RefundCreate(payment_id=payment.id, amount=Decimal("10.00")),
        clock=clock,
    )
    rest = await operations.create_refund(
        client, journal, "shop", RefundCreate(payment_id=payment.id), clock=clock
    )
    assert rest.amount == Decimal("20.00")
    with pytest.raises(InvalidRequestError) as caught:
        await operations.create_refund(
            client,
            journal,
            "shop",
            RefundCreate(payment_id=payment.id, amount=Decimal("1.00")),
            clock=clock,
        )
    failed, second, first = journal.refunds_for(payment.id)
    assert (first.object_id, first.amount, first.currency) == (partial.id, Decimal("10.00"), "USD")
    assert (second.object_id, str(second.amount), second.status) == (rest.id, "20.00", "succeeded")
    assert (failed.status, failed.error, failed.object_id) == ("failed", str(caught.value), None)


def test_only_the_same_request_gets_the_unknown_attempts_key_again() -> None:
    unknown = operations.Attempt(visa(), "c0ffee00-0000-4000-8000-000000000001")
    assert operations.idempotency_key_for(visa(), unknown) == unknown.idempotency_key
    assert operations.idempotency_key_for(visa("5.00"), unknown) != unknown.idempotency_key
    assert operations.idempotency_key_for(visa(), None) != unknown.idempotency_key


async def test_check_key_accepts_the_sandbox_key_and_refuses_another(
    sandbox_app: FastAPI, client: PaymentsClient
) -> None:
    await operations.check_key(client)
    async with client_for(sandbox_app, key="sk_test_not_the_sandbox_key") as refused:
        with pytest.raises(AuthenticationError):
            await operations.check_key(refused)


async def test_refused_connection_is_failed_not_unknown(journal: Journal) -> None:
    async with PaymentsClient("http://127.0.0.1:9/v1", "sk_test_x1234567", max_retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            await operations.create_payment(client, journal, "shop", visa(), clock=clock)
    assert caught.value.may_have_reached_server is False
    [entry] = journal.recent()
    assert entry.status == "failed"


@pytest.mark.parametrize(
    ("faults", "error", "stored_before_retry"),
    [
        (Faults(drop_after_commit=1.0), APIConnectionError, 1),
        (Faults(fail_rate=1.0), APIError, 0),
    ],
    ids=["dropped-after-commit", "server-error"],
)
async def test_unknown_outcome_then_retry_leaves_one_payment(
    tmp_path: Path,
    journal: Journal,
    faults: Faults,
    error: type[PaymentsError],
    stored_before_retry: int,
) -> None:
    db = tmp_path / "sandbox.db"
    faulty, healthy = create_app(db, faults=faults), create_app(db)
    try:
        async with client_for(faulty) as client:
            with pytest.raises(error) as caught:
                await operations.create_payment(client, journal, "shop", visa(), clock=clock)
        assert caught.value.outcome_unknown
        [entry] = journal.unknown()
        assert entry.error == str(caught.value)
        assert sandbox_payments(db) == stored_before_retry
        async with client_for(healthy) as client:
            payment = await operations.retry(client, journal, "shop", entry.id, clock=clock)
            with pytest.raises(NotRetryableError, match="already succeeded"):
                await operations.retry(client, journal, "shop", entry.id, clock=clock)
        assert sandbox_payments(db) == 1
        done = journal.get(entry.id)
        assert done is not None
        assert (done.status, done.payment_id, done.error) == ("succeeded", payment.id, None)
        assert journal.unknown() == []
        assert journal.count() == 1
    finally:
        faulty.state.store.close()
        healthy.state.store.close()


async def test_resending_an_unknown_request_with_its_key_settles_that_entry(
    tmp_path: Path, journal: Journal
) -> None:
    db = tmp_path / "sandbox.db"
    faulty, healthy = create_app(db, faults=Faults(drop_after_commit=1.0)), create_app(db)
    try:
        async with client_for(faulty) as client:
            with pytest.raises(APIConnectionError):
                await operations.create_payment(
                    client, journal, "shop", visa(), clock=clock, idempotency_key="order-9"
                )
        [unknown] = journal.unknown()
        async with client_for(healthy) as client:
            # Another request under the same key is not that entry: journaled on its own.
            with pytest.raises(PaymentsError):
                await operations.create_payment(
                    client, journal, "shop", visa("1.00"), clock=clock, idempotency_key="order-9"
                )
            assert journal.count() == 2
            payment = await operations.create_payment(
                client, journal, "shop", visa(), clock=clock, idempotency_key="order-9"
            )
        settled = journal.get(unknown.id)
        assert settled is not None
        assert (settled.status, settled.payment_id) == ("succeeded", payment.id)
        assert journal.count() == 2
        assert sandbox_payments(db) == 1
    finally:
        faulty.state.store.close()
        healthy.state.store.close()


async def test_retry_of_a_dropped_refund(tmp_path: Path, journal: Journal) -> None:
    db = tmp_path / "sandbox.db"
    faulty, healthy = create_app(db, faults=Faults(drop_after_commit=1.0)), create_app(db)
    try:
        async with client_for(healthy) as client:
            payment = await operations.create_payment(client, journal, "shop", visa(), clock=clock)
        async with client_for(faulty) as client:
            with pytest.raises(APIConnectionError):
                await operations.create_refund(
                    client, journal, "shop", RefundCreate(payment_id=payment.id), clock=clock
                )
        [entry] = journal.unknown()
        async with client_for(healthy) as client:
            refund = await operations.retry(client, journal, "shop", entry.id, clock=clock)
            # Had the retry been a new refund, the fully refunded payment would refuse it.
            assert (await client.get_payment(payment.id)).amount_refunded == Decimal("100.00")
        assert refund.payment_id == payment.id
        assert journal.refunds_for(payment.id)[0].status == "succeeded"
    finally:
        faulty.state.store.close()
        healthy.state.store.close()


class Hang(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_cancelled_wait_is_unknown(journal: Journal) -> None:
    async with PaymentsClient(BASE_URL, "sk_test_x1234567", transport=Hang()) as client:
        task = asyncio.create_task(
            operations.create_payment(client, journal, "shop", visa(), clock=clock)
        )
        while not journal.recent():
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    [entry] = journal.unknown()
    assert entry.error is not None
    assert "CancelledError" in entry.error


async def test_retry_of_a_missing_entry(client: PaymentsClient, journal: Journal) -> None:
    with pytest.raises(NotRetryableError, match="no journal entry 7"):
        await operations.retry(client, journal, "shop", 7, clock=clock)


async def test_retry_through_another_profile_is_refused_and_sends_nothing(
    tmp_path: Path, journal: Journal
) -> None:
    db = tmp_path / "sandbox.db"
    faulty, healthy = create_app(db, faults=Faults(drop_after_commit=1.0)), create_app(db)
    sent: list[httpx.Request] = []
    try:
        async with client_for(faulty) as client:
            with pytest.raises(APIConnectionError):
                await operations.create_payment(
                    client, journal, "sandbox", visa(), clock=clock, idempotency_key="order-1"
                )
        [entry] = journal.unknown()
        async with client_for(healthy, Spy(healthy, sent.append)) as client:
            with pytest.raises(NotRetryableError) as refused:
                await operations.retry(client, journal, "shop", entry.id, clock=clock)
            # The same request and key typed again on another profile is a new entry.
            await operations.create_payment(
                client, journal, "shop", visa(), clock=clock, idempotency_key="order-1"
            )
        assert str(refused.value) == (
            f"Journal entry {entry.id} was sent on profile sandbox, not on shop, the profile "
            "in use: switch to profile sandbox to send it again"
        )
        assert len(sent) == 1  # the new payment only
        still = journal.get(entry.id)
        assert still is not None
        assert (still.status, still.profile) == ("unknown", "sandbox")
        assert journal.count(profile="shop") == 1
    finally:
        faulty.state.store.close()
        healthy.state.store.close()


async def test_the_api_key_is_never_in_the_journal(
    sandbox_app: FastAPI, client: PaymentsClient, journal: Journal, tmp_path: Path
) -> None:
    key: str = sandbox_app.state.api_key
    payment = await operations.create_payment(client, journal, "shop", visa(), clock=clock)
    await operations.create_refund(
        client, journal, "shop", RefundCreate(payment_id=payment.id), clock=clock
    )
    with pytest.raises(CardError):
        await operations.create_payment(
            client, journal, "shop", visa(source="tok_chargeDeclined"), clock=clock
        )
    async with client_for(sandbox_app, key=key + "x") as bad:
        with pytest.raises(PaymentsError):
            await operations.create_payment(bad, journal, "shop", visa(), clock=clock)
    journal.export_csv("", tmp_path / "export.csv")
    files = [p for p in tmp_path.iterdir() if p.name.startswith(("journal", "export"))]
    assert len(files) >= 2
    for path in files:
        data = path.read_bytes()
        assert key.encode() not in data, path
        assert key[-12:].encode() not in data, path
