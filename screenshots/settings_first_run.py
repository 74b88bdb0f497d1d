"""Deterministic scenarios of the settings screen and the first run, at 80x24 and 100x30.

The same `Scenario`s as screenshots/scenarios.py, used by tests/tui/test_settings_snapshots.py
(at both `SIZES`) and by `make screenshots` (at 100x30). Each scenario installs the
keyring it needs first (an in-memory one, or none at all), so none depends on another.
"""

from __future__ import annotations

from typing import Any

import keyring
from keyring.backends.fail import Keyring as NoKeyring
from textual.pilot import Pilot
from textual.widgets import Input

from console import credentials
from console.app import PaymentsConsoleApp
from console.config import Profile
from console.screens.first_run import FirstRunScreen
from screenshots.memory_keyring import MemoryKeyring
from screenshots.scenarios import BASE_URL, Scenario, paste, settle

SIZES = ((80, 24), (100, 30))

DEMO_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
"""The key shown (masked) by the settings scenarios; the sandbox does not accept it."""

SHOP_EU = Profile(
    name="shop-eu",
    base_url="https://eu.api.paymentprocessing.com/v1",
    mode="test",
    timeout=30,
    currency="EUR",
)


def _app(pilot: Pilot[Any]) -> PaymentsConsoleApp:
    app = pilot.app
    assert isinstance(app, PaymentsConsoleApp)
    return app


async def _settings(pilot: Pilot[Any]) -> None:
    """Settings on profiles "sandbox" (in use, the default, its key in the keyring) and
    "shop-eu" (no key yet)."""
    keyring.set_keyring(MemoryKeyring())
    ctx = _app(pilot).ctx
    credentials.set_key(ctx.profile_name, DEMO_KEY)
    ctx.settings = ctx.settings.with_profile(SHOP_EU)
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)


async def _settings_empty(pilot: Pilot[Any]) -> None:
    """Settings opened from the first run: nothing saved yet."""
    keyring.set_keyring(MemoryKeyring())
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)


async def _settings_no_keyring(pilot: Pilot[Any]) -> None:
    """No usable OS keyring: a new profile saved with a key, which is not stored."""
    keyring.set_keyring(NoKeyring())
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    await pilot.press("ctrl+n", *"shop", "tab")
    await paste(pilot, "https://api.paymentprocessing.com/v1")
    pilot.app.screen.query_one("#profile-key").focus()
    await paste(pilot, DEMO_KEY)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def _settings_new_profile(pilot: Pilot[Any]) -> None:
    await _settings(pilot)
    await pilot.press("ctrl+n", *"shop eu", "tab")
    await paste(pilot, "http://payments.example.com")
    await pilot.press("ctrl+s")
    await settle(pilot)


async def _settings_key_refused(pilot: Pilot[Any]) -> None:
    await _settings(pilot)
    pilot.app.screen.query_one("#settings-test").focus()  # its focus shows too
    await pilot.press("enter")
    await settle(pilot)


# --- the first run --------------------------------------------------------------------


async def _first_run_no_keyring(pilot: Pilot[Any]) -> None:
    """No usable OS keyring: the first run says the key is for this run only."""
    keyring.set_keyring(NoKeyring())
    screen = pilot.app.screen
    assert isinstance(screen, FirstRunScreen)
    screen.read_key_note()  # read at mount, before this scenario took the keyring away
    await settle(pilot)


async def _first_run_refused(pilot: Pilot[Any]) -> None:
    """A key the API refuses: said under the key and in the panel; nothing is saved."""
    keyring.set_keyring(MemoryKeyring())
    await settle(pilot)
    screen = pilot.app.screen
    for field, text in (("#profile-base-url", BASE_URL), ("#profile-key", DEMO_KEY)):
        screen.query_one(field, Input).value = ""
        screen.query_one(field).focus()
        await paste(pilot, text)
    await pilot.press("ctrl+s")
    await settle(pilot)


SCENARIOS = (
    Scenario("settings", "Settings: profiles, the key masked, every field, the theme", _settings),
    Scenario(
        "settings_empty",
        "Settings on the first run: nothing saved yet, what becomes the default",
        _settings_empty,
        connected=False,
    ),
    Scenario(
        "settings_no_keyring",
        "Settings without a keyring: the profile saved, the key not, what to run next",
        _settings_no_keyring,
    ),
    Scenario(
        "settings_new_profile",
        "Settings: a new profile refused field by field",
        _settings_new_profile,
    ),
    Scenario(
        "settings_key_refused",
        "Settings: the connection test names a refused key",
        _settings_key_refused,
    ),
    Scenario(
        "first_run_no_keyring",
        "First run without a keyring: the key is for this run only",
        _first_run_no_keyring,
        connected=False,
    ),
    Scenario(
        "first_run_refused",
        "First run: a key the API refuses, said under the field",
        _first_run_refused,
        connected=False,
    ),
)

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
