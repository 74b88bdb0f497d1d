"""Pieces of the settings screen: how a profile reads in the list, and its key's status."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content

from console import credentials
from console.config import Profile

MODE_STYLES = {"sandbox": "$warning", "test": "$warning", "live": "bold $error"}


LEGEND = Content.assemble(("●", "$success"), " in use  ", ("★", "$accent"), " default")


def profile_prompt(profile: Profile, *, in_use: bool, default: bool) -> Content:
    """'● ★ shop  LIVE' for the profile list (see LEGEND)."""
    return Content.assemble(
        ("● " if in_use else "  ", "$success"),
        ("★ " if default else "  ", "$accent"),
        (profile.name, "bold"),
        " ",
        (profile.mode.upper(), MODE_STYLES.get(profile.mode, "")),
    )


@dataclass(frozen=True)
class KeyStatus:
    """Where a profile's key comes from, and the key masked (never the key itself)."""

    source: credentials.KeySource | None
    masked: str | None

    def describe(self) -> str:
        if self.source is None or self.masked is None:
            return "none stored"
        if self.source == "env":
            return f"{self.masked} from {credentials.ENV_VAR} (this run only)"
        return f"{self.masked} (OS keyring)"


def read_key_status(profile_name: str) -> KeyStatus:
    """Blocking (the keyring may be a D-Bus service): call it from a thread."""
    key = credentials.get_key(profile_name)
    if key is None:
        return KeyStatus(None, None)
    return KeyStatus(credentials.key_source(profile_name), credentials.mask(key))
