"""How values read for people, on screen and on the command line: local times, amounts,
payment and refund IDs. No Textual here: the CLI uses it too.

The ID rules are the one both front ends apply before asking the API: a payment ID is
`pay_...`, a refund ID `refund_...` (letters, digits, `_` and `-` after the prefix).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from decimal import Decimal

from console import money

PAYMENT_ID = re.compile(r"pay_[A-Za-z0-9_-]+")
REFUND_ID = re.compile(r"refund_[A-Za-z0-9_-]+")

NO_ID = "Enter a payment ID (pay_…) or a refund ID (refund_…)"
NOT_AN_ID = "Not a payment ID (pay_…) or a refund ID (refund_…)"


def local_time(moment: datetime, tz: tzinfo | None = None, *, seconds: bool = True) -> str:
    """'2026-03-01 14:05:09 CET' in `tz` (None: this machine's local time zone), or
    without its `seconds`: '2026-03-01 14:05 CET'."""
    shown = moment.astimezone(tz)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return f"{shown:%Y-%m-%d {clock}} {shown.tzname() or ''}".rstrip()


def amount_text(amount: Decimal | None, currency: str | None) -> str:
    """'USD 1,234.50'; an amount its currency does not allow is still shown exactly."""
    if amount is None:
        return "—"
    if currency is None:
        return format(amount, "f")
    try:
        return money.format_amount(amount, currency)
    except money.AmountError:
        return f"{currency.upper()} {amount:f}"


def payment_id_error(text: str) -> str | None:
    """Why `text` cannot be a payment ID, or None when it has the `pay_...` shape."""
    value = text.strip()
    if not value:
        return "Enter a payment ID, like pay_12345"
    if not PAYMENT_ID.fullmatch(value):
        return "Not a payment ID: they look like pay_12345"
    return None


def is_refund_id(text: str) -> bool:
    return REFUND_ID.fullmatch(text.strip()) is not None


def object_id_error(text: str) -> str | None:
    """Why `text` is neither a payment ID nor a refund ID (Find, the CLI's `get`), or None."""
    value = text.strip()
    if not value:
        return NO_ID
    if PAYMENT_ID.fullmatch(value) or REFUND_ID.fullmatch(value):
        return None
    return NOT_AN_ID
