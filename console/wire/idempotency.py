"""The one Idempotency-Key rule: minted here, checked here, by the CLI, the client and the
sandbox alike."""

from __future__ import annotations

import uuid
from typing import Final

__all__ = ["KEY_RULE", "MAX_KEY_LENGTH", "check_key", "new_key"]

MAX_KEY_LENGTH: Final = 255
"""The longest Idempotency-Key, in characters (as Stripe)."""

KEY_RULE: Final = (
    f"an idempotency key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, no spaces"
)
"""The one message every front door refuses a bad key with."""


def new_key() -> str:
    """A fresh key: a uuid4, which the rule always accepts."""
    return str(uuid.uuid4())


def check_key(key: str) -> str:
    """The key unchanged, or ValueError(KEY_RULE): 1 to 255 of '!' to '~' (no spaces, no
    control or non-ASCII characters, which a header could not carry as they are)."""
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
        raise ValueError(KEY_RULE)
    return key
