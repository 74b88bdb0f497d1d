"""First run: the local sandbox, or a base URL and key checked and kept in the keyring."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label, Select

from console import credentials
from console.config import load_settings
from console.screens.first_run import FirstRunScreen
from console.screens.home import HomeScreen
from console.widgets.panels import ErrorPanel
from screenshots.memory_keyring import MemoryKeyring
from screenshots.scenarios import BASE_URL, SIZE, Harness, settle
from tests.tui.helpers import field_error, fill


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
        await fill(pilot, "#base-url", BASE_URL)
        await fill(pilot, "#api-key", key)
        assert app.screen.query_one("#mode", Select).value == "test"  # inferred from sk_test_
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
        await fill(pilot, "#base-url", BASE_URL)
        await fill(pilot, "#api-key", "sk_test_this_key_is_wrong")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FirstRunScreen)
        assert field_error(screen, "api-key") == "The API did not accept this key"
        assert str(screen.query_one(ErrorPanel).content).startswith("API key not accepted")
        assert not screen.query_one("#first-run").disabled
    assert memory_keyring.passwords == {}
    assert not (harness.workdir / "config.toml").exists()


async def test_bad_fields_are_explained_before_anything_is_sent(harness: Harness) -> None:
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "#base-url", "http://payments.example.com/v1")
        await fill(pilot, "#api-key", "short")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FirstRunScreen)
        assert "https://" in field_error(screen, "base-url")
        assert field_error(screen, "api-key").startswith("Not an API key")
