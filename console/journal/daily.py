"""The merchant's days in figures (`console.figures`), summed by SQL from the journal.

Every figure is a SQL `count` and `sum` of `amount_minor` (integers: exact) over one
range of the `operations_figures` index (profile, status, kind, currency, created_at):
one profile's succeeded payments (or refunds) in one currency between a day's start and
its end. The index alone answers (it covers the amounts), an entry outside the days is
never read, and nothing needs sorting; only the sums reach Python. The currencies are
found in the same index, one seek each; for each currency used in the window (another
seek), one range per day. All of one call's queries read one snapshot.

A day is the merchant's local calendar day (`figures.local_days`), an entry's moment is
when it was recorded (`created_at`, stable across retries), and what counts is in
`console.figures`: succeeded payments and succeeded refunds, nothing else. An entry
without an amount in its currency's minor units (a refund whose payment's currency the
console never learned) cannot be put in a currency, and is in no figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, tzinfo

from console import money
from console.entries import KINDS, Kind
from console.figures import (
    SPARKLINE_DAYS,
    CurrencyFigures,
    DayFigures,
    LocalDay,
    RecentDays,
    local_days,
)
from console.journal import rows
from console.journal.backend import Database
from console.journal.connection import Connected

NEXT_CURRENCY = (
    "SELECT currency FROM operations WHERE profile = ? AND status = 'succeeded' AND kind = ?"
    " AND currency > ? ORDER BY currency LIMIT 1"
)
"""The currency after the one given among a profile's succeeded entries of a kind."""
TOTAL = (
    "SELECT count(amount_minor), CAST(coalesce(sum(amount_minor), 0) AS BIGINT) FROM operations"
    " WHERE profile = ? AND status = 'succeeded' AND kind = ? AND currency = ?"
    " AND created_at >= ? AND created_at < ?"
)
"""How many, and their sum in minor units, of a profile's succeeded entries of a kind in
a currency recorded in [start, end)."""
ANY = (
    "SELECT 1 FROM operations WHERE profile = ? AND status = 'succeeded' AND kind = ?"
    " AND currency = ? AND created_at >= ? AND created_at < ? LIMIT 1"
)
"""Whether there is one such entry (one seek)."""

_FIELDS: dict[Kind, tuple[str, str]] = {
    "payment": ("payments", "taken"),
    "refund": ("refunds", "refunded"),
}
"""Kind -> the fields of `CurrencyFigures` its count and its sum go to."""


class Daily(Connected):
    def day_figures(self, profile: str, *, now: datetime, tz: tzinfo) -> DayFigures:
        """`profile`'s figures of today, the local day (in `tz`) that `now` falls on."""
        return self._days(profile, local_days(now, tz, 1))[0]

    def recent_days(
        self, profile: str, *, now: datetime, tz: tzinfo, days: int = SPARKLINE_DAYS
    ) -> RecentDays:
        """`profile`'s figures of each of the last `days` local days, today included:
        today's figures and the sparkline of net volume per currency."""
        return RecentDays(self._days(profile, local_days(now, tz, days)))

    def _days(self, profile: str, days: tuple[LocalDay, ...]) -> tuple[DayFigures, ...]:
        bounds = [(rows.timestamp(day.start), rows.timestamp(day.end)) for day in days]
        window = (bounds[0][0], bounds[-1][1])
        totals: list[dict[str, dict[str, int]]] = [defaultdict(dict) for _ in days]
        with self._snapshot() as db:
            for kind in KINDS:
                counted, summed = _FIELDS[kind]
                for currency in _currencies(db, profile, kind):
                    where = (profile, kind, currency)
                    if len(days) > 1 and db.execute(ANY, (*where, *window)).fetchone() is None:
                        continue  # used on other days only
                    code = currency.upper()  # "usd" from an answer is USD
                    for day, (start, end) in zip(totals, bounds, strict=True):
                        count, units = db.execute(TOTAL, (*where, start, end)).fetchone()
                        if count:
                            sums = day[code]
                            sums[counted] = sums.get(counted, 0) + count
                            sums[summed] = sums.get(summed, 0) + units
        return tuple(
            DayFigures(day.day, tuple(_figures(code, sums) for code, sums in sorted(found.items())))
            for day, found in zip(days, totals, strict=True)
        )


def _currencies(db: Database, profile: str, kind: Kind) -> Iterator[str]:
    """The currencies of `profile`'s succeeded entries of `kind`, one index seek each
    (however many entries each has)."""
    currency = ""
    while (row := db.execute(NEXT_CURRENCY, (profile, kind, currency)).fetchone()) is not None:
        currency = row[0]
        yield currency


def _figures(currency: str, sums: dict[str, int]) -> CurrencyFigures:
    return CurrencyFigures(
        currency=currency,
        payments=sums.get("payments", 0),
        taken=money.from_minor(sums.get("taken", 0), currency),
        refunds=sums.get("refunds", 0),
        refunded=money.from_minor(sums.get("refunded", 0), currency),
    )
