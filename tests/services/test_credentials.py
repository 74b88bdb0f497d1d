"""The API key in the keyring (in-memory backend here), env override, masking, modes."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from keyring.errors import KeyringLocked

from console import credentials
from console.credentials import (
    SERVICE,
    InvalidKeyError,
    KeyringUnavailableError,
    delete_key,
    get_key,
    infer_mode,
    key_source,
    mask,
    mode_warning,
    set_key,
)
from screenshots.memory_keyring import MemoryKeyring
from tests.fake_keys import live_key

KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"


def test_set_get_delete(memory_keyring: MemoryKeyring) -> None:
    assert get_key("shop") is None
    set_key("shop", f"  {KEY}\n")
    assert memory_keyring.passwords == {(SERVICE, "shop"): KEY}
    assert get_key("shop") == KEY
    assert get_key("other") is None
    assert key_source("shop") == "keyring"
    assert delete_key("shop") is True
    assert get_key("shop") is None
    assert delete_key("shop") is False


def test_environment_variable_wins_for_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    set_key("shop", KEY)
    monkeypatch.setenv("PAYMENTS_API_KEY", f" {live_key('fromtheenvironment99')} ")
    assert get_key("shop") == live_key("fromtheenvironment99")
    assert get_key("any-profile") == live_key("fromtheenvironment99")
    assert key_source("shop") == "env"
    monkeypatch.setenv("PAYMENTS_API_KEY", "   ")
    assert get_key("shop") == KEY


@pytest.mark.parametrize(
    "text", ["", "   ", "sk test with spaces", "short", "sk_test_\x00abcdefgh"]
)
def test_what_cannot_be_a_key_is_refused(text: str, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(InvalidKeyError):
        set_key("shop", text)
    assert memory_keyring.passwords == {}


def test_fail_backend_is_reported_with_the_options(isolated_dirs: Path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    for action in (lambda: get_key("shop"), lambda: set_key("shop", KEY), lambda: delete_key("a")):
        with pytest.raises(KeyringUnavailableError) as caught:
            action()
        message = str(caught.value)
        assert "PAYMENTS_API_KEY" in message
        assert "Secret Service" in message
        assert "gnome-keyring" in message
        assert "never written to a plain file" in message
        assert KEY not in message
    # No plaintext fallback: nothing was written anywhere under the isolated home.
    assert [path for path in isolated_dirs.rglob("*") if path.is_file()] == []


def test_fail_backend_with_the_environment_variable_still_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("PAYMENTS_API_KEY", KEY)
    assert get_key("shop") == KEY


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")


def test_backend_errors_become_keyring_unavailable() -> None:
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(KeyringUnavailableError, match="the keyring is locked"):
        get_key("shop")
    with pytest.raises(KeyringUnavailableError, match="the keyring is locked") as caught:
        set_key("shop", KEY)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("key", "mode"),
    [
        ("sk_test_abc", "test"),
        ("rk_test_abc", "test"),
        ("sk_live_abc", "live"),
        ("rk_live_abc", "live"),
        ("pk_test_abc", None),
        ("sk_abc", None),
        ("SK_TEST_abc", None),
        ("whatever", None),
    ],
)
def test_infer_mode(key: str, mode: str | None) -> None:
    assert infer_mode(key) == mode


def test_mode_warning() -> None:
    live = live_key("0123456789abcdefWXYZ")
    warning = mode_warning(live, "test", "shop")
    assert warning is not None
    assert "live-mode key" in warning
    assert "profile 'shop' is in test mode" in warning
    assert "sk_live_…WXYZ" in warning
    assert live not in warning
    assert mode_warning(KEY, "live") is not None
    assert mode_warning(KEY, "test") is None
    assert mode_warning(KEY, "sandbox") is None  # sandboxes take test keys
    assert mode_warning(live, "sandbox") is not None
    assert mode_warning("opaque-key-0123456789", "live") is None


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        (KEY, "sk_test_…p7dc"),
        (live_key("0123456789abcdefWXYZ"), "sk_live_…WXYZ"),
        ("rk_test_0123456789ab", "rk_test_…89ab"),
        ("sk_0123456789abcdef", "sk_…cdef"),
        ("opaque0123456789abcdef", "…cdef"),
        ("sk_test_short", "sk_test_…"),
        ("tiny", "…"),
    ],
)
def test_mask(key: str, masked: str) -> None:
    assert mask(key) == masked


def test_mask_never_reveals_more_than_four_characters_of_the_secret_part() -> None:
    shown = mask(KEY).removeprefix("sk_test_").removeprefix("…")
    assert len(shown) <= 4
    assert credentials.mask(KEY) != KEY
