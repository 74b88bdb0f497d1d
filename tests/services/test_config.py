"""Settings: TOML file, atomic writes, environment overrides, no secrets, safe base URLs."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import tomli_w

from console import config
from console.config import (
    ConfigError,
    Profile,
    Settings,
    UnknownProfileError,
    check_base_url,
    default_config_path,
    load_settings,
    save_settings,
)
from tests.fake_keys import live_key

SHOP = Profile(name="shop", base_url="https://api.example.com/v1", mode="live")
LOCAL = Profile(name="local", base_url="http://127.0.0.1:8000/v1", mode="sandbox", currency="eur")


def write(path: Path, data: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tomli_w.dumps(data).encode())
    return path


def test_default_locations_follow_xdg(isolated_dirs: Path) -> None:
    assert default_config_path() == isolated_dirs / "config/payments-console/config.toml"
    assert config.data_dir() == isolated_dirs / "data/payments-console"


def test_missing_file_gives_empty_settings() -> None:
    settings = load_settings()
    assert settings.profiles == {}
    assert settings.default_profile is None
    assert settings.theme == config.DEFAULT_THEME


def test_round_trip_is_atomic_and_private(tmp_path: Path) -> None:
    settings = Settings(theme="nord").with_profile(SHOP).with_profile(LOCAL)
    path = save_settings(settings)
    assert path == default_config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_settings() == settings
    assert load_settings().profiles["local"].currency == "EUR"
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]
    text = path.read_text()
    assert "[profiles.shop]" in text
    assert "name =" not in text  # the table name is the profile's name


def test_failed_write_keeps_the_old_file(monkeypatch: pytest.MonkeyPatch) -> None:
    path = save_settings(Settings().with_profile(SHOP))
    before = path.read_bytes()

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(config.tomli_w, "dump", explode)
    with pytest.raises(OSError, match="disk full"):
        save_settings(Settings().with_profile(LOCAL))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]


def test_config_path_option(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "my.toml"
    save_settings(Settings().with_profile(LOCAL), path)
    assert load_settings(path).get_profile().name == "local"
    assert not default_config_path().exists()


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(theme="nord").with_profile(SHOP).with_profile(LOCAL))
    monkeypatch.setenv("PAYMENTS_CONSOLE_DEFAULT_PROFILE", "local")
    monkeypatch.setenv("PAYMENTS_CONSOLE_THEME", "gruvbox")
    settings = load_settings()
    assert settings.default_profile == "local"
    assert settings.theme == "gruvbox"
    assert settings.get_profile().name == "local"


def test_saving_does_not_persist_an_environment_override(monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(theme="nord").with_profile(SHOP))
    monkeypatch.setenv("PAYMENTS_CONSOLE_THEME", "gruvbox")
    save_settings(load_settings().with_profile(LOCAL))
    monkeypatch.delenv("PAYMENTS_CONSOLE_THEME")
    settings = load_settings()
    assert settings.theme == "nord"
    assert set(settings.profiles) == {"shop", "local"}


def test_profiles_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = {"ci": {"base_url": "https://api.example.com", "mode": "test", "timeout": 3}}
    monkeypatch.setenv("PAYMENTS_CONSOLE_PROFILES", json.dumps(profiles))
    profile = load_settings().get_profile()
    assert (profile.name, profile.mode, profile.timeout) == ("ci", "test", 3.0)


@pytest.mark.parametrize(
    "data",
    [
        {"api_key": live_key("0123456789abcdef")},
        {"profiles": {"shop": {"base_url": "https://a.example", "mode": "live", "api_key": "x"}}},
        {"profiles": {"shop": {"base_url": "https://a.example", "mode": "live", "secret": "x"}}},
    ],
)
def test_a_secret_in_the_file_is_refused_without_echoing_it(data: dict[str, object]) -> None:
    write(default_config_path(), data)
    with pytest.raises(ConfigError, match="OS keyring") as caught:
        load_settings()
    assert live_key("0123456789abcdef") not in str(caught.value)


def test_a_profile_refuses_a_key_field() -> None:
    with pytest.raises(ValueError, match="keyring"):
        Profile.model_validate(
            {"name": "a", "base_url": "https://a.example", "mode": "test", "api_key": "sk_test_x"}
        )


def test_invalid_toml_names_the_file() -> None:
    path = default_config_path()
    path.parent.mkdir(parents=True)
    path.write_text("profiles = [\n")
    with pytest.raises(ConfigError, match="is not valid TOML") as caught:
        load_settings()
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"base_url": "http://api.example.com", "mode": "live"}, "https"),
        ({"base_url": "https://api.example.com", "mode": "prod"}, "mode"),
        ({"base_url": "https://api.example.com", "mode": "test", "currency": "XYZ"}, "XYZ"),
        ({"base_url": "https://api.example.com", "mode": "test", "timeout": 0}, "timeout"),
        ({"mode": "test"}, "base_url"),
    ],
)
def test_invalid_profiles_are_reported_plainly(profile: dict[str, object], message: str) -> None:
    write(default_config_path(), {"profiles": {"shop": profile}})
    with pytest.raises(ConfigError, match=message):
        load_settings()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/v1/", "https://api.example.com/v1"),
        ("  https://api.example.com  ", "https://api.example.com"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("http://127.5.6.7", "http://127.5.6.7"),
        ("http://localhost:9/v1", "http://localhost:9/v1"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_accepted_base_urls(url: str, expected: str) -> None:
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.example.com", "must use https"),
        ("http://10.0.0.1", "must use https"),
        ("ftp://api.example.com", "must start with https"),
        ("api.example.com", "must start with https"),
        ("https://", "must start with https"),
        ("https://user:pw@api.example.com", "user name or password"),
        ("https://api.example.com/?key=1", "query"),
        ("https://api.example.com:99999", "not a valid URL"),
    ],
)
def test_refused_base_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_base_url(url)


def test_get_profile_rules() -> None:
    with pytest.raises(UnknownProfileError, match="No profile is configured"):
        Settings().get_profile()
    only = Settings(profiles={"local": LOCAL})
    assert only.get_profile() == LOCAL
    both = Settings(profiles={"shop": SHOP, "local": LOCAL})
    with pytest.raises(UnknownProfileError, match=r"No default profile.*shop, local"):
        both.get_profile()
    with pytest.raises(UnknownProfileError, match=r"Unknown profile 'x' \(known: shop, local\)"):
        both.get_profile("x")
    assert both.model_copy(update={"default_profile": "shop"}).get_profile() == SHOP


def test_with_and_without_profile_keep_a_valid_default() -> None:
    settings = Settings().with_profile(SHOP)
    assert settings.default_profile == "shop"
    settings = settings.with_profile(LOCAL)
    assert settings.default_profile == "shop"
    assert settings.with_profile(LOCAL, make_default=True).default_profile == "local"
    settings = settings.without_profile("shop")
    assert (list(settings.profiles), settings.default_profile) == (["local"], "local")
    assert settings.without_profile("local").default_profile is None


def test_a_profile_filed_under_another_name_is_refused() -> None:
    with pytest.raises(ValueError, match="filed under"):
        Settings(profiles={"other": SHOP})


def test_written_file_never_holds_a_key_even_if_env_has_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAYMENTS_API_KEY", "sk_test_0123456789abcdefXYZW")
    path = save_settings(load_settings().with_profile(SHOP))
    assert "sk_test_" not in path.read_text()
    assert os.environ["PAYMENTS_API_KEY"] not in path.read_text()


def test_a_config_file_that_is_not_utf8_is_a_config_error() -> None:
    path = default_config_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe[profiles]\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        config.read_config_file(path)


def test_read_only_and_the_keymap_round_trip() -> None:
    audit = SHOP.model_copy(update={"name": "audit", "read_only": True})
    settings = Settings(keymap={"new_payment": "ctrl+n", "history": " f3 , h "}).with_profile(audit)
    path = save_settings(settings)
    text = path.read_text()
    assert "read_only = true" in text and "[keymap]" in text
    loaded = load_settings()
    assert loaded.profiles["audit"].read_only is True
    assert loaded.keymap == {"new_payment": "ctrl+n", "history": "f3,h"}
    assert Profile(name="x", base_url="https://a.example/v1", mode="test").read_only is False


@pytest.mark.parametrize("keys", ["", "ctrl+", "ctrl n", "f3,,h", "Ä"])
def test_a_keymap_entry_that_names_no_key_is_refused_naming_it(keys: str) -> None:
    write(default_config_path(), {"keymap": {"new_payment": keys}})
    with pytest.raises(ConfigError, match=r"keymap\.new_payment"):
        load_settings()
