"""First run: the local sandbox, or a profile and key checked and kept in the keyring (or,
without one, used for this run with the command that gives it next time)."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from textual.widgets import Label, Select

from console import credentials
from console.config import load_settings
from console.screens.first_run import FirstRunScreen
from console.screens.home import HomeScreen
from console.widgets.panels import ErrorPanel
from screenshots.memory_keyring import MemoryKeyring
from screenshots.scenarios import BASE_URL, SIZE, Harness, settle
from tests.tui.helpers import field_error, fill, text_of


async def test_no_profile_offers_the_local_sandbox(harness: Harness) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FirstRunScreen)
        assert app.focused is app.screen.query_one("#use-sandbox")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.ctx.profile is not None and app.ctx.profile.mode == "sandbox"
        assert str(app.screen.query_one("#header-mode", Label).content) == "SANDBOX"


async def test_a_base_url_and_key_are_checked_then_kept(
    harness: Harness, memory_keyring: MemoryKeyring
) -> None:
    key = harness.sandbox().state.api_key
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "#profile-name", "shop")
        await fill(pilot, "#profile-base-url", BASE_URL)
        await fill(pilot, "#profile-key", key)
        assert (
            app.screen.query_one("#profile-mode", Select).value == "test"
        )  # inferred from sk_test_
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert str(app.screen.query_one("#header-profile", Label).content) == "profile shop"
    assert credentials.get_key("shop") == key
    saved = load_settings(Path(harness.workdir / "config.toml"))
    assert saved.default_profile == "shop"
    assert saved.profiles["shop"].base_url == BASE_URL
    assert key not in (harness.workdir / "config.toml").read_text()


async def test_a_rejected_key_is_not_kept(harness: Harness, memory_keyring: MemoryKeyring) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "#profile-base-url", BASE_URL)
        await fill(pilot, "#profile-key", "sk_test_this_key_is_wrong")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FirstRunScreen)
        assert field_error(screen, "profile-key") == "The API did not accept this key"
        assert str(screen.query_one(ErrorPanel).content).startswith("API key not accepted")
        assert not screen.query_one("#first-run").disabled
    assert memory_keyring.passwords == {}
    assert not (harness.workdir / "config.toml").exists()


async def test_bad_fields_are_explained_before_anything_is_sent(harness: Harness) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "#profile-base-url", "http://payments.example.com/v1")
        await fill(pilot, "#profile-key", "short")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FirstRunScreen)
        assert "https://" in field_error(screen, "profile-base-url")
        assert field_error(screen, "profile-key").startswith("Not an API key")


async def test_without_a_keyring_the_key_is_used_for_this_run_and_the_profile_saved(
    harness: Harness,
) -> None:
    keyring.set_keyring(FailKeyring())  # the conftest puts the previous one back
    key = harness.sandbox().state.api_key
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(pilot, "#profile-key-shown") == (
            "no usable OS keyring: used for this run only, never stored"
        )
        await fill(pilot, "#profile-name", "shop")
        await fill(pilot, "#profile-base-url", BASE_URL)
        await fill(pilot, "#profile-key", key)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.ctx.profile is not None and app.ctx.profile.name == "shop"
        [said] = [n for n in app._notifications if n.title == "Key not stored"]
        assert said.message.startswith("Connected for this run only. Saved profile 'shop'")
        assert said.message.endswith(
            "read -rs PAYMENTS_API_KEY && export PAYMENTS_API_KEY && "
            "payments-console --profile shop"
        )
    config = harness.workdir / "config.toml"
    assert load_settings(config).default_profile == "shop"
    assert key not in config.read_text()


async def test_the_key_in_the_environment_is_used_when_none_is_typed(
    harness: Harness, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = harness.sandbox().state.api_key
    monkeypatch.setenv("PAYMENTS_API_KEY", key)
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(pilot, "#profile-key-shown") == (
            f"PAYMENTS_API_KEY ({credentials.mask(key)}) is used if none is typed"
        )
        await fill(pilot, "#profile-base-url", BASE_URL)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    assert memory_keyring.passwords == {("payments-console", "default"): key}


async def test_timeout_and_currency_are_chosen_on_the_first_run(harness: Harness) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await fill(pilot, "#profile-base-url", BASE_URL)
        await fill(pilot, "#profile-timeout", "30")
        app.screen.query_one("#profile-currency").focus()
        await pilot.press(*"jpy")
        await fill(pilot, "#profile-key", harness.sandbox().state.api_key)
        connect = app.screen.query_one("#first-run-connect")
        assert connect.region.bottom < 23  # on screen at 80x24, above the footer
        await pilot.click("#first-run-connect")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    saved = load_settings(harness.workdir / "config.toml").profiles["default"]
    assert (saved.timeout, saved.currency) == (30, "JPY")
