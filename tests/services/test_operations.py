"""Operations through the journal, against the real sandbox in process (ASGITransport)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
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
from console.operations import NotRetryableError, OperationFailed, Operations
from console.sandbox.app import create_app
from console.sandbox.faults import Faults
from tests.journal_lock import LockJournalOnRequest

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
BASE_URL = "http://127.0.0.1/v1"


def clock() -> datetime:
    return NOW


def shop(client: PaymentsClient, journal: Journal) -> Operations:
    """Profile "shop"'s operations."""
    return Operations(client, journal, "shop", clock)


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


@contextlib.contextmanager
def fails_with(
    cause: type[BaseException], outcome: str
) -> Iterator[pytest.ExceptionInfo[OperationFailed]]:
    """Expect an `OperationFailed` caused by `cause`, with that `outcome`."""
    with pytest.raises(OperationFailed) as caught:
        yield caught
    assert isinstance(caught.value.cause, cause), repr(caught.value.cause)
    assert caught.value.outcome == outcome


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
        sent = await shop(client, journal).create_payment(visa("12.50"))
    payment = sent.result
    assert (sent.idempotency_key, sent.resent, sent.journal_error) == (seen[0][1], False, None)
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
    first = await shop(client, journal).create_payment(visa(), idempotency_key="order-42")
    again = await shop(client, journal).create_payment(visa(), idempotency_key="order-42")
    assert again.result.id == first.result.id
    assert [e.idempotency_key for e in journal.recent()] == ["order-42", "order-42"]


async def test_a_decline_is_failed_with_its_payment(
    client: PaymentsClient, journal: Journal
) -> None:
    with fails_with(CardError, "refused") as caught:
        await shop(client, journal).create_payment(visa(source="tok_chargeDeclined"))
    decline = caught.value.cause
    assert isinstance(decline, CardError)
    [entry] = journal.recent()
    assert entry.status == "failed"
    assert entry.error == str(decline)
    assert entry.payment_id == decline.payment_id is not None
    assert entry.decline_code == decline.decline_code == "generic_decline"


async def test_refunds_record_the_payment_and_currency(
    client: PaymentsClient, journal: Journal
) -> None:
    payment = (await shop(client, journal).create_payment(visa("30.00"))).result
    partial = await shop(client, journal).create_refund(
        RefundCreate(payment_id=payment.id, amount=Decimal("10.00")),
    )
    rest = await shop(client, journal).create_refund(RefundCreate(payment_id=payment.id))
    assert rest.result.amount == Decimal("20.00")
    with fails_with(InvalidRequestError, "refused") as caught:
        await shop(client, journal).create_refund(
            RefundCreate(payment_id=payment.id, amount=Decimal("1.00")),
        )
    failed, second, first = journal.refunds_for(payment.id)
    assert (first.object_id, first.amount, first.currency) == (
        partial.result.id,
        Decimal("10.00"),
        "USD",
    )
    assert (second.object_id, str(second.amount), second.status) == (
        rest.result.id,
        "20.00",
        "succeeded",
    )
    assert (failed.status, failed.error, failed.object_id) == ("failed", str(caught.value), None)


async def test_check_key_accepts_the_sandbox_key_and_refuses_another(
    sandbox_app: FastAPI, client: PaymentsClient
) -> None:
    await operations.check_key(client)
    async with client_for(sandbox_app, key="sk_test_not_the_sandbox_key") as refused:
        with pytest.raises(AuthenticationError):
            await operations.check_key(refused)


