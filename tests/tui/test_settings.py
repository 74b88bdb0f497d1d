"""Pilot tests of the settings screen: profiles, keys in an in-memory keyring, theme."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select

from console import credentials
from console.app import PaymentsConsoleApp
from console.config import Profile, load_settings
from console.screens.confirm import ConfirmScreen
from console.screens.settings import SettingsScreen
from screenshots.memory_keyring import MemoryKeyring
from screenshots.scenarios import BASE_URL, SIZE, Harness, settle
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
        assert text_of(screen, "#profile-key-shown") == "unavailable (no usable keyring)"
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
