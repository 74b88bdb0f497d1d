"""Amounts as batch files write them, read into exact Decimals by `console.money`.

Where the comma is the decimal separator, spreadsheets write CSV with semicolons, so in a
semicolon file `12,50` is 12.50. There, one separator followed by exactly three digits
(`1,234` or `1.234`) may separate thousands or decimals: it is refused, never guessed. A
comma file writes amounts as `console.money` reads them (`1,234.50`, quoted).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

from console import money
from console.batch.csv_file import Delimiter

_AMBIGUOUS = re.compile(r"^[+-]?[1-9]\d{0,2}[.,]\d{3}$")


def amount_notation(text: str, delimiter: Delimiter) -> str:
    """`text` in `money.parse_amount`'s notation (decimal point, grouping commas)."""
    if delimiter == ",":
        return text
    separators = text.count(",") + text.count(".")
    if separators == 0:
        return text
    if separators > 1:
        raise money.AmountError("Write the amount without a thousands separator, like 1234,50")
    if _AMBIGUOUS.match(text):
        raise money.AmountError(
            f"Is {text} a thousand or more, or a fraction? Write thousands without a "
            "separator (1234) and fractions with a trailing zero (1,2340)"
        )
    return text.replace(",", ".")


def payment_amount(text: str, currency: str, delimiter: Delimiter) -> Decimal:
    """A payment row's amount, checked against its currency's decimals."""
    return money.parse_amount(amount_notation(text, delimiter), currency)


def amount_without_currency(text: str, delimiter: Delimiter) -> Decimal | None:
    """An amount checked as far as it can be without its currency (a refund row's, before
    its payment is fetched): a positive number, bounded, no finer than the finest minor
    unit. None for an empty cell (in a refund row: the whole remaining amount)."""
    if not text:
        return None
    notation = amount_notation(text, delimiter)
    finest = _finest_currency()
    try:
        return money.parse_amount(notation, finest)
    except money.AmountError as exc:
        if not str(exc).startswith(finest):
            raise
        # Too many decimals even for the finest currency: say so without naming it.
        money.check_bounds(Decimal(notation.replace(",", "")))
        raise  # pragma: no cover - check_bounds raised


@cache
def _finest_currency() -> str:
    """A currency with the most decimals of all (CLF, 4)."""
    finest = money.max_exponent()
    return next(code for code in money.currency_codes() if money.currency_exponent(code) == finest)
