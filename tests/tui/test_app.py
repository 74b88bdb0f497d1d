"""The app shell: header and mode badge, bindings, help, command palette, styles, errors."""

from __future__ import annotations

import inspect
import subprocess
import sys
import threading
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Label

from console.api import errors
from console.app import PaymentsConsoleApp, make_app, styles_dir, stylesheets
from console.config import ConfigError, Profile, Settings
from console.context import Services
from console.error_text import describe_error
from console.paths import data_dir, exports_dir
from console.screens import registry
from console.screens.find_payment import FindPaymentScreen
from console.screens.first_run import FirstRunScreen
from console.screens.help import HelpScreen
from console.screens.home import HomeScreen
from console.screens.new_payment import NewPaymentScreen
from console.screens.palette import SCREENSHOT_DELAY, save_screenshot
from console.session import NotConnectedError
from screenshots.scenarios import SIZE, Harness, profile, settle, take_payment
from tests.tui.helpers import fill, until_opened


def header(app: PaymentsConsoleApp) -> tuple[str, str, set[str]]:
    profile = app.screen.query_one("#header-profile", Label)
    badge = app.screen.query_one("#header-mode", Label)
    return str(profile.content), str(badge.content), set(badge.classes)


async def test_header_shows_profile_and_mode_on_every_screen(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, screen in (
            ("n", NewPaymentScreen),
            ("escape", HomeScreen),
            ("slash", FindPaymentScreen),
            ("f1", HelpScreen),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen)
            assert header(app) == ("profile sandbox", "SANDBOX", {"-sandbox"})
            if isinstance(app.screen, FindPaymentScreen):
                await pilot.press("escape")


@pytest.mark.parametrize("mode", ["test", "live"])
async def test_mode_badge_names_the_mode(harness: Harness, mode: str) -> None:
    app = harness.app(mode=mode)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert header(app) == ("profile demo-shop", mode.upper(), {f"-{mode}"})


async def test_single_letter_bindings_stay_quiet_while_typing(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"nrhsc/?")
        await pilot.pause()
        assert isinstance(app.screen, NewPaymentScreen)
        assert app.screen.query_one("#amount", Input).value == "nrhsc/?"
        actions = {active.binding.action for active in app.screen.active_bindings.values()}
        assert not {"new_payment", "find_payment", "history", "settings"} & actions


async def test_escape_goes_back_and_ctrl_q_quits(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, FindPaymentScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("escape")  # nothing to go back to: stays home
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_command_palette_offers_every_action(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {
            "New payment",
            "Find",
            "Refund",
            "History",
            "Settings",
            "Help",
            "Quit",
            "Theme",
        } <= titles
        assert "Cursor up" not in titles  # widgets' own keys are not console actions
        await take_payment(pilot, "100", "tok_visa")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Copy ID", "Refund", "Back"} <= titles


async def test_palette_command_runs_its_action(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Find")
        await command.callback()
        await pilot.pause()
        assert isinstance(app.screen, FindPaymentScreen)


async def test_theme_comes_from_the_settings(harness: Harness) -> None:
    app = harness.app()
    app.ctx.settings = app.ctx.settings.model_copy(update={"theme": "nord"})
    themed = PaymentsConsoleApp(app.ctx)
    assert themed.theme == "nord"


def test_styles_are_found_and_loaded() -> None:
    directory = styles_dir()
    assert directory == Path(__file__).parents[2] / "styles"
    names = [Path(path).name for path in stylesheets()]
    assert names[0] == "app.tcss"
    assert sorted(names) == sorted(path.name for path in directory.glob("*.tcss"))
    assert stylesheets() == PaymentsConsoleApp.CSS_PATH


async def test_connector_supplies_the_client_after_the_first_frame(harness: Harness) -> None:
    app = harness.app(connected=False, connect=harness.connector())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.ctx.client is not None
        assert header(app) == ("profile sandbox", "SANDBOX", {"-sandbox"})


async def test_a_failing_connector_explains_and_offers_the_first_run(harness: Harness) -> None:
    async def broken() -> tuple[Profile, object]:
        raise errors.APIConnectionError("The sandbox did not start.", may_have_reached_server=False)

    app = harness.app(connected=False, connect=broken)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FirstRunScreen)
        assert any("did not start" in n.message for n in app._notifications)


async def test_actions_needing_the_api_are_disabled_until_connected(harness: Harness) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")  # leave the first-run screen
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)


async def test_the_first_frame_comes_before_settings_and_journal(harness: Harness) -> None:
    """With a loader, the home screen says the console is opening and the actions that need
    settings, journal or client stay disabled; once loaded, the home screen shows them."""
    harness.journal.record_pending(
        kind="payment",
        profile="sandbox",
        idempotency_key="k1",
        request={"amount": "5.00", "currency": "USD", "source": "tok_visa"},
        now=harness.console_clock(),
        amount=Decimal("5.00"),
        currency="USD",
    )
    gate = threading.Event()
    chosen = profile()

    def loader() -> Services:
        assert gate.wait(timeout=10), "the test never let the loader finish"
        settings = Settings(profiles={chosen.name: chosen}, default_profile=chosen.name)
        settings = settings.model_copy(update={"theme": "nord"})
        return Services(settings, harness.journal, chosen, harness.client())

    app = make_app(loader=loader, clock=harness.console_clock, display_tz=UTC, cursor_blink=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert not app.loaded
            assert isinstance(app.screen, HomeScreen)
            assert str(app.screen.query_one("#home-hint", Label).content) == "Opening…"
            profile_label, _, _ = header(app)
            assert profile_label == ""
            assert not app.screen.query_one("#header-mode", Label).display
            assert all(app.check_action(action, ()) is None for action in registry.NEEDS_CONTEXT)
            await pilot.press("n", "slash", "h", "s", "w")
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            titles = {command.title for command in app.get_system_commands(app.screen_stack[0])}
            assert not {"New payment", "Find", "History", "Settings", "Connect"} & titles
            assert app.theme != "nord"

            gate.set()
            await settle(pilot)
            assert app.loaded
            assert app.theme == "nord"
            assert header(app) == ("profile sandbox", "SANDBOX", {"-sandbox"})
            table = app.screen.query_one("#recent", DataTable)
            assert table.row_count == 1
            assert str(table.get_row_at(0)[3]).strip() == "USD 5.00"
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, NewPaymentScreen)
    finally:
        gate.set()


async def test_a_failing_loader_closes_the_console_and_keeps_why(harness: Harness) -> None:
    def loader() -> Services:
        raise ConfigError("Invalid settings")

    app = make_app(loader=loader)
    async with app.run_test(size=SIZE) as pilot:
        await until_opened(pilot)
    assert isinstance(app.load_error, ConfigError)
    assert app.return_code == 1


def test_make_app_takes_a_loader_or_the_services_not_both(harness: Harness) -> None:
    with pytest.raises(TypeError, match="not both"):
        make_app(loader=lambda: Services(Settings(), harness.journal), journal=harness.journal)
    with pytest.raises(TypeError, match="journal and settings"):
        make_app(journal=harness.journal)


# --- the one error mapping --------------------------------------------------------------

ERROR_CLASSES = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.PaymentsError) and cls.__module__ == errors.__name__
]