async def test_refused_connection_is_failed_not_unknown(journal: Journal) -> None:
    async with PaymentsClient("http://127.0.0.1:9/v1", "sk_test_x1234567", max_retries=0) as client:
        with fails_with(APIConnectionError, "not_sent") as caught:
            await shop(client, journal).create_payment(visa())
    refused = caught.value.cause
    assert isinstance(refused, APIConnectionError)
    assert refused.may_have_reached_server is False
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
            with fails_with(error, "unknown") as caught:
                await shop(client, journal).create_payment(visa())
        assert getattr(caught.value.cause, "outcome_unknown", False)
        [entry] = journal.unknown()
        assert entry.error == str(caught.value.cause)
        assert sandbox_payments(db) == stored_before_retry
        async with client_for(healthy) as client:
            payment = (await shop(client, journal).retry(entry.id)).result
            with pytest.raises(NotRetryableError, match="already succeeded"):
                await shop(client, journal).retry(entry.id)
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
            with fails_with(APIConnectionError, "unknown"):
                await shop(client, journal).create_payment(visa(), idempotency_key="order-9")
        [unknown] = journal.unknown()
        async with client_for(healthy) as client:
            # Another request under the same key is not that entry: journaled on its own.
            with fails_with(PaymentsError, "refused"):
                await shop(client, journal).create_payment(visa("1.00"), idempotency_key="order-9")
            assert journal.count() == 2
            sent = await shop(client, journal).create_payment(visa(), idempotency_key="order-9")
        payment = sent.result
        assert (sent.entry_id, sent.resent) == (unknown.id, True)
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
            payment = (await shop(client, journal).create_payment(visa())).result
        async with client_for(faulty) as client:
            with fails_with(APIConnectionError, "unknown"):
                await shop(client, journal).create_refund(RefundCreate(payment_id=payment.id))
        [entry] = journal.unknown()
        async with client_for(healthy) as client:
            refund = (await shop(client, journal).retry(entry.id)).result
            # Had the retry been a new refund, the fully refunded payment would refuse it.
            assert (await client.get_payment(payment.id)).amount_refunded == Decimal("100.00")
        assert refund.payment_id == payment.id
        assert journal.refunds_for(payment.id)[0].status == "succeeded"
    finally:
        faulty.state.store.close()
        healthy.state.store.close()


