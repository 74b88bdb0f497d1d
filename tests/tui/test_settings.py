"""Pilot tests of the settings screen: profiles, keys in an in-memory keyring, theme."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from textual.pilot import Pilot
from textual.widgets import Button, Input, OptionList, Select

from console import credentials
from console.app import PaymentsConsoleApp
from console.config import Profile, Settings, load_settings
from console.screens.confirm import ConfirmScreen
from console.screens.settings import SettingsScreen
from screenshots.memory_keyring import MemoryKeyring
from screenshots.scenarios import BASE_URL, SIZE, Harness, seed_activity, settle
from tests.fake_keys import live_key
from tests.tui.helpers import fill, open_screen, text_of

LIVE_KEY = live_key("abcdefghijklmnop5678")


@dataclass
class Console:
    app: PaymentsConsoleApp
    api_key: str
    config_path: Path


@pytest.fixture
def console(harness: Harness) -> Console:
    """The console on profile "sandbox", whose key is in the (in-memory) keyring."""
    api_key: str = harness.sandbox().state.api_key
    credentials.set_key("sandbox", api_key)
    return Console(harness.app(), api_key, harness.workdir / "config.toml")


async def choose(pilot: Pilot[None], selector: str, value: str) -> None:
    """Open a Select with Enter, move to `value` with the arrows, Enter."""
    select: Select[str] = pilot.app.screen.query_one(selector, Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    values = [option_value for _, option_value in select._options]
    steps = values.index(value) - values.index(select.value)  # type: ignore[arg-type]
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await pilot.pause()
    assert select.value == value


async def test_shows_the_profile_and_its_key_masked(console: Console) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        assert screen.selected == "sandbox"
        assert screen.query_one("#profile-base-url", Input).value == BASE_URL
        assert screen.query_one("#profile-mode", Select).value == "sandbox"
        shown = text_of(screen, "#profile-key-shown")
        assert shown == f"{credentials.mask(console.api_key)} (OS keyring)"
        assert console.api_key not in pilot.app.export_screenshot()


async def test_settings_round_trip(console: Console, memory_keyring: MemoryKeyring) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        # add a profile with a key
        await pilot.press("ctrl+n")
        await pilot.press(*"live-shop")
        await fill(pilot, "#profile-base-url", "https://api.example.com/v1")
        await choose(pilot, "#profile-mode", "live")
        await fill(pilot, "#profile-key", LIVE_KEY)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(screen, "#settings-status").startswith(
            "Saved profile 'live-shop' (live, https://api.example.com/v1). "
            "Key sk_live_…5678 stored in the OS keyring."
        )
        assert text_of(screen, "#profile-key-shown") == "sk_live_…5678 (OS keyring)"
        assert screen.query_one("#profile-key", Input).value == ""
        # edit it: another base URL
        await fill(pilot, "#profile-base-url", "https://payments.example.org")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # pick a theme
        await choose(pilot, "#settings-theme", "nord")
        await settle(pilot)
        assert pilot.app.theme == "nord"

    on_disk = load_settings(console.config_path)
    assert on_disk.profiles["live-shop"] == Profile(
        name="live-shop", base_url="https://payments.example.org", mode="live"
    )
    assert on_disk.profiles["sandbox"].base_url == BASE_URL
    assert on_disk.theme == "nord"
    assert memory_keyring.passwords[("payments-console", "live-shop")] == LIVE_KEY
    assert LIVE_KEY not in console.config_path.read_text()


async def test_a_key_of_another_mode_is_saved_with_a_warning(console: Console) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.press("ctrl+n", *"staging")
        await fill(pilot, "#profile-base-url", "https://staging.example.com")
        await fill(pilot, "#profile-key", LIVE_KEY)  # the mode stays "test"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(screen, "#settings-status").endswith(
            "Warning: This is a live-mode key (sk_live_…5678) but profile 'staging' is in "
            "test mode."
        )


async def test_invalid_fields_are_refused_under_the_field(console: Console) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.press("ctrl+n", *"bad name")
        await fill(pilot, "#profile-base-url", "http://api.example.com")
        await fill(pilot, "#profile-key", "short")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(screen, "#profile-name-error").startswith("a profile name is 1 to 64")
        assert text_of(screen, "#profile-base-url-error") == (
            "base URL must use https:// (plain http:// only for 127.0.0.1/localhost)"
        )
        await fill(pilot, "#profile-name", "fine")
        await fill(pilot, "#profile-base-url", "https://api.example.com")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(screen, "#profile-key-error").startswith("Not an API key")
    assert "fine" not in load_settings(console.config_path).profiles


async def test_connection_test_accepts_the_right_key_and_names_a_wrong_one(
    console: Console,
) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.press("ctrl+t")
        await settle(pilot)
        masked = credentials.mask(console.api_key)
        assert text_of(screen, "#settings-status") == (
            f"Connection OK: {BASE_URL} accepted the key {masked}."
        )
        await fill(pilot, "#profile-key", "sk_test_wrongwrongwrong1234")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text_of(screen, "#settings-problem") == (
            f"Key refused\n{BASE_URL} refused the key sk_test_…1234 (401). "
            "Paste the right key under New key, then save."
        )


async def test_switch_profile_then_delete_the_other(
    console: Console, memory_keyring: MemoryKeyring
) -> None:
    second = Profile(name="backup", base_url=BASE_URL, mode="test")
    console.app.ctx.settings = console.app.ctx.settings.with_profile(second)
    credentials.set_key("backup", console.api_key)
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.press("down")  # the list has the focus: highlight "backup"
        await pilot.pause()
        assert screen.selected == "backup"
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert pilot.app.ctx.profile == second
        assert text_of(screen, "#header-profile") == "profile backup"
        assert text_of(screen, "#header-mode") == "TEST"
        assert text_of(screen, "#settings-status") == (
            "Now using profile 'backup' (test); it is the default."
        )
        await pilot.press("up", "delete")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert text_of(screen, "#settings-status") == "Deleted profile 'sandbox' and its key."
        options = screen.query_one("#profile-list", OptionList)
        assert options.option_count == 1
        # the key of the profile in use can be removed too (after a confirmation)
        await pilot.press("ctrl+r", "y")
        await settle(pilot)
        assert text_of(screen, "#profile-key-shown") == "none stored"
    on_disk = load_settings(console.config_path)
    assert list(on_disk.profiles) == ["backup"]
    assert on_disk.default_profile == "backup"
    assert memory_keyring.passwords == {}


async def test_switching_to_a_profile_without_key_says_what_to_do(console: Console) -> None:
    console.app.ctx.settings = console.app.ctx.settings.with_profile(
        Profile(name="nokey", base_url="https://api.example.com", mode="test")
    )
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.press("down", "ctrl+o")
        await settle(pilot)
        assert "Profile 'nokey' has no API key yet" in text_of(screen, "#settings-problem")
        assert pilot.app.ctx.profile is not None
        assert pilot.app.ctx.profile.name == "sandbox"


async def test_a_missing_keyring_is_said_plainly(console: Console) -> None:
    keyring.set_keyring(FailKeyring())  # the conftest puts the previous one back
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        assert text_of(screen, "#profile-key-shown") == "unavailable: no usable OS keyring"
        problem = text_of(screen, "#settings-problem")
        assert problem.startswith("No keyring\nNo usable OS keyring")
        assert "PAYMENTS_API_KEY" in problem


async def test_the_buttons_run_the_screens_actions(console: Console) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.click("#settings-test")
        await settle(pilot)
        assert text_of(screen, "#settings-status").startswith("Connection OK:")
        await pilot.press("ctrl+n", *"staging")
        await fill(pilot, "#profile-base-url", "https://staging.example.com")
        await pilot.click("#settings-delete")  # greyed out: a new profile is not saved yet
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.click("#settings-save")
        await settle(pilot)
        assert text_of(screen, "#settings-status").startswith("Saved profile 'staging'")
        await pilot.click("#settings-delete")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
    assert "staging" in load_settings(console.config_path).profiles


# --- no keyring (issue 12, items 3 and 4) --------------------------------------------

BACKUP = Profile(name="backup", base_url=BASE_URL, mode="test")


def with_backup(console: Console) -> Console:
    """A second saved profile, "backup" ("sandbox" stays the default)."""
    console.app.ctx.settings = console.app.ctx.settings.with_profile(BACKUP)
    return console


@pytest.fixture
def no_keyring(console: Console) -> Console:
    """The console with profiles "sandbox" and "backup", and no usable keyring."""
    keyring.set_keyring(FailKeyring())  # the conftest puts the previous one back
    return with_backup(console)


async def test_deleting_without_a_keyring_deletes_and_says_what_becomes_the_default(
    no_keyring: Console,
) -> None:
    console = no_keyring
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        assert screen.selected == "sandbox"
        await pilot.press("delete")
        await pilot.pause()
        question = text_of(pilot, "#confirm-message")
        assert "cannot be removed: there is no usable OS keyring" in question
        assert question.endswith("'backup' becomes the default profile.")
        await pilot.press("y")
        await settle(pilot)
        assert screen.query_one("#profile-list", OptionList).option_count == 2  # + in use
        assert screen.selected == "backup"
        status = text_of(screen, "#settings-status")
        assert status.startswith(
            "Deleted profile 'sandbox'. Its key, if it had one, could not be removed: "
            "no usable OS keyring (no keyring backend is installed or running)."
        )
        assert "'backup' is now the default profile." in status
        assert not screen.query_one("#settings-problem").display
    on_disk = load_settings(console.config_path)
    assert list(on_disk.profiles) == ["backup"] and on_disk.default_profile == "backup"


async def test_deleting_the_last_profile_says_none_is_the_default(console: Console) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.press("delete", "y")
        await settle(pilot)
        assert text_of(screen, "#settings-status") == (
            "Deleted profile 'sandbox' and its key. No profile is the default now. "
            "This session stays connected until you switch profile."
        )
        assert text_of(screen, "#settings-form-title") == "New profile"


async def test_use_without_a_keyring_says_what_to_run_instead_of_repeating(
    no_keyring: Console,
) -> None:
    console = no_keyring
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        shown_first = text_of(screen, "#settings-problem")
        await pilot.press("down", "ctrl+o")
        await settle(pilot)
        problem = text_of(screen, "#settings-problem")
        assert problem != shown_first
        assert problem.startswith(
            "Cannot use profile 'backup'\nThere is no usable OS keyring to read its key from"
        )
        assert problem.endswith(
            "read -rs PAYMENTS_API_KEY && export PAYMENTS_API_KEY && "
            "payments-console --profile backup"
        )
        assert pilot.app.ctx.profile is not None and pilot.app.ctx.profile.name == "sandbox"


async def test_use_without_a_keyring_takes_the_key_in_the_environment(
    no_keyring: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = no_keyring
    monkeypatch.setenv("PAYMENTS_API_KEY", console.api_key)
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.press("down", "ctrl+o")
        await settle(pilot)
        assert pilot.app.ctx.profile == BACKUP
        assert text_of(screen, "#settings-status") == (
            "Now using profile 'backup' (test) with the key in PAYMENTS_API_KEY "
            f"({credentials.mask(console.api_key)}); it is the default."
        )
    assert load_settings(console.config_path).default_profile == "backup"


async def new_profile(pilot: Pilot[None], name: str, key: str = "") -> None:
    await pilot.press("ctrl+n", *name)
    await fill(pilot, "#profile-base-url", "https://api.example.com/v1")
    if key:
        await fill(pilot, "#profile-key", key)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_saving_without_a_keyring_saves_the_profile_and_says_what_to_run(
    console: Console,
) -> None:
    keyring.set_keyring(FailKeyring())
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await new_profile(pilot, "shop", "sk_test_typedtyped1234")
        assert text_of(screen, "#settings-status") == (
            "Saved profile 'shop' (test, https://api.example.com/v1). Its key was not "
            "stored: no usable OS keyring (no keyring backend is installed or running). "
            "Give the key in PAYMENTS_API_KEY for each run. Next (the key is read without "
            "echo): read -rs PAYMENTS_API_KEY && export PAYMENTS_API_KEY && "
            "payments-console --profile shop"
        )
        assert screen.selected == "shop"
    assert "shop" in load_settings(console.config_path).profiles
    assert "typedtyped" not in console.config_path.read_text()


async def test_saving_without_a_keyring_says_the_key_in_the_environment_is_used(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(FailKeyring())
    monkeypatch.setenv("PAYMENTS_API_KEY", "sk_test_fromtheenv1234")
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await new_profile(pilot, "shop")
        assert text_of(screen, "#settings-status").startswith(
            "Saved profile 'shop' (test, https://api.example.com/v1). "
            "PAYMENTS_API_KEY is set (sk_test_…1234) and will be used. "
            "Next: payments-console --profile shop"
        )
        assert text_of(screen, "#profile-key-shown") == (
            "sk_test_…1234 from PAYMENTS_API_KEY (this run only)"
        )


# --- every field, the default (issue 12, item 12) ----------------------------------


async def test_timeout_and_currency_are_edited_on_screen(console: Console) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        assert screen.query_one("#profile-timeout", Input).value == "10"
        await fill(pilot, "#profile-timeout", "0")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(screen, "#profile-timeout-error") == (
            "the seconds to wait for the API: a number above 0, at most 300"
        )
        await fill(pilot, "#profile-timeout", "2.5")
        screen.query_one("#profile-currency", Select).focus()
        await pilot.press(*"eur")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(screen, "#settings-status").startswith("Saved profile 'sandbox'")
        assert pilot.app.ctx.profile is not None and pilot.app.ctx.profile.currency == "EUR"
    saved = load_settings(console.config_path).profiles["sandbox"]
    assert (saved.timeout, saved.currency) == (2.5, "EUR")


async def test_a_profile_is_renamed_with_its_key(
    console: Console, memory_keyring: MemoryKeyring
) -> None:
    with_backup(console)
    credentials.set_key("backup", "sk_test_backupkey1234")
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await pilot.press("down")
        await fill(pilot, "#profile-name", "spare")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(screen, "#settings-status") == (
            "Renamed profile 'backup' to 'spare' and saved it."
        )
        assert text_of(screen, "#profile-key-shown") == "sk_test_…1234 (OS keyring)"
    assert list(load_settings(console.config_path).profiles) == ["sandbox", "spare"]
    assert ("payments-console", "backup") not in memory_keyring.passwords
    assert memory_keyring.passwords[("payments-console", "spare")] == "sk_test_backupkey1234"


async def test_a_profile_with_journal_entries_keeps_its_name(console: Console) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await seed_activity(console.app)
        screen = await open_screen(pilot, SettingsScreen, "s")
        await fill(pilot, "#profile-name", "renamed")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(screen, "#profile-name-error").startswith(
            "'sandbox' keeps its name: the journal files its payments and refunds under it"
        )
        assert list(pilot.app.ctx.settings.profiles) == ["sandbox"]
    assert not console.config_path.exists()


async def test_the_first_profile_saved_is_said_to_become_the_default(harness: Harness) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_screen(pilot, SettingsScreen, "s")  # from the first run
        options = screen.query_one("#profile-list", OptionList)
        assert options.option_count == 1 and options.get_option_at_index(0).disabled
        assert text_of(screen, "#settings-status") == (
            "No profile saved yet. "
            "The first profile you save becomes the default: the console opens on it."
        )
        await new_profile(pilot, "shop", "sk_test_typedtyped1234")
        assert text_of(screen, "#settings-status") == (
            "Saved profile 'shop' (test, https://api.example.com/v1). It is the default "
            "profile now: the console opens on 'shop'. Key sk_test_…1234 stored in the "
            "OS keyring."
        )
    assert load_settings(harness.workdir / "config.toml").default_profile == "shop"


async def test_the_profile_in_use_but_not_saved_is_listed(harness: Harness) -> None:
    app = harness.app()
    app.ctx.settings = Settings()  # as with --sandbox: the sandbox profile is not saved
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        option = screen.query_one("#profile-list", OptionList).get_option_at_index(0)
        assert option.disabled and "sandbox" in str(option.prompt)
        assert "this run only" in str(option.prompt)
        assert text_of(screen, "#settings-status").startswith(
            "In use now: profile 'sandbox' (this run only, not saved)."
        )


# --- 80x24 (issue 12, item 9) ---------------------------------------------------------


async def test_every_button_fits_at_80x24_and_focus_shows(console: Console) -> None:
    async with console.app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        for button in screen.query(Button):
            region = button.region
            assert region.right <= 80 and region.bottom <= 23, button.id  # above the footer
            assert region.width == len(str(button.label)) + 2, button.id  # not cut
        for field in ("#profile-timeout", "#profile-currency", "#profile-key"):
            assert screen.query_one(field).region.bottom < 23, field
        save = screen.query_one("#settings-save", Button)
        label = screen.query_one("#profile-timeout").parent.query_one(".profile-label")
        assert not save.rich_style.reverse and not label.rich_style.bold
        save.focus()
        await pilot.pause()
        assert save.rich_style.reverse and save.rich_style.bold  # the focused button
        screen.query_one("#profile-timeout").focus()
        await pilot.pause()
        assert label.rich_style.bold and not save.rich_style.reverse  # the focused field
        assert screen.query_one("#profile-timeout").region.height == 1  # its row not pushed


async def test_a_refused_key_is_said_under_the_key_only(console: Console) -> None:
    async with console.app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, SettingsScreen, "s")
        await fill(pilot, "#profile-key", "short")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert text_of(screen, "#profile-key-error").startswith("Not an API key")
        assert not screen.query_one("#profile-name-error").display
