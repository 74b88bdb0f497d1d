"""Text from the network, the journal or a file, made safe to show and to store.

`for_terminal(text)` is the one function every front end applies before text reaches a
terminal (the CLI's output, every widget and notification that shows API text, the CSV
export): escape sequences (CSI, OSC such as OSC 52's clipboard write, DCS, ...) are
removed whole, then every control character left (C0 but newline and tab, DEL, C1) and the
bidirectional overrides that reorder what is shown; anything shaped like an API key is
masked. `escape_json_controls` does the same job for `--json` output without changing
the data: each such character becomes a `\\uXXXX` escape.

`refuse_key` keeps key-shaped text out of data fields (payment IDs, sources,
descriptions): it is refused before anything is journaled or sent.
"""

from __future__ import annotations

import re

_KEY_CHAR = r"[^\s'\"…()\[\]{}<>,;]"
KEY_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9])(?:sk|rk)_(?={_KEY_CHAR}{{8,}})(?:test_|live_)?+"
    rf"[A-Za-z0-9](?:{_KEY_CHAR}*[A-Za-z0-9])?"
)
"""A secret or restricted key (sk_..., rk_...) anywhere in a text: it starts and ends
with a letter or digit, so brackets, quotes and punctuation around it stay, and a
placeholder such as 'sk_test_...' is not one."""

_KEY_PREFIX = re.compile(r"^[a-z]{2,4}_(?:(?:test|live)_)?")

_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?                     # CSI ... final byte
    | \x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # OSC, DCS, SOS, PM, APC ... ST
    | \x9b[0-?]*[ -/]*[@-~]?                     # 8-bit CSI
    | [\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # 8-bit string controls
    | \x1b[ -/]*[0-~]?                           # any other escape (two bytes or lone)
    """,
    re.VERBOSE,
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_JSON_CONTROL = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def mask_key(key: str) -> str:
    """'sk_test_…a1b2': the prefix, an ellipsis and the last four (when the key is long)."""
    match = _KEY_PREFIX.match(key)
    prefix = match.group(0) if match else ""
    rest = key[len(prefix) :]
    return f"{prefix}…{rest[-4:]}" if len(rest) >= 12 else f"{prefix}…"


def mask_keys(text: str) -> str:
    """`text` with everything shaped like an API key masked."""
    return KEY_IN_TEXT.sub(lambda found: mask_key(found.group(0)), text)


def strip_controls(text: str) -> str:
    """`text` without escape sequences or control characters (newline and tab stay)."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def for_terminal(text: str) -> str:
    """What may be shown of `text` on a terminal: no controls, keys masked."""
    return mask_keys(strip_controls(text))


def one_line(text: str) -> str:
    """`for_terminal`, with every run of whitespace (newlines too) one space."""
    return " ".join(for_terminal(text).split())


def escape_json_controls(json_text: str) -> str:
    """JSON text with DEL, C1 and the bidi/line-separator characters written as escapes
    (`json` already escapes C0). They can only occur inside strings, so the data is
    unchanged for any JSON reader."""
    return _JSON_CONTROL.sub(lambda found: f"\\u{ord(found.group(0)):04x}", json_text)


class KeyInFieldError(ValueError):
    """Key-shaped text in a data field; `str()` names the field, never the key."""

    def __init__(self, field: str, key: str) -> None:
        super().__init__(
            f"{field}: this looks like an API key ({mask_key(key)}); an API key never goes "
            "in a payment field. Remove it (and revoke the key if it was shared)."
        )
        self.field = field


def refuse_key(field: str, value: str | None) -> None:
    """Raise `KeyInFieldError` when `value` holds key-shaped text."""
    if value is None:
        return
    found = KEY_IN_TEXT.search(value)
    if found is not None:
        raise KeyInFieldError(field, found.group(0))
