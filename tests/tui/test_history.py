"""Pilot tests of the history screen: newest first, filter, open, export, paging."""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from bench.history import fill_journal
from console.api.errors import APIConnectionError, CardError
from console.api.models import PaymentCreate, RefundCreate
from console.operations import OperationFailed, Operations
from console.paths import exports_dir
from console.screens.history import HistoryScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.screens.save_path import SavePathScreen
from console.widgets.history_table import PAGE_SIZE, HistoryTable
from screenshots.refund_history_settings import HISTORY_SCENARIOS
from screenshots.scenarios import SIZE, Harness, Scenario, build, record_settled, settle
from tests.tui.helpers import field_error, open_screen, text_of, unreachable_client


async def record_activity(harness: Harness) -> None:
    """Through the console's journal: pay_0001, pay_0002, pay_0003 declined, pay_0004,
    and refunds of pay_0001 and pay_0004."""
    sandbox = Operations(harness.client(), harness.journal, "sandbox", harness.console_clock)

    async def pay(amount: str, source: str = "tok_visa") -> str:
        request = PaymentCreate(amount=Decimal(amount), currency="USD", source=source)
        sent = await sandbox.create_payment(request)
        return sent.result.id

    async def refund(payment_id: str, amount: str) -> None:
        request = RefundCreate(payment_id=payment_id, amount=Decimal(amount))
        await sandbox.create_refund(request)

    first = await pay("100.00")
    await pay("25.50")
    await refund(first, "40.00")
    with pytest.raises(OperationFailed) as declined:
        await pay("19.99", source="tok_chargeDeclined")
    assert isinstance(declined.value.cause, CardError)
    assert declined.value.outcome == "refused"
    third = await pay("250.00")
    await refund(third, "25.00")


async def type_filter(pilot: Pilot[None], text: str) -> None:
    """Type into the filter and wait for the debounced query to land."""
    await pilot.press(*text)
    await pilot.pause(0.2)
    await settle(pilot)


def rows(screen: HistoryScreen) -> list[tuple[str, ...]]:
    table = screen.query_one(HistoryTable)
    return [tuple(str(cell) for cell in table.get_row_at(n)) for n in range(table.row_count)]


