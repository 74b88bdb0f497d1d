"""What a batch moves, per currency: the dry run's totals, and the live run's typed
confirmation (the merchant types each currency's total). Decimal only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from console import money


class Priced(Protocol):
    """A row that moves money: a `PaymentRow`, or a `ResolvedRefund`."""

    @property
    def amount(self) -> Decimal: ...

    @property
    def currency(self) -> str: ...


@dataclass(frozen=True)
class CurrencyTotal:
    count: int
    amount: Decimal

    def plus(self, amount: Decimal) -> CurrencyTotal:
        return CurrencyTotal(self.count + 1, self.amount + amount)


def totals(rows: Iterable[Priced]) -> dict[str, CurrencyTotal]:
    """Currency code -> rows and their sum, sorted by code."""
    found: dict[str, CurrencyTotal] = {}
    for row in rows:
        code = money.normalize_currency(row.currency)
        found[code] = found.get(code, CurrencyTotal(0, Decimal(0))).plus(row.amount)
    return dict(sorted(found.items()))


def total_lines(found: Mapping[str, CurrencyTotal]) -> list[str]:
    """'USD 1,234.50 in 12 rows', one line per currency."""
    return [
        f"{money.format_amount(total.amount, code)} in {total.count:,}"
        f" row{'' if total.count == 1 else 's'}"
        for code, total in found.items()
    ]


def typed_total_error(typed: str, code: str, total: CurrencyTotal) -> str | None:
    """Why `typed` does not confirm the batch's total in `code`, or None when it does.

    Compared exactly, not parsed as an amount: a total may exceed any one payment's bound.
    Grouping commas and the code itself may be typed, as the total is shown.
    """
    cleaned = typed.strip().upper().removeprefix(code.upper()).replace(",", "").strip()
    try:
        matches = Decimal(cleaned) == total.amount
    except InvalidOperation:
        matches = False
    if not matches:
        shown = money.quantize(total.amount, code)
        return f"That is not the batch's total in {code.upper()}: type {shown}"
    return None