class Hang(httpx.AsyncBaseTransport):
    """Never answers; `entered` is set once a request is being sent."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_cancelled_wait_is_unknown(journal: Journal) -> None:
    hang = Hang()
    async with PaymentsClient(BASE_URL, "sk_test_x1234567", transport=hang) as client:
        task = asyncio.create_task(shop(client, journal).create_payment(visa()))
        await hang.entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    [entry] = journal.unknown()
    assert entry.error is not None
    assert "CancelledError" in entry.error


async def test_cancelled_after_journaling_but_before_sending_becomes_unknown(
    journal: Journal,
) -> None:
    """Cancelled at any await after the entry was written: never left pending for good."""
    async with PaymentsClient(BASE_URL, "sk_test_x1234567", transport=Hang()) as client:
        task = asyncio.create_task(shop(client, journal).create_payment(visa()))
        while not journal.recent():
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    journal.recover_abandoned(now=NOW)
    [entry] = journal.recent()
    assert entry.status == "unknown"


async def test_retry_of_a_missing_entry(client: PaymentsClient, journal: Journal) -> None:
    with pytest.raises(NotRetryableError, match="no journal entry 7"):
        await shop(client, journal).retry(7)


async def test_retry_through_another_profile_is_refused_and_sends_nothing(
    tmp_path: Path, journal: Journal
) -> None:
    db = tmp_path / "sandbox.db"
    faulty, healthy = create_app(db, faults=Faults(drop_after_commit=1.0)), create_app(db)
    sent: list[httpx.Request] = []
    try:
        async with client_for(faulty) as client:
            with fails_with(APIConnectionError, "unknown"):
                await Operations(client, journal, "sandbox", clock).create_payment(
                    visa(), idempotency_key="order-1"
                )
        [entry] = journal.unknown()
        async with client_for(healthy, Spy(healthy, sent.append)) as client:
            with pytest.raises(NotRetryableError) as refused:
                await shop(client, journal).retry(entry.id)
            # The same request and key typed again on another profile is a new entry.
            await shop(client, journal).create_payment(visa(), idempotency_key="order-1")
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
    payment = (await shop(client, journal).create_payment(visa())).result
    await shop(client, journal).create_refund(RefundCreate(payment_id=payment.id))
    with fails_with(CardError, "refused"):
        await shop(client, journal).create_payment(visa(source="tok_chargeDeclined"))
    async with client_for(sandbox_app, key=key + "x") as bad:
        with fails_with(PaymentsError, "refused"):
            await Operations(bad, journal, "shop", clock).create_payment(visa())
    journal.export_csv("", tmp_path / "export.csv")
    files = [p for p in tmp_path.iterdir() if p.name.startswith(("journal", "export"))]
    assert len(files) >= 2
    for path in files:
        data = path.read_bytes()
        assert key.encode() not in data, path
        assert key[-12:].encode() not in data, path


# --- exactly once: re-running a request settles its unknown attempt -------------------


async def _leave_unknown(db: Path, journal: Journal, request: PaymentCreate, profile: str) -> int:
    """Send `request` through a sandbox that drops the answer after committing it."""
    faulty = create_app(db, faults=Faults(drop_after_commit=1.0))
    try:
        async with client_for(faulty) as client:
            with fails_with(APIConnectionError, "unknown"):
                await Operations(client, journal, profile, clock).create_payment(request)
    finally:
        faulty.state.store.close()
    [entry] = journal.unknown(profile=profile)
    return entry.id


@pytest.fixture
async def healthy(tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(tmp_path / "sandbox.db")
    yield app
    app.state.store.close()


async def test_an_identical_request_resends_the_unknown_attempt_with_its_key(
    tmp_path: Path, journal: Journal, healthy: FastAPI
) -> None:
    db = tmp_path / "sandbox.db"
    entry_id = await _leave_unknown(db, journal, visa(), "shop")
    unknown = journal.get(entry_id)
    assert unknown is not None
    async with client_for(healthy) as client:
        assert await shop(client, journal).find_unsettled(visa()) == unknown
        sent = await shop(client, journal).create_payment(visa())
    assert (sent.entry_id, sent.idempotency_key, sent.resent) == (
        entry_id,
        unknown.idempotency_key,
        True,
    )
    assert sandbox_payments(db) == 1
    assert journal.count() == 1
    assert [e.status for e in journal.recent()] == ["succeeded"]


async def test_new_makes_a_separate_operation(
    tmp_path: Path, journal: Journal, healthy: FastAPI
) -> None:
    db = tmp_path / "sandbox.db"
    entry_id = await _leave_unknown(db, journal, visa(), "shop")
    async with client_for(healthy) as client:
        sent = await shop(client, journal).create_payment(visa(), new=True)
    assert sent.entry_id != entry_id and not sent.resent
    assert sandbox_payments(db) == 2
    still = journal.get(entry_id)
    assert still is not None and still.status == "unknown"


async def test_settled_entries_other_profiles_and_old_attempts_are_never_reused(
    tmp_path: Path, journal: Journal, healthy: FastAPI
) -> None:
    db = tmp_path / "sandbox.db"
    await _leave_unknown(db, journal, visa("5.00"), "other")
    async with client_for(healthy) as client:
        paid = [await shop(client, journal).create_payment(visa("5.00")) for _ in range(2)]
        for _ in range(2):
            with fails_with(CardError, "refused"):
                await shop(client, journal).create_payment(visa(source="tok_chargeDeclined"))
    # Paying the same amount twice on purpose pays twice; another profile's unknown
    # attempt stays for that profile.
    assert paid[0].result.id != paid[1].result.id
    assert not any(sent.resent for sent in paid)
    assert sandbox_payments(db) == 5
    assert len(journal.unknown(profile="other")) == 1
    day_later = NOW + operations_window()
    assert (
        await Operations(client, journal, "other", lambda: day_later).find_unsettled(visa("5.00"))
        is None
    )


def operations_window() -> timedelta:
    from console.journal import RESEND_WINDOW

    return RESEND_WINDOW + timedelta(seconds=1)


async def test_a_resend_that_cannot_reach_the_api_stays_unknown(
    tmp_path: Path, journal: Journal, healthy: FastAPI
) -> None:
    db = tmp_path / "sandbox.db"
    entry_id = await _leave_unknown(db, journal, visa(), "shop")
    before = journal.get(entry_id)
    assert before is not None
    async with PaymentsClient("http://127.0.0.1:9/v1", "sk_test_x1234567", max_retries=0) as down:
        with fails_with(APIConnectionError, "unknown") as caught:
            await Operations(down, journal, "shop", clock).create_payment(visa())
        assert caught.value.resent
        with fails_with(APIConnectionError, "unknown"):
            await Operations(down, journal, "shop", clock).retry(entry_id)
    after = journal.get(entry_id)
    assert after is not None
    assert (after.status, after.idempotency_key) == ("unknown", before.idempotency_key)
    assert after.error is not None and "still unknown" in after.error
    async with client_for(healthy) as client:
        sent = await shop(client, journal).create_payment(visa())
    assert sent.entry_id == entry_id
    assert sandbox_payments(db) == 1


async def test_a_key_still_in_use_is_unknown_not_failed(tmp_path: Path, journal: Journal) -> None:
    slow = create_app(tmp_path / "sandbox.db", faults=Faults(latency_ms=500))
    try:
        async with client_for(slow) as client:
            first = asyncio.create_task(client.create_payment(visa(), idempotency_key="order-busy"))
            await asyncio.sleep(0.1)
            with fails_with(PaymentsError, "unknown"):
                await shop(client, journal).create_payment(visa(), idempotency_key="order-busy")
            await first
        [entry] = journal.recent()
        assert entry.status == "unknown"
    finally:
        slow.state.store.close()


async def test_the_answer_survives_a_locked_journal_and_settles_on_the_next_run(
    tmp_path: Path, healthy: FastAPI
) -> None:
    path = tmp_path / "locked.sqlite3"
    with Journal(path, busy_timeout_ms=50) as journal:
        locker = LockJournalOnRequest(healthy, path)
        async with client_for(healthy, locker) as client:
            sent = await shop(client, journal).create_payment(visa())
        locker.release()
        assert sent.journal_error is not None
        assert "could not record the result" in sent.journal_error
        assert "database is locked" in sent.journal_error
        [entry] = journal.recent()
        assert entry.status == "pending"  # its answer is not written...
        assert journal.recover_abandoned(now=NOW) == 1  # ...and nobody is sending it
        async with client_for(healthy) as client:
            again = await shop(client, journal).create_payment(visa())
    assert (again.result.id, again.entry_id, again.resent) == (sent.result.id, entry.id, True)
    assert sandbox_payments(tmp_path / "sandbox.db") == 1


async def test_a_journal_that_cannot_record_the_request_sends_nothing(
    tmp_path: Path, healthy: FastAPI
) -> None:
    path = tmp_path / "locked.sqlite3"
    sent: list[httpx.Request] = []
    with Journal(path, busy_timeout_ms=50) as journal:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            async with client_for(healthy, Spy(healthy, sent.append)) as client:
                with fails_with(operations.JournalWriteError, "not_sent") as caught:
                    await shop(client, journal).create_payment(visa())
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert str(path) in str(caught.value)
        assert journal.count() == 0
    assert sent == []


async def test_key_shaped_text_is_refused_before_anything(
    sandbox_app: FastAPI, journal: Journal
) -> None:
    from console.safe_text import KeyInFieldError

    sent: list[httpx.Request] = []
    pasted = "sk_live_" + "a1" * 12
    request = PaymentCreate(
        amount=Decimal("1.00"), currency="USD", source="tok_visa", description=f"for {pasted}"
    )
    async with client_for(sandbox_app, Spy(sandbox_app, sent.append)) as client:
        with pytest.raises(KeyInFieldError) as caught:
            await shop(client, journal).create_payment(request)
    assert "description" in str(caught.value)
    assert pasted not in str(caught.value)
    assert (journal.count(), sent) == (0, [])
