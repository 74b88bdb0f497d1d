"""`BatchRun` (the console's batch, UI-free) against the sandbox in process, on a real
journal: checked (the batch claimed), stopped after the rows in flight, given up with rows
left (`stopped_batch` then offers it), resumed by a new run to done, never twice."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from console.api.client import PaymentsClient
from console.api.models import PaymentCreate
from console.batch.batch_run import STOPPED_HERE, BatchRun
from console.batch.pace import Pace
from console.batch.runner import Settled
from console.batch.stopped import stopped_batch
from console.config import Profile
from console.journal import Journal
from console.session import Connection, Session
from tests.unit.test_batch_pace import FakeTime
from tests.unit.test_batch_run import client_for, csv_file

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PROFILE = Profile(name="shop", base_url="http://127.0.0.1/v1", mode="test")


@pytest.fixture
async def session(sandbox_app: FastAPI, tmp_path: Path) -> AsyncIterator[Session]:
    with Journal(tmp_path / "journal.sqlite3") as journal:
        async with client_for(sandbox_app) as client:
            yield Session(journal, clock=lambda: NOW, connection=Connection(PROFILE, client))


async def test_a_run_stopped_half_way_is_offered_then_resumed_to_done(
    session: Session, tmp_path: Path
) -> None:
    client = session.require_client()
    ids = []
    for _ in range(4):
        request = PaymentCreate(amount=Decimal("10.00"), currency="USD", source="tok_visa")
        ids.append((await client.create_payment(request)).id)
    path = csv_file(tmp_path, "payment_id,amount", *(f"{i},2.50" for i in ids))
    run = BatchRun(session, path, "refunds", concurrency=1)
    plan = await run.check()
    assert (plan.rows, plan.to_send, run.may_send) == (4, 4, True)
    assert stopped_batch(session.journal, "shop") is None  # claimed by this live process

    def stop_after_one(settled: Settled) -> None:
        run.stop()

    await run.send(stop_after_one)
    tally = run.tally()
    assert (tally.counts["done"], tally.counts["not_sent"], tally.left) == (1, 3, 3)
    assert run.runner is not None and run.runner.stopped == STOPPED_HERE
    await run.close()
    stopped = stopped_batch(session.journal, "shop")
    assert stopped is not None and (stopped.path, stopped.kind, stopped.done) == (
        path.resolve(),
        "refunds",
        1,
    )
    assert stopped.describe() == f"Batch {path.name} stopped at 1/4"

    again = BatchRun(session, path, "refunds")
    plan = await again.check()
    assert (plan.counts, plan.to_send) == ({"done": 1, "new": 3}, 3)
    await again.send(lambda settled: None)
    report = tmp_path / "report.csv"
    assert await again.write_report(report) == 4
    assert report.read_text().count(",done,") == 4
    await again.close()
    assert stopped_batch(session.journal, "shop") is None  # finished
    for payment_id in ids:
        assert (await client.get_payment(payment_id)).amount_refunded == Decimal("2.50")


async def test_a_429_holds_every_row_of_the_batch_and_each_row_is_sent_once(
    sandbox_app: FastAPI, tmp_path: Path
) -> None:
    time = FakeTime()
    sandbox_app.state.faults.rate_limit = 2
    sandbox_app.state.fault_injector.seconds = time.clock  # its windows pass with the batch's
    sent: list[tuple[float, int]] = []

    class Recorded(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await httpx.ASGITransport(sandbox_app).handle_async_request(request)
            sent.append((time.now, response.status_code))
            return response

    client = PaymentsClient(
        PROFILE.base_url, sandbox_app.state.api_key, transport=Recorded(), sleep=time.sleep
    )
    rows = [f"1.00,USD,tok_visa,Order {n}" for n in range(5)]
    path = csv_file(tmp_path, "amount,currency,source,description", *rows)
    with Journal(tmp_path / "journal.sqlite3") as journal:
        async with client:
            session = Session(journal, clock=lambda: NOW, connection=Connection(PROFILE, client))
            run = BatchRun(session, path, "payments", pace=Pace(time.clock, time.sleep))
            await run.check()
            made: list[str] = []
            await run.send(lambda settled: made.append(str(settled.result_id)))
            assert run.tally().counts["done"] == 5
            await run.close()
            assert (await client.get_payment(made[0])).id == made[0]  # the console's, open
    assert len(set(made)) == 5
    assert run.pace.held >= 1
    first_429 = next(moment for moment, status in sent if status == 429)
    later = sent[[status for _, status in sent].index(429) + 1 :]
    assert later and all(moment >= first_429 + 1 for moment, _ in later)  # held, every row
    with sqlite3.connect(tmp_path / "sandbox.db") as db:  # each row exactly once
        assert db.execute("SELECT count(*) FROM payments").fetchone()[0] == 5