async def test_every_operation_newest_first(harness: Harness) -> None:
    await record_activity(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        table = screen.query_one(HistoryTable)
        assert [str(column.label) for column in table.columns.values()] == [
            "Time (UTC)",
            "Kind",
            "Payment",
            "Amount",
            "Status",
            "Details",
        ]
        assert [row[1:5] for row in rows(screen)] == [
            ("refund", "pay_0004", "USD 25.00", "SUCCEEDED"),
            ("payment", "pay_0004", "USD 250.00", "SUCCEEDED"),
            ("payment", "pay_0003", "USD 19.99", "FAILED"),
            ("refund", "pay_0001", "USD 40.00", "SUCCEEDED"),
            ("payment", "pay_0002", "USD 25.50", "SUCCEEDED"),
            ("payment", "pay_0001", "USD 100.00", "SUCCEEDED"),
        ]
        entry = harness.journal.recent(1)[0]
        assert rows(screen)[0][0] == f"{entry.created_at:%Y-%m-%d %H:%M:%S}"
        assert rows(screen)[2][5].startswith("Your card was declined.")
        detail = f"key {entry.idempotency_key} · by alice"  # a refund, and who sent it
        assert text_of(screen, "#history-detail") == detail
        assert text_of(screen, "#history-count") == "6 operations on profile sandbox, newest first"
        assert screen.query_one("#history-filter", Input).has_focus


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pay_0001", [("refund", "USD 40.00"), ("payment", "USD 100.00")]),
        ("failed", [("payment", "USD 19.99")]),
        ("25", [("refund", "USD 25.00"), ("payment", "USD 250.00"), ("payment", "USD 25.50")]),
        ("refund 40", [("refund", "USD 40.00")]),
    ],
)
async def test_filter_as_you_type(
    harness: Harness, typed: str, expected: list[tuple[str, str]]
) -> None:
    await record_activity(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        await type_filter(pilot, typed)
        assert [(row[1], row[3]) for row in rows(screen)] == expected
        count = len(expected)
        matches = "operation matches" if count == 1 else "operations match"
        assert (
            text_of(screen, "#history-count") == f"{count} {matches} “{typed}” on profile sandbox"
        )


async def test_escape_clears_the_filter_then_goes_back(harness: Harness) -> None:
    await record_activity(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        await type_filter(pilot, "failed")
        assert len(rows(screen)) == 1
        await pilot.press("escape")
        await pilot.pause(0.2)
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.query_one("#history-filter", Input).value == ""
        assert screen.query_one("#history-filter", Input).has_focus
        assert len(rows(screen)) == 6
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is not screen


async def test_filter_keystrokes_are_debounced(harness: Harness) -> None:
    await record_activity(harness)
    queried: list[str] = []
    page = harness.journal.page_after

    def counting_page(  # type: ignore[no-untyped-def]
        filter_text: str = "", after_id: int | None = None, limit: int = 100, **options
    ) -> list:  # type: ignore[type-arg]
        queried.append(filter_text)
        return page(filter_text, after_id, limit, **options)

    harness.journal.page_after = counting_page  # type: ignore[method-assign]
    async with harness.app().run_test(size=SIZE) as pilot:
        await open_screen(pilot, HistoryScreen, "h")
        queried.clear()
        await type_filter(pilot, "pay_0004")
    assert queried[-1] == "pay_0004"
    assert len(queried) < len("pay_0004")


async def test_enter_opens_the_payment(harness: Harness) -> None:
    await record_activity(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        await open_screen(pilot, HistoryScreen, "h")
        await type_filter(pilot, "pay_0002")
        await pilot.press("enter")  # from the filter to the table
        await pilot.press("enter")  # opens the highlighted row's payment
        await settle(pilot)
        detail = pilot.app.screen
        assert isinstance(detail, PaymentDetailScreen)
        assert detail.payment_id == "pay_0002"


async def test_export_writes_the_filtered_rows_where_the_prompt_says(
    harness: Harness, isolated_dirs: Path
) -> None:
    await record_activity(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        await type_filter(pilot, "refund")
        await pilot.press("enter", "e")
        await pilot.pause()
        prompt = pilot.app.screen
        assert isinstance(prompt, SavePathScreen)
        default = Path(prompt.query_one("#save-path", Input).value)
        assert default.parent == exports_dir()  # no Downloads folder: the data directory
        assert default.name.startswith("payments-history-20260302-")
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(screen, "#history-status") == (
            f"Exported 2 operations matching “refund” on profile sandbox to {default}"
        )
    with default.open(newline="") as file:
        exported = list(csv.DictReader(file))
    assert [(row["kind"], row["payment_id"], row["amount"]) for row in exported] == [
        ("refund", "pay_0004", "25.00"),
        ("refund", "pay_0001", "40.00"),
    ]
    assert not list(Path.cwd().glob("payments-history-*.csv"))  # never the working directory


async def test_export_goes_to_a_downloads_folder_or_the_path_typed(
    harness: Harness, isolated_dirs: Path
) -> None:
    await record_activity(harness)
    downloads = isolated_dirs / "Downloads"
    downloads.mkdir()
    (downloads / "taken.csv").write_text("mine\n")
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        await pilot.press("down", "e")  # from the filter to the table, then export
        await pilot.pause()
        field = pilot.app.screen.query_one("#save-path", Input)
        assert Path(field.value).parent == downloads
        await pilot.press(*"taken.csv", "enter")  # typed over the selected default
        await pilot.pause()
        assert field_error(pilot, "save-path") == (
            f"{downloads / 'taken.csv'} exists already: choose another name"
        )
        field.value = ""
        await pilot.press(*"nowhere/x.csv", "enter")
        await pilot.pause()
        assert field_error(pilot, "save-path").startswith("There is no directory")
        field.value = ""
        await pilot.press(*"march.csv", "enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert text_of(screen, "#history-status").endswith(f"to {downloads / 'march.csv'}")
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
    assert sorted(path.name for path in downloads.iterdir()) == ["march.csv", "taken.csv"]
    assert (downloads / "taken.csv").read_text() == "mine\n"


async def test_pages_load_as_the_cursor_nears_the_end(harness: Harness) -> None:
    fill_journal(harness.journal, PAGE_SIZE * 2 + 50, profile="sandbox")
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        table = screen.query_one(HistoryTable)
        assert table.row_count == PAGE_SIZE
        total = PAGE_SIZE * 2 + 50
        assert text_of(screen, "#history-count") == (
            f"{total} operations on profile sandbox, newest first"
            f" · {PAGE_SIZE} shown, more load as you scroll"
        )
        await pilot.press("down", "end")
        await settle(pilot)
        assert table.row_count == PAGE_SIZE * 2
        await pilot.press("end")
        await settle(pilot)
        assert table.row_count == total
        assert (
            text_of(screen, "#history-count")
            == f"{total} operations on profile sandbox, newest first"
        )
        ids = [row[5] for row in rows(screen)]
        assert len(set(ids)) == total  # no row twice, none missing


async def test_a_row_without_payment_id_says_so(harness: Harness) -> None:
    request = PaymentCreate(amount=Decimal("5.00"), currency="USD", source="tok_visa")
    unreachable = Operations(
        unreachable_client(), harness.journal, "sandbox", harness.console_clock
    )
    with pytest.raises(OperationFailed) as failed:
        await unreachable.create_payment(request)
    assert isinstance(failed.value.cause, APIConnectionError)
    assert failed.value.outcome == "not_sent"
    async with harness.app().run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert pilot.app.screen is screen
        (notice,) = pilot.app._notifications
        assert notice.title == "Nothing to open"


async def test_a_declines_reason_and_code_are_shown(harness: Harness) -> None:
    await record_activity(harness)
    async with harness.app().run_test(size=(160, 45)) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        await type_filter(pilot, "failed")
        key = screen.query_one(HistoryTable).entries[0].idempotency_key
        assert rows(screen)[0][5:] == (
            key[:8] + "…",
            "Your card was declined. (decline code generic_decline)",
        )
        assert text_of(screen, "#history-detail") == (
            "Declined: Your card was declined. (decline code generic_decline)"
            f" · source tok_chargeDeclined · key {key} · by alice"
        )


async def test_an_entry_added_while_scrolling_repeats_no_row(harness: Harness) -> None:
    """Keyset pages: a new entry is newer than every row shown, so the next page starts
    exactly after the last row loaded (an offset would repeat that row)."""
    total = PAGE_SIZE * 2 + 50
    fill_journal(harness.journal, total, profile="sandbox")
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        fill_journal(harness.journal, 1, profile="sandbox")  # recorded meanwhile
        await pilot.press("down", "end")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        ids = [entry.id for entry in screen.query_one(HistoryTable).entries]
        assert ids == list(range(total, 0, -1))
        await pilot.press("g")  # reading again shows it first
        await settle(pilot)
        assert screen.query_one(HistoryTable).entries[0].id == total + 1


async def test_matches_are_counted_up_to_a_limit(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.screens import history
    from console.widgets import history_table

    monkeypatch.setattr(history, "COUNT_LIMIT", 150)
    monkeypatch.setattr(history_table, "COUNT_LIMIT", 150)
    fill_journal(harness.journal, 250, profile="sandbox")
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        assert text_of(screen, "#history-count") == (
            f"150+ operations on profile sandbox, newest first · {PAGE_SIZE} shown,"
            " more load as you scroll"
        )
        await pilot.press("down", "e")
        await pilot.pause()
        assert str(pilot.app.screen.query_one("#save-path-title").render()) == (
            "Export 150+ operations to CSV"
        )


async def test_at_80x24_no_amount_is_cut_and_status_shows(harness: Harness) -> None:
    now = harness.console_clock()
    record_settled(harness.journal, "payment", "a" * 24, now, Decimal("99999999.99"), "USD")
    async with harness.app().run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, HistoryScreen, "h")
        table = screen.query_one(HistoryTable)
        assert [str(column.label) for column in table.columns.values()] == [
            "Time (UTC)", "Payment", "Amount", "Status"
        ]  # fmt: skip
        assert f"pay_{'a' * 24}  USD 99,999,999.99  SUCCEEDED" in table.render_line(1).text
        assert not table.show_horizontal_scrollbar


@pytest.mark.parametrize(
    "scenario",
    [scenario for scenario in HISTORY_SCENARIOS if scenario.name != "history_empty"],
    ids=lambda scenario: scenario.name,
)
def test_snapshot_at_80x24(
    scenario: Scenario, harness: Harness, snap_compare: Callable[..., bool]
) -> None:
    app: Any = build(scenario, harness)
    assert snap_compare(
        app, press=scenario.press, terminal_size=(80, 24), run_before=scenario.prepare
    )
