"""How values read for people, on screen and on the command line: local times, amounts,
payment IDs. No Textual here: the CLI uses it too."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from decimal import Decimal

from console import money

PAYMENT_ID = re.compile(r"^pay_[A-Za-z0-9_-]+$")


def local_time(moment: datetime, tz: tzinfo | None = None) -> str:
    """'2026-03-01 14:05:09 CET' in `tz` (None: this machine's local time zone)."""
    shown = moment.astimezone(tz)
    return f"{shown:%Y-%m-%d %H:%M:%S} {shown.tzname() or ''}".rstrip()


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
    if not PAYMENT_ID.match(value):
        return "Not a payment ID: they look like pay_12345"
    return None
