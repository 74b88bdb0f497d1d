"""The one clock type: a function returning an aware UTC datetime (tests inject a fixed or
ticking one), and the real clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns an aware UTC datetime."""


def utc_now() -> datetime:
    return datetime.now(UTC)
