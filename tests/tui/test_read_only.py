"""A read-only profile on screen: READ-ONLY beside the mode; new payment, refund and the
retry of an unknown outcome absent from the footer, the help and the palette, and refused
(with a plain message, nothing sent) when reached anyway; the settings form's read-only
box saved to the config file."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

from textual.widgets import Checkbox, DataTable, Label

from console.app import PaymentsConsoleApp
from console.screens.confirm import ConfirmScreen
from console.screens.help import HelpScreen
from console.screens.home import HomeScreen
from console.screens.settings import SettingsScreen
from screenshots.scenarios import BY_NAME, SIZE, Harness, build, settle
from tests.tui.helpers import payments_in_sandbox
from tests.tui.test_frame import shown_keys

MONEY_TITLES = {"New payment", "Refund", "Retry unknown"}


def refusals(app: PaymentsConsoleApp) -> int:
    return sum(n.title == "Read-only profile" for n in app._notifications)


async def test_what_moves_money_is_absent_and_refused(harness: Harness) -> None:
    scenario = BY_NAME["home_read_only"]
    app = build(scenario, harness)
    async with app.run_test(size=SIZE) as pilot:
        await scenario.prepare(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert home.query_one("#header-read-only", Label).display
        assert home.query_one("#unknown").has_focus  # an unknown outcome is selected
        assert not {"n", "r", "u"} & shown_keys(home)
        assert {"/", "h"} <= shown_keys(home)
        titles = {command.title for command in app.get_system_commands(home)}
        assert not MONEY_TITLES & titles
        assert "Find" in titles
        sent = payments_in_sandbox(harness)

        # Reached anyway: the keys, Enter on the unknown outcome, the action itself.
        for keys in (("n",), ("r",), ("u",), ("enter",)):
            before = refusals(app)
            await pilot.press(*keys)
            await pilot.pause()
            assert refusals(app) == before + 1, keys
            assert app.screen is home
        app.action_open("new_payment")
        await pilot.pause()
        assert app.screen is home and not isinstance(app.screen, ConfirmScreen)
        assert payments_in_sandbox(harness) == sent

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-bindings", DataTable)
        ids = {str(key.value) for key in table.rows}
        actions = {str(table.get_row_at(row)[2]) for row in range(table.row_count)}
        where = {str(table.get_row_at(row)[0]) for row in range(table.row_count)}
    assert not {"new_payment", "refund", "home.retry", "new_payment.submit"} & ids
    assert not MONEY_TITLES & actions
    assert {"find_payment", "history", "home.reload"} <= ids
    assert not {"New payment", "Refund"} & where  # the screens only money opens


async def test_the_settings_form_saves_read_only(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        box = app.screen.query_one("#profile-read-only", Checkbox)
        assert box.value is False
        box.focus()
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        saved = tomllib.loads((harness.workdir / "config.toml").read_text(encoding="utf-8"))
        assert saved["profiles"]["sandbox"]["read_only"] is True
        assert app.ctx.settings.profiles["sandbox"].read_only


def test_read_only_home_at_80x24(harness: Harness, snap_compare: Callable[..., bool]) -> None:
    """(At 100x30: the scenario's own snapshot, in test_snapshots.)"""
    scenario = BY_NAME["home_read_only"]
    app: Any = build(scenario, harness)
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenario.prepare)
