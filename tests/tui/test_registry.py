"""The registry of screens and actions: every row opens its screen, is in the help and in
the command palette where it applies; screens are imported on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import DataTable

from console.app import PaymentsConsoleApp
from console.screens import registry
from console.screens.confirm import ConfirmScreen
from console.screens.first_run import FirstRunScreen
from console.screens.home import HomeScreen
from console.screens.payment_detail import PaymentDetailScreen
from screenshots.scenarios import SIZE, Harness, home_with_activity, settle, take_payment

SCREEN_ROWS = [row for row in registry.ACTIONS if row.screen is not None]


def palette_titles(app: PaymentsConsoleApp) -> set[str]:
    return {command.title for command in app.get_system_commands(app.screen)}


@pytest.mark.parametrize("row", SCREEN_ROWS, ids=[row.action for row in SCREEN_ROWS])
async def test_every_row_opens_its_screen(harness: Harness, row: registry.Action) -> None:
    connected = row.action != "first_run"
    app = harness.app(connected=connected)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if not connected:
            await pilot.press("escape")  # the first run opened by itself: leave it
            await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert row.title in palette_titles(app)
        await app.run_action(row.action)
        await pilot.pause()
        assert isinstance(app.screen, row.screen_class())
        if not row.payment_id:
            # On its own screen it does nothing, so it is neither shown nor offered.
            assert app.check_action(row.action, ()) is False
            offered = {(c.title, c.help) for c in app.get_system_commands(app.screen)}
            assert not any(t == row.title and h.startswith(row.tooltip) for t, h in offered)
            await app.run_action(row.action)
            await pilot.pause()
            assert len(app.screen_stack) == 2


async def test_every_row_appears_in_help(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("#help-bindings", DataTable)
        labels = [str(column.label) for column in table.columns.values()]
        ids = {str(key.value) for key in table.rows}
        actions = {str(table.get_row_at(row)[2]) for row in range(table.row_count)}
    assert "Id" not in labels
    for row in registry.ACTIONS:
        assert row.title in actions
        if row.key is not None:
            assert row.action in ids
    assert "home.connect" in ids  # the first run's key is the home screen's


async def test_the_palette_offers_every_app_action_where_it_applies(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        at_home = palette_titles(app)
        await take_payment(pilot, "100", "tok_visa")
        assert isinstance(app.screen, PaymentDetailScreen)
        on_a_payment = palette_titles(app)
    for row in registry.ACTIONS:
        if row.action == "first_run":
            assert row.title not in at_home | on_a_payment  # connected already
        elif row.action in {"copy_id", "back"}:
            assert row.title in on_a_payment
            assert row.title not in at_home
        else:
            assert row.title in at_home


async def test_retry_is_offered_by_the_palette_for_an_unknown_outcome(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Retry unknown" not in palette_titles(app)  # nothing unknown yet
        await home_with_activity(pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Retry unknown")
        assert "Connect" not in palette_titles(app)
        await command.callback()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        # Over a dialog, the app's actions are not offered (its keys do not reach them).
        assert not {"New payment", "Help", "Retry unknown"} & palette_titles(app)


async def test_connect_is_offered_by_the_palette_until_connected(harness: Harness) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert titles.count("Connect") == 1  # home's `w` and the registry row are one
        await pilot.press("h")
        await settle(pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Connect")
        await command.callback()
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)


async def found_in_palette(app: PaymentsConsoleApp, pilot: Pilot[None], query: str) -> list[str]:
    """What ctrl+p lists for `query`, typed into the real command palette."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*query)
    await pilot.pause(0.3)
    options = app.screen.query_one(CommandList)
    found = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    await pilot.press("escape")
    await pilot.pause()
    return found


async def test_ctrl_p_finds_retry_connect_and_copy(harness: Harness) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert any("Connect" in found for found in await found_in_palette(app, pilot, "connect"))
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await home_with_activity(pilot)
        assert any("Retry" in found for found in await found_in_palette(app, pilot, "retry"))
        await take_payment(pilot, "100", "tok_visa")
        assert any("Copy ID" in found for found in await found_in_palette(app, pilot, "copy"))


def test_screens_are_imported_on_first_use() -> None:
    """Importing the app (and its registry) imports the home screen, no other."""
    modules = sorted(row.screen.partition(":")[0] for row in SCREEN_ROWS if row.screen)
    check = f"import sys, console.app; print(sorted(set({modules!r}) & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout
