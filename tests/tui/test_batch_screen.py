"""The batch screen against the sandbox in process: the file's problems with their lines,
the dry run and its totals, a run to done (each payment refunded exactly once, counted in
the sandbox's database), leaving or quitting mid-batch (asked, then stopped cleanly), the
next console offering to resume it; snapshots at 80x24 and 100x30.

The files are small and written under HOME (tests/conftest.py isolates it), typed as
`~/name.csv` so that what the screen shows is the same on every run.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from console.api.client import PaymentsClient
from console.api.models import PaymentCreate
from console.app import PaymentsConsoleApp, make_app
from console.batch.batch_run import BatchRun
from console.config import Settings
from console.sandbox.faults import Faults
from console.screens.batch import CHECK, BatchScreen
from console.screens.batch_confirm import TypedTotalsConfirmScreen
from console.screens.confirm import ConfirmScreen
from console.screens.home import HomeScreen
from console.session import Connection, Session
from screenshots.scenarios import (
    BASE_URL,
    START,
    Harness,
    TickingClock,
    paste,
    profile,
    settle,
    take_payment,
)
from tests.tui.helpers import text_of, wait_for_groups

SIZES = ((80, 24), (100, 30))


class StoppedClock(TickingClock):
    """Always START: no time passes, so no rate is shown (a mid-run snapshot's figures
    would otherwise depend on how the rows interleave)."""

    def __call__(self) -> Any:
        return START


class InOrder(httpx.AsyncBaseTransport):
    """The sandbox, answering the refunds of `order`'s payments in that order (so their
    ids follow the lines), those of `held` once `gate` is set."""

    def __init__(self, inner: httpx.AsyncBaseTransport, order: list[str], held: set[str]) -> None:
        self.inner = inner
        self.order = order
        self.held = held
        self.gate = asyncio.Event()
        self.all_waiting = asyncio.Event()
        """Set once every refund held is waiting."""
        self.waiting = 0
        self.answered = 0
        self.turn = asyncio.Condition()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return await self.inner.handle_async_request(request)
        index = next(at for at, p in enumerate(self.order) if p.encode() in request.content)
        if self.order[index] in self.held:
            self.waiting += 1
            if self.waiting == len(self.held):
                self.all_waiting.set()
            await self.gate.wait()
        async with self.turn:
            await self.turn.wait_for(lambda: self.answered == index)
            response = await self.inner.handle_async_request(request)
            self.answered += 1
            self.turn.notify_all()
        return response


def ordered_client(
    harness: Harness, order: list[str], held: set[str] | None = None
) -> tuple[PaymentsClient, InOrder]:
    sandbox = harness.sandbox()
    transport = InOrder(httpx.ASGITransport(app=sandbox), order, held or set())
    return PaymentsClient(BASE_URL, sandbox.state.api_key, transport=transport), transport


async def pay(harness: Harness, *amounts: str) -> list[str]:
    """Payments in USD made by another client (not in the console's journal)."""
    ids = []
    async with harness.client() as client:
        for amount in amounts:
            request = PaymentCreate(amount=Decimal(amount), currency="USD", source="tok_visa")
            ids.append((await client.create_payment(request)).id)
    return ids


def write_csv(name: str, *lines: str) -> str:
    """The file under HOME; the path as typed: '~/name'."""
    (Path.home() / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"~/{name}"


def refunds_of(harness: Harness) -> dict[str, list[int]]:
    """Each payment's refunds in the sandbox (minor units)."""
    found: dict[str, list[int]] = {}
    with sqlite3.connect(harness.db_path) as db:
        for payment_id, amount in db.execute("SELECT payment_id, amount FROM refunds"):
            found.setdefault(payment_id, []).append(amount)
    return found


def table_rows(pilot: Pilot[Any], selector: str) -> list[list[str]]:
    table = pilot.app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


async def open_batch(pilot: Pilot[Any], path: str) -> BatchScreen:
    """b, the path pasted, Enter: the file checked."""
    await settle(pilot)
    await pilot.press("b")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BatchScreen)
    await check(pilot, path)
    return screen


async def check(pilot: Pilot[Any], path: str) -> None:
    field = pilot.app.screen.query_one("#batch-path", Input)
    field.value = ""
    field.focus()
    await paste(pilot, path)
    await pilot.press("enter")
    await settle(pilot)


async def send(pilot: Pilot[Any], *answer: str) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await pilot.press(*answer)
    await settle(pilot)


async def test_problems_then_a_dry_run_then_every_row_refunded_once(harness: Harness) -> None:
    first, second, third = await pay(harness, "10.00", "20.00", "30.00")
    bad = write_csv(
        "bad.csv",
        "payment_id,amount,reference",
        f"{first},1.234,r-1",
        "hello,5.00,r-2",
        f"{second},25.00,r-3",
    )
    good = write_csv(
        "refunds.csv", "payment_id,amount", f"{first},4.00", f"{second},", f"{third},5.50"
    )
    app = harness.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_batch(pilot, bad)
        assert "3 problems" in text_of(pilot, "#batch-status")
        problems = table_rows(pilot, "#batch-problems")
        assert [row[:2] for row in problems] == [
            ["2", "B amount"],
            ["3", "A payment_id"],
            ["4", "B amount"],
        ]
        assert problems[2][2] == "USD 25.00 is more than the USD 20.00 left to refund"
        assert pilot.app.screen.check_action("send", ()) is False

        await check(pilot, good)
        rows = table_rows(pilot, "#batch-rows")
        assert [row[0] for row in rows] == ["2", "3", "4"]
        assert rows[1][2:] == ["USD 20.00", "would refund (all that remains)"]
        assert text_of(pilot, "#batch-totals") == "Would refund USD 29.50 in 3 rows"
        assert refunds_of(harness) == {}  # a dry run sends nothing

        await send(pilot, "y")
        assert refunds_of(harness) == {first: [400], second: [2000], third: [550]}
        assert "3 rows: 3 done" in text_of(pilot, "#batch-status")
        assert text_of(pilot, "#batch-totals") == "Refunded USD 29.50 in 3 rows"
        assert table_rows(pilot, "#batch-rows")[0][3].startswith("done (refund_")

        await check(pilot, good)  # the same file again: every row done, nothing to send
        assert "3 done in an earlier run" in text_of(pilot, "#batch-status")
        assert pilot.app.screen.check_action("send", ()) is False
    assert refunds_of(harness) == {first: [400], second: [2000], third: [550]}


async def start_held_batch(pilot: Pilot[Any], transport: InOrder, path: str) -> BatchScreen:
    """The batch checked, confirmed, and sending: the rows `transport` holds in flight."""
    screen = await open_batch(pilot, path)
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.press("y")
    await transport.all_waiting.wait()
    await pilot.pause()
    return screen


async def test_leaving_mid_batch_asks_stops_cleanly_and_the_next_console_resumes_it(
    harness: Harness,
) -> None:
    ids = await pay(harness, "10.00", "10.00", "10.00", "10.00", "10.00")
    path = write_csv("refunds.csv", "payment_id,amount", *(f"{i},1.00" for i in ids))
    client, transport = ordered_client(harness, ids, set(ids[:4]))  # as many as are sent at once
    async with harness.app(client=client).run_test(size=(100, 30)) as pilot:
        screen = await start_held_batch(pilot, transport, path)
        fates = [row[3] for row in table_rows(pilot, "#batch-rows")]
        assert fates == ["sending…"] * 4 + ["would refund"]  # in flight, then not yet sent
        assert screen.check_action("failed", ()) is False
        assert pilot.app.check_action("history", ()) is None  # greyed out while sending
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        question = text_of(pilot, "#confirm-message")
        assert "The 4 rows in flight finish, then the batch stops: 1 row stays unsent" in question
        await pilot.press("y")
        await pilot.pause()
        assert pilot.app.screen is screen  # until the rows in flight are answered
        transport.gate.set()
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
    assert refunds_of(harness) == {i: [100] for i in ids[:4]}  # the last one unsent

    async with harness.app().run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert text_of(pilot, "#home-batch") == "Batch refunds.csv stopped at 4/5 · b to resume"
        await pilot.press("b")
        await settle(pilot)
        assert pilot.app.screen.query_one("#batch-path", Input).value.endswith("refunds.csv")
        assert "4 done in an earlier run" in text_of(pilot, "#batch-status")
        await send(pilot, "y")
        assert "5 rows: 5 done (4 of them in an earlier run)" in text_of(pilot, "#batch-status")
        await pilot.press("escape")
        await settle(pilot)
        assert not pilot.app.screen.query_one("#home-batch").display
    assert refunds_of(harness) == {i: [100] for i in ids}  # each exactly once


async def test_quitting_mid_batch_asks_then_quits_once_the_rows_in_flight_are_answered(
    harness: Harness,
) -> None:
    ids = await pay(harness, *["10.00"] * 5)
    path = write_csv("refunds.csv", "payment_id,amount", *(f"{i},1.00" for i in ids))
    client, transport = ordered_client(harness, ids, set(ids[:4]))
    app = harness.app(client=client)
    async with app.run_test(size=(80, 24)) as pilot:
        sending = await start_held_batch(pilot, transport, path)
        await app.push_screen(second := BatchScreen())  # the same file, a second screen
        await pilot.pause()
        await paste(pilot, path)
        await pilot.press("enter")
        await wait_for_groups(pilot, CHECK)  # not settle: the first one is still sending
        assert "is being sent by another batch screen" in text_of(pilot, "#batch-status")
        assert second.check_action("send", ()) is False
        app.pop_screen()
        await pilot.pause()
        assert app.screen is sending
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keeps sending
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.return_code is None  # the rows in flight first
        transport.gate.set()
        await settle(pilot)
        assert app.return_code == 0
    assert refunds_of(harness) == {i: [100] for i in ids[:4]}
    [record] = harness.journal.unfinished_batches(None, "sandbox")
    assert record.owner is None  # given up: the next run resumes it


async def test_a_live_batch_is_sent_once_each_currencys_total_is_typed(harness: Harness) -> None:
    path = write_csv(
        "payments.csv",
        "amount,currency,source,description",
        "10.00,USD,tok_visa,Order 1",
        "2.50,USD,tok_visa,Order 2",
        "900,JPY,tok_visa,Order 3",
    )
    app = harness.app(mode="live")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        await pilot.click("#batch-payments")
        await check(pilot, path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TypedTotalsConfirmScreen)
        await pilot.press(*"90", "enter", *"12.50", "enter")  # JPY first, then USD
        assert "type 900" in text_of(pilot, "#batch-live-error")
        assert isinstance(app.screen, TypedTotalsConfirmScreen)  # still asking
        await pilot.press(*"900", "enter", "enter")  # the wrong total is selected: replaced
        await settle(pilot)
        assert "3 rows: 3 done" in text_of(pilot, "#batch-status")
    with sqlite3.connect(harness.db_path) as db:
        assert db.execute("SELECT count(*) FROM payments").fetchone()[0] == 3


async def stop_a_batch_after_one_row(harness: Harness, path: str) -> None:
    """As an earlier console would: the file checked, one row sent, then stopped."""
    session = Session(
        harness.journal,
        clock=harness.console_clock,
        connection=Connection(profile(), harness.client()),
    )
    run = BatchRun(session, Path(path).expanduser(), "refunds", concurrency=1)
    await run.check()
    await run.send(lambda settled: run.stop())
    await run.close()


def read_only_app(harness: Harness) -> PaymentsConsoleApp:
    chosen = profile().model_copy(update={"read_only": True})
    settings = Settings(profiles={chosen.name: chosen}, default_profile=chosen.name)
    return make_app(
        client=harness.client(),
        journal=harness.journal,
        settings=settings,
        profile=chosen,
        clock=harness.console_clock,
        config_path=harness.workdir / "config.toml",
        display_tz=UTC,
        cursor_blink=False,
    )


async def test_a_read_only_profile_is_not_offered_to_resume_and_its_batch_screen_never_sends(
    harness: Harness,
) -> None:
    ids = await pay(harness, "10.00", "10.00", "10.00")
    path = write_csv("refunds.csv", "payment_id,amount", *(f"{i},1.00" for i in ids))
    await stop_a_batch_after_one_row(harness, path)
    app = read_only_app(harness)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert text_of(pilot, "#home-batch") == "Batch refunds.csv stopped at 1/3"
        await app.push_screen(BatchScreen())
        await settle(pilot)  # it opens on the stopped batch: a dry run
        assert "a read-only profile: nothing can be sent" in text_of(pilot, "#batch-status")
        assert app.screen.check_action("send", ()) is False  # not offered
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, BatchScreen)  # nothing asked
        [refusal] = [n for n in app._notifications if n.title == "Read-only profile"]
        assert "is read-only: it looks payments up" in refusal.message
    assert refunds_of(harness) == {ids[0]: [100]}


