"""The merchant's day in figures, as plain data the home screen and the CLI both draw.

Per currency, for one local day: the payments taken (how many, and their sum), the
refunds made (how many, and their sum) and the net (taken minus refunded). What counts is
what the API confirmed: **succeeded** payments and **succeeded** refunds; pending,
unknown and failed operations are in none of the sums (an unknown outcome may not have
happened; the home lists those apart). A refund counts on the day it was made, whichever
day its payment was taken.

"Today" is the merchant's local calendar day: `local_days` turns an aware `now` and a
time zone into each day's start and end, so a day is 23 or 25 hours long across a
daylight-saving change. Amounts are exact `Decimal`s with the currency's decimals.
The journal computes these (`Journal.day_figures`, `Journal.recent_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from itertools import pairwise

from console import money

SPARKLINE_DAYS = 14
"""How many local days the home's sparkline of net volume covers, today included."""


@dataclass(frozen=True)
class LocalDay:
    """One calendar day in the merchant's time zone, as UTC instants: [start, end)."""

    day: date
    start: datetime
    end: datetime


def local_days(now: datetime, tz: tzinfo, count: int = 1) -> tuple[LocalDay, ...]:
    """The `count` local days ending with today (the day `now` falls on in `tz`), oldest
    first. A day starts at its first instant: local midnight, or the moment the clocks
    jump past it where a daylight-saving change skips midnight."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if count < 1:
        raise ValueError("count must be at least 1")
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=back) for back in range(count - 1, -1, -1)]
    starts = [_first_instant(day, tz) for day in [*days, today + timedelta(days=1)]]
    return tuple(
        LocalDay(day, start, end) for day, (start, end) in zip(days, pairwise(starts), strict=True)
    )


def _first_instant(day: date, tz: tzinfo) -> datetime:
    # fold=0 is the earlier of a repeated midnight; a skipped midnight maps, with the
    # offset in force before the jump, to the instant of the jump itself.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class CurrencyFigures:
    """One currency's succeeded payments and refunds over one local day."""

    currency: str
    payments: int
    taken: Decimal
    refunds: int
    refunded: Decimal

    @property
    def net(self) -> Decimal:
        return self.taken - self.refunded

    @classmethod
    def nothing(cls, currency: str) -> CurrencyFigures:
        """A day without any: zeros written with the currency's decimals (USD 0.00)."""
        zero = money.from_minor(0, currency)
        return cls(currency, 0, zero, 0, zero)


@dataclass(frozen=True)
class DayFigures:
    """Every currency with a succeeded payment or refund on `day`, by currency code."""

    day: date
    currencies: tuple[CurrencyFigures, ...]

    def of(self, currency: str) -> CurrencyFigures:
        """The figures of `currency` on this day (zeros when there was nothing)."""
        code = currency.strip().upper()
        found = (figures for figures in self.currencies if figures.currency == code)
        return next(found, None) or CurrencyFigures.nothing(code)


@dataclass(frozen=True)
class RecentDays:
    """Consecutive local days, oldest first, ending with today: the sparkline's data."""

    days: tuple[DayFigures, ...]

    @property
    def today(self) -> DayFigures:
        return self.days[-1]

    @property
    def currencies(self) -> tuple[str, ...]:
        """Every currency with a figure on any of the days, sorted."""
        return tuple(sorted({f.currency for day in self.days for f in day.currencies}))

    def net(self, currency: str) -> tuple[Decimal, ...]:
        """`currency`'s net volume of each day, oldest first (zero for a quiet day)."""
        return tuple(day.of(currency).net for day in self.days)

    def net_by_currency(self) -> dict[str, tuple[Decimal, ...]]:
        return {currency: self.net(currency) for currency in self.currencies}