def make_error(cls: type[errors.PaymentsError]) -> errors.PaymentsError:
    if cls is errors.APIConnectionError:
        return cls("The connection failed.", may_have_reached_server=False)
    return cls("Something went wrong.", 400, "some_code", "req_0001")


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_client_error_class_gets_its_own_plain_message(
    cls: type[errors.PaymentsError],
) -> None:
    title, message = describe_error(make_error(cls))
    assert title and message
    assert title != "Unexpected error"
    assert "Traceback" not in message


def test_error_titles_are_distinct_per_class() -> None:
    titles = [describe_error(make_error(cls))[0] for cls in ERROR_CLASSES]
    assert len(set(titles)) == len(titles)


def test_a_connection_that_may_have_reached_the_server_is_an_unknown_outcome() -> None:
    title, message = describe_error(
        errors.APIConnectionError("Lost.", may_have_reached_server=True)
    )
    assert title == "Outcome unknown"
    assert "may have reached the server" in message
    assert "idempotency key" in message
    title, message = describe_error(
        errors.APIConnectionError("No route.", may_have_reached_server=False)
    )
    assert title == "Cannot reach the API"
    assert "Nothing was sent" in message


def test_a_decline_names_its_reason_and_payment() -> None:
    error = errors.CardError(
        "Your card was declined.", decline_code="generic_decline", payment_id="pay_0007"
    )
    assert describe_error(error) == (
        "Payment declined",
        "Your card was declined.\ndecline code generic_decline · declined payment pay_0007",
    )


def test_not_connected_is_explained() -> None:
    assert describe_error(NotConnectedError())[0] == "Not connected"


HEAVY = {"httpx", "pydantic", "pydantic_settings", "keyring", "fastapi", "uvicorn"}


@pytest.mark.parametrize(
    ("code", "heavy"),
    [
        ("import console.app", HEAVY),
        (
            "import console.cli; console.cli.build_parser()",
            HEAVY | {"textual", "importlib.metadata"},
        ),
    ],
    ids=["app", "cli"],
)
def test_the_first_frame_waits_for_nothing_heavy(code: str, heavy: set[str]) -> None:
    """Neither the command line's parser nor the app module imports httpx, pydantic(-settings),
    the keyring, FastAPI or uvicorn (nor the parser Textual or the package metadata)."""
    check = f"import sys; {code}; print(sorted(set({sorted(heavy)!r}) & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


async def test_the_palette_lists_each_action_once_and_no_back_at_home(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen_stack[0])]
        assert len(titles) == len(set(titles))
        assert "Back" not in titles
        assert "Focus Next" not in titles
        assert {"New payment", "Find", "History", "Settings"} <= set(titles)


async def test_the_palette_screenshot_is_saved_in_the_exports_dir_never_with_a_key(
    harness: Harness,
) -> None:
    key = "sk_test_" + "7" * 32
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await fill(pilot, "#profile-key", key)  # typed, not saved: drawn masked
        [command] = [c for c in app.get_system_commands(app.screen) if c.title == "Screenshot"]
        assert str(exports_dir()) in command.help
        command.callback()
        await pilot.pause(SCREENSHOT_DELAY * 3)
        [saved] = exports_dir().glob("*.svg")
        svg = saved.read_text(encoding="utf-8")
        assert "Settings" in svg and 'xml:space="preserve"' in svg
        assert key not in svg and key[-12:] not in svg
        assert any(n.message == f"Saved to {saved}" for n in app._notifications)
        # A place it cannot write to is said, and nothing else happens.
        exports = data_dir() / "exports"
        saved.unlink()
        exports.rmdir()
        exports.write_text("a file where the directory goes")
        assert save_screenshot(app) is None
        await pilot.pause()
        assert any(n.title == "Screenshot not saved" for n in app._notifications)