async def test_a_batch_row_left_unknown_is_listed_first_on_home_and_u_settles_it(
    harness: Harness,
) -> None:
    [paid] = await pay(harness, "10.00")
    write_csv("refunds.csv", "payment_id,amount", f"{paid},1.00")
    dropping = harness.client(harness.sandbox(Faults(drop_after_commit=1.0)), max_retries=0)
    session = Session(
        harness.journal, clock=harness.console_clock, connection=Connection(profile(), dropping)
    )
    run = BatchRun(session, Path.home() / "refunds.csv", "refunds")
    await run.check()
    await run.send(lambda settled: None)  # committed, then the connection dropped
    assert run.tally().counts["unknown"] == 1
    await run.close()
    async with harness.app().run_test(size=(100, 30)) as pilot:
        await take_payment(pilot, "3.00", "tok_visa")  # a newer operation, known
        await pilot.press("escape")
        await settle(pilot)
        assert "1 operation with an unknown outcome" in text_of(pilot, "#unknown-title")
        assert paid in " ".join(table_rows(pilot, "#unknown")[0])
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert not pilot.app.screen.query_one("#unknown").display
    assert refunds_of(harness) == {paid: [100]}  # the API answered with the first refund


# --- snapshots: the same states at 80x24 and 100x30 ---------------------------------------

