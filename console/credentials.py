"""The API key of each profile, in the OS keyring (or PAYMENTS_API_KEY for one run).

Service "payments-console", username = the profile's name. There is no plaintext
fallback: without a usable keyring backend, `KeyringUnavailableError` says what the
merchant can do instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import keyring
import keyring.backends.chainer
import keyring.backends.fail
from keyring.errors import InitError, KeyringError, KeyringLocked, PasswordDeleteError

from console.modes import Mode
from console.safe_text import mask_key

SERVICE = "payments-console"
ENV_VAR = "PAYMENTS_API_KEY"

KeySource = Literal["env", "keyring"]

_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{8,512}$")
_MODES: dict[str, Mode] = {
    "sk_test_": "test",
    "rk_test_": "test",
    "sk_live_": "live",
    "rk_live_": "live",
}

_T = TypeVar("_T")


class KeyringUnavailableError(Exception):
    """No usable OS keyring; the message lists the alternatives."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"No usable OS keyring to keep the API key ({reason}). You can: set "
            f"{ENV_VAR} in the environment for this run; install and unlock a Secret Service "
            "(gnome-keyring, KeePassXC) on Linux, or use the macOS Keychain / Windows "
            "Credential Locker; or choose a keyring backend with PYTHON_KEYRING_BACKEND. "
            "The key is never written to a plain file."
        )
        self.reason = reason


class InvalidKeyError(ValueError):
    """Text that cannot be an API key (empty, whitespace, control characters)."""


def ensure_available() -> None:
    """Raise KeyringUnavailableError unless a real keyring backend is configured."""
    backend = keyring.get_keyring()
    if isinstance(backend, keyring.backends.fail.Keyring) or (
        isinstance(backend, keyring.backends.chainer.ChainerBackend) and not backend.backends
    ):
        raise KeyringUnavailableError("no keyring backend is installed or running")


def _call(action: Callable[[], _T]) -> _T:
    ensure_available()
    try:
        return action()
    except KeyringLocked:
        raise KeyringUnavailableError("the keyring is locked") from None
    except InitError:
        raise KeyringUnavailableError(
            "the keyring could not be opened or unlocked (InitError)"
        ) from None
    except KeyringError as exc:
        raise KeyringUnavailableError(f"the keyring failed ({type(exc).__name__})") from None


def env_key() -> str | None:
    value = os.environ.get(ENV_VAR, "").strip()
    return value or None


def get_key(profile_name: str) -> str | None:
    """PAYMENTS_API_KEY if set, else the profile's key in the keyring, else None."""
    return env_key() or keyring_key(profile_name)


def keyring_key(profile_name: str) -> str | None:
    """The profile's key in the keyring (never PAYMENTS_API_KEY), else None."""
    return _call(lambda: keyring.get_password(SERVICE, profile_name))


def key_source(profile_name: str) -> KeySource | None:
    """Where `get_key` would find the key."""
    if env_key():
        return "env"
    return "keyring" if keyring_key(profile_name) else None


def check_key_shape(key: str) -> str:
    """The key stripped of surrounding whitespace; refuses what cannot be a key."""
    key = key.strip()
    if not _KEY_SHAPE.match(key):
        raise InvalidKeyError("Not an API key (8 to 512 printable characters, no spaces)")
    return key


def set_key(profile_name: str, key: str) -> None:
    key = check_key_shape(key)
    _call(lambda: keyring.set_password(SERVICE, profile_name, key))


def delete_key(profile_name: str) -> bool:
    """Remove the profile's key from the keyring; False when there was none."""

    def delete() -> bool:
        try:
            keyring.delete_password(SERVICE, profile_name)
        except PasswordDeleteError:
            return False
        return True

    return _call(delete)


def infer_mode(key: str) -> Mode | None:
    """'test' or 'live' from a recognisable prefix (sk_test_, rk_live_, ...), else None."""
    for prefix, mode in _MODES.items():
        if key.startswith(prefix):
            return mode
    return None


def mode_warning(key: str, mode: Mode, profile_name: str | None = None) -> str | None:
    """A warning when the key's prefix says another mode than the profile's, else None.

    Sandbox profiles use test keys, so a test key in sandbox mode is no mismatch.
    """
    inferred = infer_mode(key)
    if inferred is None or inferred == mode or (inferred == "test" and mode == "sandbox"):
        return None
    which = f"profile '{profile_name}'" if profile_name else "the profile"
    return f"This is a {inferred}-mode key ({mask(key)}) but {which} is in {mode} mode"


mask = mask_key
"""'sk_test_…a1b2': see `safe_text.mask_key`."""


@dataclass(frozen=True)
class KeyStatus:
    """Where a profile's key comes from, and the key masked (never the key itself)."""

    source: KeySource | None
    masked: str | None

    def describe(self) -> str:
        if self.source is None or self.masked is None:
            return "none stored"
        if self.source == "env":
            return f"{self.masked} from {ENV_VAR} (this run only)"
        return f"{self.masked} (OS keyring)"


def read_key_status(profile_name: str) -> KeyStatus:
    """Blocking (the keyring may be a D-Bus service): call it from a thread."""
    key = get_key(profile_name)
    if key is None:
        return KeyStatus(None, None)
    return KeyStatus(key_source(profile_name), mask(key))
