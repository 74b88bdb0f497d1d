"""Who owns an idempotency key in progress: never taken over while its request may run.

A record in progress names its owner (the sandbox process and its Store). However old it
is by the Store's clock, a live owner's key answers 409; only a key whose owner stopped
(a SIGKILLed process, a closed Store) is abandoned and taken over by the next request.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.api.models import PaymentCreate
from console.sandbox.errors import ApiError
from console.sandbox.idempotency import IDEMPOTENCY_RETENTION_SECONDS, IdempotencySlot
from console.sandbox.server import SandboxServer
from console.sandbox.store import Store
from tests.sandbox.conftest import Api, client_for, error_of
from tests.sandbox.process import start_sandbox

KEY = {"Idempotency-Key": "order-12345"}
REQUEST = PaymentCreate(amount=Decimal("1.00"), currency="USD", source="tok_visa")
REPO = Path(__file__).parents[2]


@dataclass
class FakeClock:
    """The Store's injected clock, moved forward by hand."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def later(monkeypatch: pytest.MonkeyPatch, clock: FakeClock, seconds: float) -> None:
    """Make every clock the store could read (its own and the system's) `seconds` later."""
    clock.advance(seconds)
    system = time.time() + seconds
    monkeypatch.setattr(time, "time", lambda: system)


def slot_of(key: str = "order-1") -> IdempotencySlot:
    return IdempotencySlot("account", "/v1/payments", key, "fingerprint")


def rows(path: str | Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows read over a separate connection to the sandbox's SQLite file."""
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql).fetchall())


