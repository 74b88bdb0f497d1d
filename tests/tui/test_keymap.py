"""The settings' [keymap] on screen: its keys run the actions, and the footer, the help and
the palette show them; an unknown id or a clash is a ConfigError naming them, when the
console starts (on its settings, or once its loader has read them), which the command
says in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Label

from console.app import make_app
from console.config import ConfigError, Settings, default_config_path
from console.context import Services
from console.screens.help import HelpScreen
from console.screens.home import HomeScreen
from console.screens.new_payment import NewPaymentScreen
from screenshots.scenarios import Harness, settle
from tests.services.cli_runner import Runner
from tests.services.test_startup_errors import one_line
from tests.tui.test_frame import shown_keys


def help_keys(table: DataTable[object], action: str) -> str:
    return next(
        str(table.get_row_at(row)[1])
        for row in range(table.row_count)
        if str(table.get_row_at(row)[2]) == action
    )


async def test_the_keymap_s_keys_run_and_show(harness: Harness) -> None:
    app = harness.app(keymap={"new_payment": "ctrl+n", "home.reload": "f5"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert not home.query_one("#header-read-only", Label).display
        assert "^n" in shown_keys(home)
        assert "n" not in shown_keys(home)
        assert "^n take a payment · / find a payment" in str(
            home.query_one("#home-hint", Label).content
        )
        [command] = [c for c in app.get_system_commands(home) if c.title == "New payment"]
        assert command.help.endswith("(^n)")
        [reload] = [c for c in app.get_system_commands(home) if c.title == "Reload"]
        assert reload.help.endswith("(f5)")
        await pilot.press("n")  # no longer its key
        await pilot.pause()
        assert app.screen is home
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-bindings", DataTable)
        assert help_keys(table, "New payment") == "^n"
        assert help_keys(table, "Reload") == "f5"
        assert help_keys(table, "History") == "h"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.resize_terminal(100, 30)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, NewPaymentScreen)


@pytest.mark.parametrize(
    ("keymap", "named"),
    [
        ({"new_payment": "ctrl+n", "pay_now": "f2"}, ["no binding has the id pay_now"]),
        ({"new_payment": "h"}, ["h is history and new_payment (everywhere)"]),
        ({"new_payment": "f2", "history": "f2"}, ["f2 is history and new_payment"]),
        ({"home.retry": "g"}, ["g is home.reload and home.retry (Home)"]),
        ({"help": "ctrl+s"}, ["ctrl+s is help and new_payment.submit (New payment)"]),
    ],
    ids=["unknown id", "a default key", "two entries", "a screen's key", "a priority key"],
)
def test_an_unknown_id_or_a_clash_is_a_config_error(
    harness: Harness, keymap: dict[str, str], named: list[str]
) -> None:
    with pytest.raises(ConfigError) as raised:
        harness.app(keymap=keymap)
    for words in named:
        assert words in str(raised.value)


async def test_a_loaded_keymap_that_clashes_ends_the_console_with_its_error(
    harness: Harness,
) -> None:
    settings = Settings(keymap={"new_payment": "h"})
    app = make_app(loader=lambda: Services(settings=settings, journal=harness.journal))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
    assert isinstance(app.load_error, ConfigError)
    assert "h is history and new_payment" in str(app.load_error)


def test_the_console_says_what_is_wrong_with_the_keymap_in_one_line(
    isolated_dirs: Path, tmp_path: Path
) -> None:
    """The real command: a plain line and exit 2, as for any unusable setting."""
    config = default_config_path()
    config.parent.mkdir(parents=True)
    config.write_text('[keymap]\nnew_payment = "h"\npay_now = "f2"\n', encoding="utf-8")
    run = Runner(home=isolated_dirs, keyring_file=tmp_path / "keyring.json")
    one_line(run(), "[keymap]", "pay_now", "h is history and new_payment")
