"""The help screen lists every binding, filters them as you type (escape clears the filter,
then leaves), fits 80 and 100 columns (and a resize) without cutting a column; it (also
filtered) and the confirmation dialogs are snapshot at 80x24 (their 100x30 snapshots are
the scenarios' own, in test_snapshots and test_refund_history_settings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from console.screens.help import HelpScreen
from console.screens.home import HomeScreen
from screenshots import refund_history_settings, scenarios
from screenshots.scenarios import SIZE, Harness, Scenario, build, settle
from tests.tui.test_frame import shown_keys

FRAME_SCENARIOS = (
    scenarios.BY_NAME["help"],
    scenarios.BY_NAME["help_filtered"],
    scenarios.BY_NAME["new_payment_confirm"],
    scenarios.BY_NAME["home_retry_confirm"],
    *(s for s in refund_history_settings.SCENARIOS if s.name == "refund_live_confirm"),
)


async def test_help_lists_every_binding_of_the_console(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        table = app.screen.query_one("#help-bindings", DataTable)
        ids = {str(key.value) for key in table.rows}  # each row is keyed by its binding's id
    expected = {
        "new_payment",
        "find_payment",
        "refund",
        "history",
        "settings",
        "copy_id",
        "help",
        "back",
        "quit",
        "command_palette",
        "home.retry",
        "new_payment.submit",
        "confirm.yes",
        "confirm.no",
        "confirm.cancel",
        "first_run.connect",
    }
    assert expected <= ids


def shown_rows(table: DataTable[Any]) -> list[tuple[str, ...]]:
    return [tuple(map(str, table.get_row_at(row))) for row in range(table.row_count)]


async def test_help_filters_as_you_type_and_escape_clears_then_leaves(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark", *"REFUND")  # by action, any case
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        table = help_screen.query_one(DataTable)
        rows = shown_rows(table)
        assert rows and all("refund" in " ".join(row[1:]).lower() for row in rows)
        assert rows[0][0] == "Everywhere"  # each section named at its first row shown
        assert "esc" in shown_keys(help_screen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is help_screen
        assert help_screen.query_one(Input).value == ""
        assert table.row_count > len(rows)
        await pilot.press(*"^s")  # by key: every ctrl+s, whatever it does
        await pilot.pause()
        assert {row[2] for row in shown_rows(table)} >= {"Charge", "Receipt", "Save", "Refund"}
        await pilot.press(*"xyzzy")
        await pilot.pause()
        assert table.row_count == 0
        assert "No binding matches" in str(help_screen.query_one("#help-none").render())
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


def assert_fits(table: DataTable[Any]) -> None:
    """No sideways scrolling: every column, the wrapped descriptions too, is in view."""
    assert table.virtual_size.width <= table.scrollable_content_region.width
    assert any(row.height > 1 for row in table.rows.values())


async def test_help_fits_80_and_100_columns_and_a_resize(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        assert_fits(table)
        rows = table.row_count
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert_fits(table)
        assert table.row_count == rows


@pytest.mark.parametrize("scenario", FRAME_SCENARIOS, ids=lambda scenario: scenario.name)
def test_at_80x24(scenario: Scenario, harness: Harness, snap_compare: Callable[..., bool]) -> None:
    app: Any = build(scenario, harness)
    assert snap_compare(
        app, press=scenario.press, terminal_size=(80, 24), run_before=scenario.prepare
    )