def count(path: str | Path, table: str) -> int:
    return int(rows(path, f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608


def in_progress(path: str | Path) -> int:
    return count(path, "idempotency WHERE state = 'in_progress'")


# --- a live owner: 409 however old --------------------------------------------------


@pytest.mark.parametrize("seconds", [65, 23 * 60 * 60])
def test_a_live_owners_key_is_never_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seconds: float
) -> None:
    clock = FakeClock()
    store = Store(tmp_path / "s.db", clock=clock)
    slot = slot_of()
    assert store.reserve(slot, "req_1") is None
    later(monkeypatch, clock, seconds)
    with pytest.raises(ApiError) as in_use:
        store.reserve(slot, "req_2")
    assert (in_use.value.status, in_use.value.code) == (409, "idempotency_key_in_use")
    # The one request that holds the key executes; the one that was refused cannot.
    with pytest.raises(ApiError):
        store.create_payment(REQUEST, "req_2", slot)
    first = store.create_payment(REQUEST, "req_1", slot)
    assert first.status == 201
    assert store.reserve(slot, "req_3") == first
    assert count(store.path, "payments") == 1
    store.close()


def test_another_open_store_in_this_process_is_a_live_owner(tmp_path: Path) -> None:
    first = Store(tmp_path / "s.db")
    second = Store(tmp_path / "s.db")
    assert first.reserve(slot_of(), "req_1") is None
    with pytest.raises(ApiError) as in_use:
        second.reserve(slot_of(), "req_2")
    assert in_use.value.status == 409
    first.close()
    second.close()


def test_a_closed_stores_key_is_abandoned(tmp_path: Path) -> None:
    """A closed Store can finish no request: its keys in progress are free at once."""
    first = Store(tmp_path / "s.db")
    other = Store(tmp_path / "s.db")
    assert first.reserve(slot_of(), "req_1") is None
    first.close()
    assert other.reserve(slot_of(), "req_2") is None
    other.create_payment(REQUEST, "req_2", slot_of())
    assert count(other.path, "payments") == 1
    other.close()


@dataclass
class ClockedApi:
    api: Api
    clock: FakeClock


@pytest.fixture(params=["asgi", "uvicorn"])
async def clocked(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ClockedApi]:
    """A sandbox on a FakeClock, in process or over uvicorn."""
    from console.sandbox.app import create_app

    clock = FakeClock()
    if request.param == "asgi":
        app = create_app(tmp_path / "sandbox.db", clock=clock)
        async with client_for(app) as client:
            yield ClockedApi(Api(client, app, app.state.api_key), clock)
        app.state.store.close()
    else:
        with SandboxServer(tmp_path / "sandbox.db", clock=clock) as server:
            async with client_for(server.app, server.base_url) as client:
                yield ClockedApi(Api(client, server.app, server.api_key), clock)


async def test_a_request_still_running_after_65_seconds_keeps_its_key(
    clocked: ClockedApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's `--latency 65000`, with the clock moved instead of waiting 65 s."""
    api = clocked.api
    api.app.state.faults.latency_ms = 400
    first = asyncio.create_task(api.pay(headers=KEY))
    while in_progress(api.app.state.store.path) == 0:
        await asyncio.sleep(0.005)
    later(monkeypatch, clocked.clock, 65)
    second = await api.pay(headers=KEY)
    assert second.status_code == 409
    error = error_of(second)
    assert (error["code"], error["param"]) == ("idempotency_key_in_use", "Idempotency-Key")
    answer = await first
    api.app.state.faults.latency_ms = 0
    assert answer.status_code == 201
    again = await api.pay(headers=KEY)
    assert (again.text, again.headers["idempotent-replayed"]) == (answer.text, "true")
    assert api.count("payments") == 1


async def test_answers_are_kept_24_hours_by_the_stores_clock(clocked: ClockedApi) -> None:
    api = clocked.api
    first = await api.pay(headers=KEY)
    clocked.clock.advance(IDEMPOTENCY_RETENTION_SECONDS - 60)
    replayed = await api.pay(headers=KEY)
    assert (replayed.text, replayed.headers["idempotent-replayed"]) == (first.text, "true")
    clocked.clock.advance(120)
    fresh = await api.pay(headers=KEY)
    assert fresh.status_code == 201
    assert "idempotent-replayed" not in fresh.headers
    assert api.count("payments") == 2


# --- an owner that was killed: abandoned, taken over once ----------------------------

_CHILD = """
import sys, time
from console.sandbox.idempotency import IdempotencySlot
from console.sandbox.store import Store
store = Store(sys.argv[1])
store.reserve(IdempotencySlot("account", "/v1/payments", "order-1", "fingerprint"), "req_c")
print("reserved", flush=True)
time.sleep(600)
"""


@pytest.fixture
def killed_owner(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A child python process that opened a Store on tmp_path/s.db and reserved order-1."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path / "s.db")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "reserved"
        yield child
    finally:
        child.kill()
        child.wait()


def test_a_key_left_by_a_killed_process_is_taken_over_once(
    tmp_path: Path, killed_owner: subprocess.Popen[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    store = Store(tmp_path / "s.db", clock=clock)
    slot = slot_of()
    later(monkeypatch, clock, 65)
    with pytest.raises(ApiError) as in_use:  # its owner still runs, however long it takes
        store.reserve(slot, "req_1")
    assert in_use.value.status == 409
    os.kill(killed_owner.pid, signal.SIGKILL)
    killed_owner.wait()
    assert store.reserve(slot, "req_2") is None  # at once: no 60 s wait
    outcome = store.create_payment(REQUEST, "req_2", slot)
    assert outcome.status == 201
    assert store.reserve(slot, "req_3") == outcome
    assert count(store.path, "payments") == 1
    store.close()


def test_a_store_that_opens_cleans_up_keys_of_killed_owners(
    tmp_path: Path, killed_owner: subprocess.Popen[str]
) -> None:
    live = Store(tmp_path / "s.db")
    assert live.reserve(slot_of("order-2"), "req_live") is None
    os.kill(killed_owner.pid, signal.SIGKILL)
    killed_owner.wait()
    assert in_progress(tmp_path / "s.db") == 2
    Store(tmp_path / "s.db").close()
    remaining = rows(tmp_path / "s.db", "SELECT key FROM idempotency")
    assert remaining == [("order-2",)]  # the live Store's key stays
    live.close()


async def test_a_killed_sandbox_leaves_its_key_to_the_next_request(api: Api) -> None:
    """The issue's scenario end to end: `--latency 65000`, a payment in flight, kill -9."""
    db = api.app.state.store.path
    sandbox = start_sandbox("--db", db, "--latency", "65000")
    try:
        headers = {"Authorization": f"Bearer {sandbox.api_key}", **KEY}
        payload = '{"amount": 10.00, "currency": "USD", "source": "tok_visa"}'
        async with httpx.AsyncClient(base_url=sandbox.base_url + "/", timeout=30) as client:
            stuck = asyncio.create_task(client.post("payments", content=payload, headers=headers))
            while in_progress(db) == 0:
                await asyncio.sleep(0.01)
            busy = await api.pay(headers=KEY)
            assert (busy.status_code, error_of(busy)["code"]) == (409, "idempotency_key_in_use")
            os.kill(sandbox.process.pid, signal.SIGKILL)
            sandbox.process.wait()
            with pytest.raises(httpx.TransportError):
                await stuck
    finally:
        sandbox.process.kill()
        sandbox.process.communicate()
    taken_over = await api.pay(headers=KEY)
    assert taken_over.status_code == 201
    assert "idempotent-replayed" not in taken_over.headers
    again = await api.pay(headers=KEY)
    assert (again.text, again.headers["idempotent-replayed"]) == (taken_over.text, "true")
    assert api.count("payments") == 1
