"""Home: unknown outcomes first, the day's figures, recent activity from the journal;
columns that fit 80, 100 and 160 columns without cutting an amount."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Sparkline, Static

from console.screens.home import HomeScreen, describe_entry
from console.screens.payment_detail import PaymentDetailScreen
from console.widgets.day_figures import DayFigures
from console.widgets.entry_table import EntryTable
from screenshots.scenarios import (
    BY_NAME,
    SIZE,
    Harness,
    build,
    home_with_activity,
    record_settled,
    seed_activity,
    settle,
)

SMALL = (80, 24)
BIG_ID = "pay_9194e725113d96d257b669af"


def table_lines(table: EntryTable) -> list[str]:
    """What the table shows, line by line (header first)."""
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]


def figure_lines(screen: Any) -> list[str]:
    figures = screen.query_one(DayFigures)
    return [
        " ".join(str(label.render()).split())
        for label in figures.query(".figures-text")
        if label.parent.display
    ]


def unknown(harness: Harness, number: int, amount: str = "1.00") -> None:
    entry = harness.journal.record_pending(
        kind="payment",
        profile="sandbox",
        idempotency_key=f"key-{number}",
        request={"amount": Decimal(amount), "currency": "USD", "source": "tok_visa"},
        now=harness.console_clock(),
        amount=Decimal(amount),
        currency="USD",
    )
    harness.journal.record_result(
        entry, status="unknown", now=harness.console_clock(), error="dropped"
    )


async def test_recent_activity_lists_the_journal_newest_first(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await home_with_activity(pilot)
        table = app.screen.query_one("#recent", EntryTable)
        rows = [[str(cell).strip() for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [str(column.label) for column in table.columns.values()] == [
            "Time (UTC)", "Kind", "Payment", "Amount", "Status", "Details"
        ]  # fmt: skip
        assert [row[1:5] for row in rows] == [
            ["payment", "—", "USD 19.99", "UNKNOWN"],
            ["payment", "pay_0003", "USD 5.00", "FAILED"],
            ["payment", "pay_0002", "EUR 42.50", "SUCCEEDED"],
            ["refund", "pay_0001", "USD 25.00", "SUCCEEDED"],
            ["payment", "pay_0001", "USD 100.00", "SUCCEEDED"],
        ]
        assert rows[1][5].startswith("Your card was declined. (dec")  # the reason first
        assert rows[2][5] == "Order #1002"
        assert rows[-1][0] == f"{table.entries[-1].created_at:%Y-%m-%d %H:%M:%S}"
        unknown = app.screen.query_one("#unknown", EntryTable)
        assert unknown.display and unknown.row_count == 1
        assert "1 operation with an unknown outcome" in str(
            app.screen.query_one("#unknown-title", Static).content
        )


async def test_enter_on_a_row_opens_its_payment(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await home_with_activity(pilot)
        table = app.screen.query_one("#recent", EntryTable)
        table.focus()
        table.move_cursor(row=2)  # EUR 42.50
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
        assert app.screen.payment_id == "pay_0002"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_the_home_screen_follows_new_payments(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        recent = app.screen.query_one("#recent", EntryTable)
        assert not recent.display  # nothing yet: only the hint
        assert not app.screen.query_one(DayFigures).display
        await seed_activity(app)
        await pilot.press("slash", "escape")  # coming back to home reloads it
        await settle(pilot)
        assert recent.display and recent.row_count == 5
        assert app.screen.query_one(DayFigures).display


def test_entries_are_described_for_the_retry_confirmation(harness: Harness) -> None:
    entry_id = harness.journal.record_pending(
        kind="refund",
        profile="sandbox",
        idempotency_key="k",
        request={"payment_id": "pay_1"},
        now=harness.console_clock(),
        payment_id="pay_1",
    )
    entry = harness.journal.get(entry_id)
    assert entry is not None
    assert describe_entry(entry) == "full refund of pay_1"


async def test_many_unknown_outcomes_show_the_newest_and_count_them_all(harness: Harness) -> None:
    from console.screens.home import UNKNOWN_LIMIT

    for number in range(UNKNOWN_LIMIT + 5):
        unknown(harness, number)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#unknown", EntryTable).row_count == UNKNOWN_LIMIT
        title = str(app.screen.query_one("#unknown-title", Static).content)
        assert f"{UNKNOWN_LIMIT + 5} operations with an unknown outcome" in title
        assert f"the newest {UNKNOWN_LIMIT} here" in title


async def test_a_retry_that_cannot_reach_the_api_leaves_it_unknown(harness: Harness) -> None:
    from console.api.client import PaymentsClient

    unknown(harness, 0, "3.00")
    [entry] = harness.journal.unknown()
    down = PaymentsClient("http://127.0.0.1:9/v1", "sk_test_x1234567", max_retries=0)
    app = harness.app(client=down)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("u", "y")
        await settle(pilot)
        [notice] = app._notifications
        assert notice.title == "Outcome still unknown"
        assert "Could not connect" in notice.message
        assert isinstance(app.screen, HomeScreen)
        assert [e.id for e in app.screen.unknown] == [entry.id]  # still offered for `u`
    still = harness.journal.get(entry.id)
    assert still is not None
    assert (still.status, still.idempotency_key) == ("unknown", "key-0")


# --- the day at a glance --------------------------------------------------------------


async def test_todays_figures_per_currency_count_only_what_succeeded(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await home_with_activity(pilot)  # a decline and an unknown outcome among it
        assert figure_lines(app.screen) == [
            "Today, 2 Mar Payments Taken Refunded Net",
            "USD 1 100.00 25.00 75.00",
            "EUR 1 42.50 0.00 42.50",
        ]
        sparks = [spark.data for spark in app.screen.query(Sparkline) if spark.parent.display]
        assert sparks == [[0] * 13 + [7500], [0] * 13 + [4250]]  # minor units, never floats


async def test_today_is_the_merchants_local_day(harness: Harness) -> None:
    """01:30 UTC on 2 March is still 1 March in New York: an entry of 20:00 New York time
    is today's, one of the night before is yesterday's."""
    new_york = ZoneInfo("America/New_York")
    harness.console_clock.now = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    today = datetime(2026, 3, 1, 20, 0, tzinfo=new_york)
    record_settled(harness.journal, "payment", "today", today, Decimal("10.00"), "USD")
    yesterday = datetime(2026, 2, 28, 23, 30, tzinfo=new_york)
    record_settled(harness.journal, "payment", "late", yesterday, Decimal("4.00"), "USD")
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.ctx.display_tz = new_york
        await pilot.press("g")
        await settle(pilot)
        assert figure_lines(app.screen)[:2] == [
            "Today, 1 Mar Payments Taken Refunded Net",
            "USD 1 10.00 0.00 10.00",
        ]
        [spark] = [spark for spark in app.screen.query(Sparkline) if spark.parent.display]
        assert spark.data == [0] * 12 + [400, 1000]


async def test_at_80x24_unknown_outcomes_figures_and_recent_activity_all_show(
    harness: Harness,
) -> None:
    for number in range(8):
        unknown(harness, number)
    now = harness.console_clock()
    for currency, amount in (("USD", "5.00"), ("EUR", "6.00"), ("JPY", "700"), ("KWD", "8.125")):
        record_settled(harness.journal, "payment", currency, now, Decimal(amount), currency)
    app = harness.app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#unknown", EntryTable).region.height >= 3
        assert "and 1 more currency in the last 14 days" in str(
            screen.query_one("#figures-more", Static).render()
        )
        recent = screen.query_one("#recent", EntryTable)
        assert recent.region.height >= 3  # its header and two rows at least
        assert recent.region.bottom <= screen.query_one("#home-hint").region.y
        assert not screen.show_vertical_scrollbar


# --- columns that give way -------------------------------------------------------------


def big_payments(harness: Harness) -> None:
    """Payments with real-length IDs, the largest amount allowed, and a description."""
    now = harness.console_clock()
    record_settled(harness.journal, "payment", "a" * 24, now, Decimal("99999999.99"), "USD")
    record_settled(harness.journal, "payment", "b" * 24, now, Decimal("1.5"), "KWD")


@pytest.mark.parametrize(
    ("size", "columns", "time"),
    [
        ((160, 45), ["Time (UTC)", "Kind", "Payment", "Amount", "Status", "Details"], 19),
        ((100, 30), ["Time (UTC)", "Kind", "Payment", "Amount", "Status"], 19),
        ((80, 24), ["Time (UTC)", "Payment", "Amount", "Status"], 12),
    ],
)
async def test_no_amount_is_ever_cut_and_status_always_shows(
    harness: Harness, size: tuple[int, int], columns: list[str], time: int
) -> None:
    big_payments(harness)
    app = harness.app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#recent", EntryTable)
        assert [str(column.label) for column in table.columns.values()] == columns
        kwd, usd = table_lines(table)[1:3]  # newest first
        assert f"pay_{'a' * 24}  USD 99,999,999.99  SUCCEEDED" in usd
        assert f"pay_{'b' * 24}          KWD 1.500  SUCCEEDED" in kwd
        when = usd.split("pay_")[0].split("payment")[0].strip()
        assert len(when) == time  # '2026-03-02 14:30:37', or '02 Mar 14:30' at 80 columns
        assert not table.show_horizontal_scrollbar
        assert table.virtual_size.width <= table.scrollable_content_region.width


async def test_a_resize_fits_the_columns_again(harness: Harness) -> None:
    big_payments(harness)
    app = harness.app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#recent", EntryTable)
        assert "Details" in [str(column.label) for column in table.columns.values()]
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert "Kind" not in [str(column.label) for column in table.columns.values()]
        assert "USD 99,999,999.99  SUCCEEDED" in table_lines(table)[2]


# --- snapshots at 80x24 (100x30: tests/tui/test_snapshots.py) ---------------------------


@pytest.mark.parametrize("name", ["home", "home_figures", "home_empty"])
def test_snapshot_at_80x24(name: str, harness: Harness, snap_compare: Callable[..., bool]) -> None:
    scenario = BY_NAME[name]
    app: Any = build(scenario, harness)
    assert snap_compare(app, press=scenario.press, terminal_size=SMALL, run_before=scenario.prepare)
