"""The help screen lists every binding, fits 80 and 100 columns (and a resize) without
cutting a column; it and the confirmation dialogs are snapshot at 80x24 (their 100x30
snapshots are the scenarios' own, in test_snapshots and test_refund_history_settings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import DataTable

from console.screens.help import HelpScreen
from screenshots import refund_history_settings, scenarios
from screenshots.scenarios import SIZE, Harness, Scenario, build, settle

FRAME_SCENARIOS = (
    scenarios.BY_NAME["help"],
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
