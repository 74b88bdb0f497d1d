"""A profile: where to reach an API and how to present it (a table of the config file)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console import money
from console.modes import Mode
from console.wire.base_url import check_base_url

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SECRET_WORDS = ("key", "secret", "token", "password", "credential", "authorization")
_NOT_SECRETS = frozenset({"keymap"})
"""Settings whose names contain a secret word but hold none."""


def refuse_secrets(data: Any, where: str) -> None:
    """Refuse a field named like a secret: keys live in the OS keyring, never in the file."""
    if not isinstance(data, dict):
        return
    for name in data:
        if name in _NOT_SECRETS:
            continue
        if any(word in str(name).lower() for word in _SECRET_WORDS):
            raise ValueError(
                f"'{name}' is not allowed in {where}: API keys live in the OS keyring "
                "(payments-console login), never in the config file"
            )


class Profile(BaseModel):
    """Where to reach an API and how to present it. `name` is the key in `profiles`."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str
    base_url: str
    mode: Mode
    timeout: float = Field(default=10.0, gt=0, le=300)
    currency: str = "USD"
    read_only: bool = False
    """Look up, browse and export only: never pay or refund (the CLI and the console)."""

    @model_validator(mode="before")
    @classmethod
    def _no_secret(cls, data: Any) -> Any:
        refuse_secrets(data, "a profile")
        return data

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _PROFILE_NAME.match(value):
            raise ValueError(
                "a profile name is 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return money.normalize_currency(value)


class ReadOnlyProfileError(Exception):
    """A payment or refund asked of a read-only profile."""

    def __init__(self, profile: Profile) -> None:
        super().__init__(
            f"Profile '{profile.name}' is read-only: it looks payments up, browses and "
            "exports history, but never pays or refunds (read_only = false in its settings, "
            "or choose another profile)"
        )


def require_writable(profile: Profile) -> None:
    """Raise `ReadOnlyProfileError` if `profile` may not move money."""
    if profile.read_only:
        raise ReadOnlyProfileError(profile)