PAYMENTS = [f"pay_{n:04d}" for n in range(1, 6)]
"""The snapshots' payments (the sandbox's ids are sequential), refunded in this order."""
HELD = set(PAYMENTS[2:])
"""Those whose refunds a mid-run snapshot holds in flight: the first two rows are done,
the next three in flight (as many as the batch sends at once: no other row starts)."""


def _snapshot_rows(ids: list[str]) -> list[str]:
    return [
        f"{ids[0]},4.00,r-1",
        f"{ids[1]},,r-2",
        *(f"{i},2.50,r-{n}" for n, i in enumerate(ids[2:], 3)),
    ]


async def _invalid(harness: Harness, pilot: Pilot[Any]) -> None:
    ids = await pay(harness, "10.00", "20.00")
    path = write_csv(
        "refunds.csv",
        "payment_id,amount,reference",
        f"{ids[0]},1.234,r-1",
        "hello,5.00,r-2",
        f"{ids[1]},25.00,r-3",
        "pay_9999,1.00,r-4",
        f"{ids[0]},1.234,r-1",
    )
    await open_batch(pilot, path)


async def _dry_run(harness: Harness, pilot: Pilot[Any]) -> None:
    ids = await pay(harness, "10.00", "20.00", "30.00", "40.00", "50.00")
    await open_batch(
        pilot, write_csv("refunds.csv", "payment_id,amount,reference", *_snapshot_rows(ids))
    )


async def _done(harness: Harness, pilot: Pilot[Any]) -> None:
    await _dry_run(harness, pilot)
    await send(pilot, "y")


SNAPSHOTS: dict[str, Callable[[Harness, Pilot[Any]], Any]] = {
    "invalid": _invalid,
    "dry_run": _dry_run,
    "done": _done,
}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("name", [*SNAPSHOTS, "progress"])
def test_snapshot(
    name: str, size: tuple[int, int], harness: Harness, snap_compare: Callable[..., bool]
) -> None:
    harness.console_clock = StoppedClock()  # no rate: the same figures on every run
    client, transport = ordered_client(harness, PAYMENTS, HELD if name == "progress" else None)

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        if name == "progress":
            ids = await pay(harness, "10.00", "20.00", "30.00", "40.00", "50.00")
            path = write_csv("refunds.csv", "payment_id,amount,reference", *_snapshot_rows(ids))
            await start_held_batch(pilot, transport, path)
        else:
            await SNAPSHOTS[name](harness, pilot)

    app: PaymentsConsoleApp = harness.app(client=client)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
