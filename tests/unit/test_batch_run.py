"""A batch prepared and sent against the real sandbox in process, on a real journal: every
row once, every problem at once, and a second run that resumes the first whatever it
left (done, unknown, refused, never sent, being sent elsewhere)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from console.api.client import PaymentsClient
from console.api.models import PaymentCreate, RefundCreate
from console.batch.plan import BatchBusy, Invalid, Plan, Refused, api_figures, prepare
from console.batch.rows import BatchKind
from console.batch.runner import Runner, Settled
from console.batch.worktable import WorkRow, WorkTable
from console.journal import Journal, JournalEntry
from console.operations import Operations
from tests.journal_lock import LockJournalOnRequest

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BASE_URL = "http://127.0.0.1/v1"


def clock() -> datetime:
    return NOW


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as journal:
        yield journal


def client_for(app: FastAPI, transport: httpx.AsyncBaseTransport | None = None) -> PaymentsClient:
    return PaymentsClient(
        BASE_URL, app.state.api_key, max_retries=0, transport=transport or httpx.ASGITransport(app)
    )


@pytest.fixture
async def client(sandbox_app: FastAPI) -> AsyncIterator[PaymentsClient]:
    async with client_for(sandbox_app) as client:
        yield client


async def paid(client: PaymentsClient, amount: str = "10.00", source: str = "tok_visa") -> str:
    request = PaymentCreate(amount=Decimal(amount), currency="USD", source=source)
    return (await client.create_payment(request)).id


def csv_file(tmp_path: Path, *lines: str, name: str = "batch.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def planned(
    path: Path,
    client: PaymentsClient,
    journal: Journal,
    kind: BatchKind = "refunds",
    *,
    retry_failed: bool = False,
) -> Plan:
    return await prepare(
        path,
        kind,
        profile="shop",
        journal=journal,
        table=WorkTable(),
        fetch=api_figures(client, journal),
        concurrency=2,
        now=clock,
        retry_failed=retry_failed,
        claim=True,
    )


async def run(
    path: Path,
    client: PaymentsClient,
    journal: Journal,
    kind: BatchKind = "refunds",
    *,
    retry_failed: bool = False,
    on_settled: Callable[[Runner, Settled], None] = lambda runner, settled: None,
) -> tuple[Plan, Runner]:
    """Prepare the batch and send it, as the command does."""
    plan = await planned(path, client, journal, kind, retry_failed=retry_failed)
    operations = Operations(client, journal, "shop", clock)
    runner = Runner(plan, operations, concurrency=2)
    runner.on_settled = lambda settled: on_settled(runner, settled)
    try:
        await runner.run()
    finally:
        journal.release_batch(plan.identity.id, finished=False, now=NOW)
    return plan, runner


def row_at(plan: Plan, line: int) -> WorkRow:
    return next(row for row in plan.table.rows() if row.line == line)


def statuses(plan: Plan) -> dict[int, str]:
    return {row.line: row.report_row().status for row in plan.table.rows()}


def refunds_in_sandbox(db: Path) -> dict[str, list[int]]:
    """Payment id -> the amounts (minor units) of its refunds, in the sandbox's database,
    smallest first."""
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT payment_id, amount FROM refunds ORDER BY rowid").fetchall()
    refunds: dict[str, list[int]] = {}
    for payment_id, amount in found:
        refunds.setdefault(payment_id, []).append(amount)
    return {payment_id: sorted(amounts) for payment_id, amounts in refunds.items()}


class DropAnswers(httpx.AsyncBaseTransport):
    """The sandbox in process, but the answer to the POSTs of `lines` (the row's key ends
    in '-<line>') is lost after the sandbox committed it."""

    def __init__(self, app: FastAPI, lines: set[int]) -> None:
        self.inner = httpx.ASGITransport(app)
        self.lines = lines

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        key = request.headers.get("Idempotency-Key", "")
        if request.method == "POST" and int(key.rpartition("-")[2] or 0) in self.lines:
            raise httpx.ReadError("connection lost", request=request)
        return response


async def test_a_batch_refunds_each_row_once_and_a_second_run_sends_nothing(
    tmp_path: Path, sandbox_app: FastAPI, client: PaymentsClient, journal: Journal
) -> None:
    first, second = await paid(client), await paid(client, "30.00")
    path = csv_file(
        tmp_path,
        "Payment ID;Amount;Reference",
        f"{first};2,50;r-1",
        f"{first};1;r-2",
        f"{second};;all",
    )
    plan, runner = await run(path, client, journal)
    assert (plan.rows, plan.to_send, runner.stopped) == (3, 3, None)
    assert {code: (t.count, t.amount) for code, t in plan.totals.items()} == {
        "USD": (3, Decimal("33.50"))
    }
    assert statuses(plan) == {2: "done", 3: "done", 4: "done"}
    whole = row_at(plan, 4)
    assert (whole.amount, whole.whole) == (Decimal("30.00"), True)
    assert (whole.result_id or "").startswith("refund_")
    assert refunds_in_sandbox(tmp_path / "sandbox.db") == {first: [100, 250], second: [3000]}
    keys = sorted(entry.idempotency_key for entry in journal.recent())
    assert keys == sorted(plan.identity.row_key(line) for line in (2, 3, 4))

    again, runner = await run(path, client, journal)
    assert (again.counts, again.to_send, again.totals) == ({"done": 3}, 0, {})
    assert statuses(again) == {2: "done", 3: "done", 4: "done"}
    assert len(refunds_in_sandbox(tmp_path / "sandbox.db")[first]) == 2


async def test_every_problem_is_found_at_once_and_nothing_is_sent(
    tmp_path: Path, sandbox_app: FastAPI, client: PaymentsClient, journal: Journal
) -> None:
    good = await paid(client)
    declined = await paid_declined(client)
    path = csv_file(
        tmp_path,
        "payment_id,amount",
        f"{good},8.00",
        f"{good},3.00",  # with line 2: more than the 10.00 paid
        "pay_doesnotexist1234,1.00",
        f"{declined},1.00",
        "not-an-id,1.00",
        f"{good},0.001",
        "pay_doesnotexist1234,1.00",  # repeats line 4
    )
    with pytest.raises(Invalid) as invalid:
        await planned(path, client, journal)
    found = [(p.line, p.kind, p.column) for p in invalid.value.problems]
    assert found == [
        (3, "over_refund", "amount"),
        (4, "payment_not_found", "payment_id"),
        (5, "not_refundable", "payment_id"),
        (6, "invalid_payment_id", "payment_id"),
        (7, "invalid_amount", "amount"),
        (8, "duplicate_row", None),
    ]
    assert invalid.value.header == ("payment_id", "amount")
    assert refunds_in_sandbox(tmp_path / "sandbox.db") == {}
    assert journal.recent() == []
    assert journal.unfinished_batches(str(path.resolve()), "shop") == []


async def paid_declined(client: PaymentsClient) -> str:
    from console.api.errors import CardError

    request = PaymentCreate(amount=Decimal("5.00"), currency="USD", source="tok_chargeDeclined")
    with pytest.raises(CardError) as declined:
        await client.create_payment(request)
    assert declined.value.payment_id is not None
    return declined.value.payment_id


async def test_rows_whose_answer_was_lost_are_sent_again_as_journaled_with_their_keys(
    tmp_path: Path, sandbox_app: FastAPI, client: PaymentsClient, journal: Journal
) -> None:
    first, second = await paid(client), await paid(client)
    path = csv_file(tmp_path, "payment_id,amount", f"{first},", f"{second},4.00")
    async with client_for(sandbox_app, DropAnswers(sandbox_app, {2, 3})) as lossy:
        plan, _ = await run(path, lossy, journal)
    assert statuses(plan) == {2: "unknown", 3: "unknown"}
    # Both refunds went through: the whole one left nothing to refund, so a refund
    # recomputed from the file now would be refused. The journaled one is replayed.
    assert refunds_in_sandbox(tmp_path / "sandbox.db") == {first: [1000], second: [400]}

    again, _ = await run(path, client, journal)
    assert again.counts == {"resend": 2}
    assert statuses(again) == {2: "done", 3: "done"}
    assert refunds_in_sandbox(tmp_path / "sandbox.db") == {first: [1000], second: [400]}
    entries = journal.recent()
    assert sorted(e.status for e in entries) == ["succeeded", "succeeded"]
    assert {e.idempotency_key for e in entries} == {
        plan.identity.row_key(2),
        plan.identity.row_key(3),
    }


async def test_a_refused_row_is_reported_and_sent_again_only_when_asked(
    tmp_path: Path, sandbox_app: FastAPI, client: PaymentsClient, journal: Journal
) -> None:
    path = csv_file(
        tmp_path,
        "amount,currency,source,description",
        "10.00,USD,tok_visa,one",
        "20.00,USD,tok_chargeDeclined,two",
        "30.00,USD,tok_visa,three",
    )
    plan, _ = await run(path, client, journal, "payments")
    assert statuses(plan) == {2: "done", 3: "refused", 4: "done"}
    refused = row_at(plan, 3)
    assert refused.result_id is not None and refused.result_id.startswith("pay_")  # the decline
    assert "declined" in (refused.error or "")
    assert payments_in_sandbox(tmp_path / "sandbox.db") == 3

    again, _ = await run(path, client, journal, "payments")
    assert again.counts == {"done": 2, "refused": 1}
    assert statuses(again) == {2: "done", 3: "refused", 4: "done"}
    assert payments_in_sandbox(tmp_path / "sandbox.db") == 3

    retried, _ = await run(path, client, journal, "payments", retry_failed=True)
    assert retried.counts == {"done": 2, "retry": 1}
    assert statuses(retried) == {2: "done", 3: "refused", 4: "done"}
    assert payments_in_sandbox(tmp_path / "sandbox.db") == 4  # declined again, as a new try
    keys = [e.idempotency_key for e in journal.row_entries(plan.identity.row_key(3), "shop")]
    assert keys[0].startswith(plan.identity.row_key(3) + "-r") and len(keys) == 2


def payments_in_sandbox(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM payments").fetchone()[0])


async def test_a_refused_key_stops_the_batch_at_once_and_the_next_run_sends_the_rest(
    tmp_path: Path, sandbox_app: FastAPI, journal: Journal
) -> None:
    lines = ["amount,currency,source,description"]
    lines += [f"{n}.00,USD,tok_visa,row {n}" for n in range(1, 9)]
    path = csv_file(tmp_path, *lines)
    refused = PaymentsClient(
        BASE_URL, "sk_test_" + "0" * 24, max_retries=0, transport=httpx.ASGITransport(sandbox_app)
    )
    async with refused:
        plan, runner = await run(path, refused, journal, "payments")
    assert runner.stopped is not None and runner.stopped.startswith("The API refused the key")
    settled = statuses(plan)
    assert set(settled.values()) == {"not_sent"}
    tried = [e for e in journal.recent() if e.status == "failed"]
    assert 1 <= len(tried) <= 2  # the rows in flight when the first 401 came: no others
    assert payments_in_sandbox(tmp_path / "sandbox.db") == 0

    async with client_for(sandbox_app) as client:
        again, runner = await run(path, client, journal, "payments")
    assert again.counts == {"new": 8 - len(tried), "resend": len(tried)}
    assert set(statuses(again).values()) == {"done"}
    assert payments_in_sandbox(tmp_path / "sandbox.db") == 8


async def test_an_api_out_of_reach_stops_the_batch(tmp_path: Path, journal: Journal) -> None:
    lines = ["amount,currency,source,description"]
    lines += [f"{n}.00,USD,tok_visa,row {n}" for n in range(1, 6)]
    path = csv_file(tmp_path, *lines)
    async with PaymentsClient(
        "http://127.0.0.1:9/v1", "sk_test_" + "1" * 24, max_retries=0
    ) as down:
        plan, runner = await run(path, down, journal, "payments")
    assert runner.stopped is not None and "Nothing was sent" not in runner.stopped
    assert set(statuses(plan).values()) == {"not_sent"}
    assert len(journal.recent()) <= 2
    assert all(e.status == "failed" for e in journal.recent())


async def test_a_row_another_process_is_sending_is_left_to_it(
    tmp_path: Path, sandbox_app: FastAPI, client: PaymentsClient, journal: Journal
) -> None:
    payment = await paid(client)
    path = csv_file(tmp_path, "payment_id,amount", f"{payment},1.00", f"{payment},2.00")
    plan = await planned(path, client, journal)
    journal.release_batch(plan.identity.id, finished=False, now=NOW)
    entry = journal.record_pending(
        kind="refund",
        profile="shop",
        idempotency_key=plan.identity.row_key(2),
        request=RefundCreate(payment_id=payment, amount=Decimal("1.00")).to_wire(),
        now=NOW,
    )
    with sqlite3.connect(journal.path) as other:
        other.execute("UPDATE operations SET owner = '1:0' WHERE id = ?", (entry,))  # pid 1 runs
    again, _ = await run(path, client, journal)
    assert again.counts == {"busy": 1, "new": 1}
    assert statuses(again) == {2: "unknown", 3: "done"}
    assert refunds_in_sandbox(tmp_path / "sandbox.db") == {payment: [200]}


async def test_a_changed_file_is_refused_while_its_batch_is_unfinished(
    tmp_path: Path, sandbox_app: FastAPI, client: PaymentsClient, journal: Journal
) -> None:
    payment = await paid(client, "100.00")
    rows = [f"{payment},{n}.00" for n in (1, 2, 3)]
    path = csv_file(tmp_path, "payment_id,amount", *rows)

    def stop_after_one(runner: Runner, settled: Settled) -> None:
        runner.stop("enough")

    plan, _ = await run(path, client, journal, on_settled=stop_after_one)
    assert sorted(statuses(plan).values()) == ["done", "done", "not_sent"]  # 2 in flight
    path.write_text(path.read_text() + f"{payment},4.00\n")
    with pytest.raises(Refused, match="changed since a batch was run on it") as refused:
        await planned(path, client, journal)
    assert "2 succeeded" in str(refused.value)
    # Under another name it is a new batch, as the message says.
    renamed = path.rename(tmp_path / "changed.csv")
    changed = await planned(renamed, client, journal)
    assert changed.counts == {"new": 4}


async def test_a_batch_another_live_process_runs_is_not_run_twice(
    tmp_path: Path, sandbox_app: FastAPI, client: PaymentsClient, journal: Journal
) -> None:
    payment = await paid(client)
    path = csv_file(tmp_path, "payment_id,amount", f"{payment},1.00")
    plan = await planned(path, client, journal)
    with sqlite3.connect(journal.path) as other:
        other.execute("UPDATE batches SET owner = '1:0' WHERE id = ?", (plan.identity.id,))
    with pytest.raises(BatchBusy, match="being run by process 1"):
        await planned(path, client, journal)


async def test_a_refund_made_elsewhere_after_the_check_is_refused_by_the_api(
    tmp_path: Path, sandbox_app: FastAPI, client: PaymentsClient, journal: Journal
) -> None:
    first, second = await paid(client), await paid(client)
    path = csv_file(tmp_path, "payment_id,amount", f"{first},6.00", f"{second},6.00")
    plan = await planned(path, client, journal)
    await client.create_refund(RefundCreate(payment_id=first, amount=Decimal("5.00")))
    runner = Runner(plan, Operations(client, journal, "shop", clock), concurrency=2)
    await runner.run()
    assert statuses(plan) == {2: "refused", 3: "done"}
    assert refunds_in_sandbox(tmp_path / "sandbox.db") == {first: [500], second: [600]}


async def test_cancelled_mid_flight_the_rows_sent_are_unknown(
    tmp_path: Path, sandbox_app: FastAPI, journal: Journal
) -> None:
    lines = ["amount,currency,source,description"]
    lines += [f"{n}.00,USD,tok_visa,row {n}" for n in range(1, 6)]
    path = csv_file(tmp_path, *lines)

    class Stall(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                await asyncio.sleep(60)
            return await httpx.ASGITransport(sandbox_app).handle_async_request(request)

    async with client_for(sandbox_app, Stall()) as stalled:
        plan = await planned(path, stalled, journal, "payments")
        runner = Runner(plan, Operations(stalled, journal, "shop", clock), concurrency=2)
        task = asyncio.create_task(runner.run())
        while len(runner.in_flight) < 2 or len(journal.recent()) < 2:  # journaled, stalled
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert statuses(plan) == {
        2: "unknown",
        3: "unknown",
        4: "not_sent",
        5: "not_sent",
        6: "not_sent",
    }
    assert sorted(e.status for e in journal.recent()) == ["unknown", "unknown"]


async def test_a_journal_locked_mid_batch_stops_it_and_the_next_run_settles_every_row(
    tmp_path: Path, sandbox_app: FastAPI
) -> None:
    lines = ["amount,currency,source,description"]
    lines += [f"{n}.00,USD,tok_visa,row {n}" for n in range(1, 6)]
    path = csv_file(tmp_path, *lines)
    with Journal(tmp_path / "journal.sqlite3", busy_timeout_ms=50) as journal:
        locking = LockJournalOnRequest(sandbox_app, journal.path)

        class LockOnFirstPost(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if request.method == "POST" and not locked:
                    locked.append(True)
                    return await locking.handle_async_request(request)
                return await httpx.ASGITransport(sandbox_app).handle_async_request(request)

        locked: list[bool] = []
        async with client_for(sandbox_app, LockOnFirstPost()) as client:
            plan = await planned(path, client, journal, "payments")
            runner = Runner(plan, Operations(client, journal, "shop", clock), concurrency=1)
            await runner.run()
            locking.release()
            journal.release_batch(plan.identity.id, finished=False, now=NOW)
            assert runner.stopped is not None and "could not record" in runner.stopped
            assert payments_in_sandbox(tmp_path / "sandbox.db") == 1  # the first row's
            assert statuses(plan)[2] == "done"  # its answer came, the journal missed it
            assert set(list(statuses(plan).values())[1:]) == {"not_sent"}

            again, _ = await run(path, client, journal, "payments")
    assert again.counts == {"resend": 1, "new": 4}
    assert set(statuses(again).values()) == {"done"}
    assert payments_in_sandbox(tmp_path / "sandbox.db") == 5


async def test_a_new_row_is_recorded_and_sent_without_looking_for_earlier_attempts(
    tmp_path: Path, client: PaymentsClient, journal: Journal
) -> None:
    """Its key is the batch's own and the plan found no entry with it (the batch claimed
    by this run): the journal is not searched again before each row (a search per row
    also saw the other rows' fresh entries, in flight, as abandoned)."""
    payments = [await paid(client) for _ in range(3)]
    path = csv_file(tmp_path, "payment_id,amount", *(f"{p},1.00" for p in payments))
    plan = await planned(path, client, journal)
    searched: list[str] = []
    recover, unknown = journal.recover_abandoned, journal.unknown_with_key

    def recovering(**options: Any) -> int:
        searched.append("recover_abandoned")
        return recover(**options)

    def looking_up(*args: Any) -> list[JournalEntry]:
        searched.append("unknown_with_key")
        return unknown(*args)

    journal.recover_abandoned = recovering  # type: ignore[method-assign]
    journal.unknown_with_key = looking_up  # type: ignore[method-assign,assignment]
    try:
        await Runner(plan, Operations(client, journal, "shop", clock), concurrency=2).run()
    finally:
        journal.release_batch(plan.identity.id, finished=False, now=NOW)
    assert searched == []
    assert statuses(plan) == {2: "done", 3: "done", 4: "done"}
    assert [entry.status for entry in journal.recent()] == ["succeeded"] * 3
