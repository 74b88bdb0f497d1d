"""The merchant's day in figures (console.figures, Journal.day_figures / recent_days):
local days across midnight and daylight-saving changes, exact sums in currencies of 0, 2
and 3 decimals, one profile only, only what succeeded, from an index alone."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from console.entries import Status
from console.figures import CurrencyFigures, DayFigures, local_days
from console.journal import Journal, rows
from tests.pg_cluster import sqlite_only
from tests.unit.test_journal import assert_indexed, query_plans

BERLIN = ZoneInfo("Europe/Berlin")  # 2026-03-29 02:00 -> 03:00: a 23-hour day
NEW_YORK = ZoneInfo("America/New_York")  # 2026-11-01 02:00 -> 01:00: a 25-hour day
SANTIAGO = ZoneInfo("America/Santiago")  # changes at midnight: 2026-09-06 skips 00:00
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def payment(
    journal: Journal,
    amount: str,
    currency: str = "USD",
    *,
    at: datetime = NOW,
    status: Status = "succeeded",
    profile: str = "shop",
) -> str:
    """A payment recorded `at` and settled as `status`; returns its payment ID."""
    entry_id = journal.record_pending(
        kind="payment",
        profile=profile,
        idempotency_key=f"k-{amount}-{currency}-{at.isoformat()}-{status}",
        request={"amount": Decimal(amount), "currency": currency, "source": "tok_visa"},
        now=at,
        amount=Decimal(amount),
        currency=currency,
    )
    payment_id = f"pay_{entry_id}"
    if status == "succeeded":
        response = {"id": payment_id, "amount": Decimal(amount), "currency": currency}
        journal.record_result(entry_id, status="succeeded", now=at, response=response)
    elif status != "pending":
        journal.record_result(entry_id, status=status, now=at, error="x", payment_id=payment_id)
    return payment_id


def refund(
    journal: Journal,
    payment_id: str,
    amount: str | None,
    currency: str | None = "USD",
    *,
    at: datetime = NOW,
    status: Status = "succeeded",
    answered: str | None = None,
    profile: str = "shop",
) -> None:
    """A refund; `amount` None is a full refund, whose amount the answer (`answered`)
    names."""
    request: dict[str, Any] = {"payment_id": payment_id}
    if amount is not None:
        request["amount"] = Decimal(amount)
    entry_id = journal.record_pending(
        kind="refund",
        profile=profile,
        idempotency_key=f"r-{payment_id}-{amount}-{at.isoformat()}-{status}",
        request=request,
        now=at,
        payment_id=payment_id,
        amount=None if amount is None else Decimal(amount),
        currency=currency,
    )
    if status == "succeeded":
        response = {"id": f"refund_{entry_id}", "payment_id": payment_id}
        response["amount"] = Decimal(answered or amount or "0")
        journal.record_result(entry_id, status="succeeded", now=at, response=response)
    elif status != "pending":
        journal.record_result(entry_id, status=status, now=at, error="x")


def summary(figures: DayFigures) -> list[tuple[str, int, str, int, str, str]]:
    """Each currency's figures as text, so that the decimals written are checked too."""
    return [
        (f.currency, f.payments, str(f.taken), f.refunds, str(f.refunded), str(f.net))
        for f in figures.currencies
    ]


# --- local days -----------------------------------------------------------------------------


def test_local_days_are_consecutive_calendar_days_ending_today() -> None:
    days = local_days(NOW, UTC, 14)
    assert [day.day for day in days] == [date(2026, 6, 2) + timedelta(n) for n in range(14)]
    assert days[-1].start == datetime(2026, 6, 15, tzinfo=UTC)
    assert all(a.end == b.start for a, b in itertools.pairwise(days))
    assert {day.end - day.start for day in days} == {timedelta(hours=24)}
    assert local_days(NOW, UTC) == days[-1:]


@pytest.mark.parametrize(
    ("tz", "now", "day", "start", "hours"),
    [
        (BERLIN, "2026-03-29T12:00", "2026-03-29", "2026-03-28T23:00", 23),
        (NEW_YORK, "2026-11-01T12:00", "2026-11-01", "2026-11-01T04:00", 25),
        (SANTIAGO, "2026-09-06T12:00", "2026-09-06", "2026-09-06T04:00", 23),  # from 01:00
        (SANTIAGO, "2026-04-04T12:00", "2026-04-04", "2026-04-04T03:00", 25),
        (ZoneInfo("Asia/Kolkata"), "2026-06-15T18:29", "2026-06-15", "2026-06-14T18:30", 24),
        (ZoneInfo("Asia/Kolkata"), "2026-06-15T18:30", "2026-06-16", "2026-06-15T18:30", 24),
        (ZoneInfo("Pacific/Kiritimati"), "2026-06-15T10:00", "2026-06-16", "2026-06-15T10:00", 24),
    ],
)
def test_a_local_day_across_daylight_saving_and_odd_offsets(
    tz: ZoneInfo, now: str, day: str, start: str, hours: int
) -> None:
    [today] = local_days(datetime.fromisoformat(now).replace(tzinfo=UTC), tz)
    assert today.day == date.fromisoformat(day)
    assert today.start == datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert today.end - today.start == timedelta(hours=hours)
    assert today.start.astimezone(tz).date() == today.day
    assert (today.end - timedelta(microseconds=1)).astimezone(tz).date() == today.day
    assert today.end.astimezone(tz).date() == today.day + timedelta(1)


def test_fourteen_days_across_a_change_are_each_one_calendar_day() -> None:
    days = local_days(datetime(2026, 4, 5, 12, tzinfo=UTC), BERLIN, 14)
    assert [day.end - day.start for day in days].count(timedelta(hours=23)) == 1
    for day in days:
        assert day.start.astimezone(BERLIN).timetuple()[:6] == (*day.day.timetuple()[:3], 0, 0, 0)


def test_local_days_refuse_a_naive_now_or_no_days() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_days(datetime(2026, 6, 15, 12), UTC)
    with pytest.raises(ValueError, match="at least 1"):
        local_days(NOW, UTC, 0)


# --- today's figures ----------------------------------------------------------------------


def test_todays_figures_per_currency_are_exact_in_each_currencys_decimals(
    journal: Journal,
) -> None:
    for amount in ("0.10", "0.20", "1234567.89"):  # 0.1 + 0.2 is 0.3 here, not in floats
        payment(journal, amount)
    usd = payment(journal, "5.00")
    refund(journal, usd, "0.01")
    refund(journal, usd, None, answered="4.99")  # a full refund: the answer's amount
    payment(journal, "1000", "JPY")
    payment(journal, "1", "JPY")
    payment(journal, "0.001", "KWD")
    kwd = payment(journal, "0.002", "KWD")
    refund(journal, kwd, "0.003", "KWD")
    today = journal.day_figures("shop", now=NOW, tz=UTC)
    assert today.day == date(2026, 6, 15)
    assert summary(today) == [
        ("JPY", 2, "1001", 0, "0", "1001"),
        ("KWD", 2, "0.003", 1, "0.003", "0.000"),
        ("USD", 4, "1234573.19", 2, "5.00", "1234568.19"),
    ]
    assert today.of("usd") == today.currencies[2]
    assert str(today.of("EUR").net) == "0.00"  # nothing in EUR today: zeros
    assert all(isinstance(f.taken, Decimal) for f in today.currencies)


def test_only_what_succeeded_counts(journal: Journal) -> None:
    paid = payment(journal, "10.00")
    payment(journal, "20.00", status="failed")
    payment(journal, "30.00", status="unknown")
    payment(journal, "40.00", status="pending")
    refund(journal, paid, "1.00", status="failed")
    refund(journal, paid, "2.00", status="unknown")
    refund(journal, paid, "3.00", status="pending")
    refund(journal, paid, "4.00")
    assert summary(journal.day_figures("shop", now=NOW, tz=UTC)) == [
        ("USD", 1, "10.00", 1, "4.00", "6.00")
    ]


def test_an_unknown_outcome_counts_once_it_succeeds(journal: Journal) -> None:
    entry_id = journal.record_pending(
        kind="payment",
        profile="shop",
        idempotency_key="k",
        request={"amount": Decimal("8.00"), "currency": "USD", "source": "tok_visa"},
        now=NOW,
        amount=Decimal("8.00"),
        currency="USD",
    )
    journal.record_result(entry_id, status="unknown", now=NOW, error="dropped")
    assert journal.day_figures("shop", now=NOW, tz=UTC).currencies == ()
    journal.record_retry(entry_id, now=NOW + timedelta(days=1))
    # Settled the next day, it counts on the day it was taken (recorded).
    response = {"id": "pay_8", "amount": Decimal("8.00"), "currency": "usd"}
    journal.record_result(
        entry_id, status="succeeded", now=NOW + timedelta(days=1), response=response
    )
    assert summary(journal.day_figures("shop", now=NOW, tz=UTC)) == [
        ("USD", 1, "8.00", 0, "0.00", "8.00")
    ]
    assert journal.day_figures("shop", now=NOW + timedelta(days=1), tz=UTC).currencies == ()


def test_only_the_given_profile_counts(journal: Journal) -> None:
    paid = payment(journal, "10.00")
    other = payment(journal, "99.00", profile="other")
    payment(journal, "1000", "JPY", profile="other")
    refund(journal, other, "9.00", profile="other")
    refund(journal, paid, "1.00")
    assert summary(journal.day_figures("shop", now=NOW, tz=UTC)) == [
        ("USD", 1, "10.00", 1, "1.00", "9.00")
    ]
    assert summary(journal.day_figures("other", now=NOW, tz=UTC)) == [
        ("JPY", 1, "1000", 0, "0", "1000"),
        ("USD", 1, "99.00", 1, "9.00", "90.00"),
    ]
    assert journal.day_figures("nobody", now=NOW, tz=UTC).currencies == ()


def test_a_refund_whose_currency_is_unknown_is_in_no_figure(journal: Journal) -> None:
    refund(journal, "pay_elsewhere", "5.00", currency=None)
    assert journal.day_figures("shop", now=NOW, tz=UTC).currencies == ()


def test_a_refund_counts_on_its_own_day(journal: Journal) -> None:
    paid = payment(journal, "50.00", at=NOW - timedelta(days=1))
    refund(journal, paid, "20.00")
    assert summary(journal.day_figures("shop", now=NOW, tz=UTC)) == [
        ("USD", 0, "0.00", 1, "20.00", "-20.00")
    ]


def _at(local: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=tz)


@pytest.mark.parametrize(
    ("tz", "today", "inside", "outside"),
    [
        # Midnight, in a zone with no change.
        (
            ZoneInfo("Asia/Tokyo"),
            "2026-06-15T12:00",
            ["2026-06-15T00:00", "2026-06-15T23:59:59.999999"],
            ["2026-06-14T23:59:59.999999", "2026-06-16T00:00"],
        ),
        # The 23-hour day: 00:00 CET to 00:00 CEST the next day.
        (
            BERLIN,
            "2026-03-29T15:00",
            ["2026-03-29T00:00", "2026-03-29T01:59:59", "2026-03-29T03:00", "2026-03-29T23:59"],
            ["2026-03-28T23:59:59.999999", "2026-03-30T00:00"],
        ),
        # The 25-hour day: 23:30 is 04:30 UTC the next day, still this day.
        (
            NEW_YORK,
            "2026-11-01T09:00",
            ["2026-11-01T00:00", "2026-11-01T01:30", "2026-11-01T23:30"],
            ["2026-10-31T23:59:59", "2026-11-02T00:00"],
        ),
        # Midnight skipped: the day starts at 01:00.
        (
            SANTIAGO,
            "2026-09-06T12:00",
            ["2026-09-06T01:00", "2026-09-06T23:59:59"],
            ["2026-09-05T23:59:59.999999", "2026-09-07T00:00"],
        ),
    ],
)
def test_todays_figures_follow_the_local_day(
    journal: Journal, tz: ZoneInfo, today: str, inside: list[str], outside: list[str]
) -> None:
    for n, moment in enumerate(inside):
        payment(journal, f"{n + 1}.00", at=_at(moment, tz))
    for moment in outside:
        payment(journal, "100.00", at=_at(moment, tz))
    figures = journal.day_figures("shop", now=_at(today, tz), tz=tz)
    assert figures.day == date.fromisoformat(today[:10])
    expected = sum(Decimal(n + 1) for n in range(len(inside)))
    assert (figures.of("USD").payments, figures.of("USD").taken) == (len(inside), expected)


# --- the last 14 days ---------------------------------------------------------------------


def test_the_last_fourteen_days_net_per_currency_with_zeros_for_quiet_days(
    journal: Journal,
) -> None:
    payment(journal, "10.00", at=NOW)
    paid = payment(journal, "25.00", at=NOW - timedelta(days=3))
    refund(journal, paid, "5.00", at=NOW - timedelta(days=3))
    refund(journal, paid, "30.00", at=NOW - timedelta(days=1))  # more out than in
    payment(journal, "500", "JPY", at=NOW - timedelta(days=13))
    payment(journal, "0.125", "KWD", at=NOW - timedelta(days=7))
    payment(journal, "99.00", at=NOW - timedelta(days=14))  # the 15th day back: outside
    payment(journal, "77.00", at=NOW - timedelta(days=2), status="failed")
    recent = journal.recent_days("shop", now=NOW, tz=UTC)
    assert [day.day for day in recent.days] == [date(2026, 6, 2) + timedelta(n) for n in range(14)]
    assert recent.currencies == ("JPY", "KWD", "USD")
    net = recent.net_by_currency()
    assert [str(value) for value in net["USD"]] == ["0.00"] * 10 + [
        "20.00",
        "0.00",
        "-30.00",
        "10.00",
    ]
    assert [str(value) for value in net["JPY"]] == ["500"] + ["0"] * 13
    assert [str(value) for value in net["KWD"]] == ["0.000"] * 6 + ["0.125"] + ["0.000"] * 7
    assert all(len(values) == 14 for values in net.values())
    assert recent.today == journal.day_figures("shop", now=NOW, tz=UTC)
    assert summary(recent.today) == [("USD", 1, "10.00", 0, "0.00", "10.00")]
    assert recent.days[-4].of("USD") == CurrencyFigures(
        "USD", 1, Decimal("25.00"), 1, Decimal("5.00")
    )
    assert journal.recent_days("shop", now=NOW, tz=UTC, days=3).net("USD") == net["USD"][-3:]


def test_the_sparkline_days_are_local_days_across_a_change(journal: Journal) -> None:
    """New York, 2026-11-01 is 25 hours long; an entry every local day at 23:30."""
    now = _at("2026-11-05T12:00", NEW_YORK)
    for back in range(14):
        day = now.date() - timedelta(days=back)
        payment(journal, f"{back + 1}.00", at=_at(f"{day}T23:30", NEW_YORK))
        payment(journal, "0.01", at=_at(f"{day}T00:00", NEW_YORK))
    net = journal.recent_days("shop", now=now, tz=NEW_YORK).net("USD")
    assert net == tuple(Decimal(back + 1) + Decimal("0.01") for back in range(13, -1, -1))
    in_utc = journal.recent_days("shop", now=now, tz=UTC).net("USD")
    assert in_utc != net  # the same entries fall on other days in UTC


def test_no_activity_gives_no_currencies(journal: Journal) -> None:
    recent = journal.recent_days("shop", now=NOW, tz=UTC)
    assert (len(recent.days), recent.currencies, recent.net_by_currency()) == (14, (), {})
    assert recent.net("USD") == (Decimal("0.00"),) * 14


# --- at scale: sums in SQL, from an index -------------------------------------------------

BULK = 100_000


@pytest.fixture(scope="module")
def big_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    """100,000 succeeded USD payments of two profiles, one every 10 minutes back from NOW
    (about 694 days), amounts 0.01 to 9.99 (entry i: i % 999 + 1 cents)."""
    path = tmp_path_factory.mktemp("figures") / "journal.sqlite3"
    Journal(path).close()
    entries = []
    for i in range(BULK):
        amount = Decimal(i % 999 + 1).scaleb(-2)
        stamp = rows.timestamp(NOW - timedelta(minutes=10 * i))
        profile = "shop" if i % 4 else "other"
        units = rows.minor_units(amount, "USD")
        ids = (f"k{i}", f"pay_{i}", f"pay_{i}")
        entries.append(
            ("payment", "succeeded", profile, *ids, str(amount), "USD", stamp, stamp, "{}", units)
        )
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO operations (kind, status, profile, idempotency_key, payment_id,"
            " object_id, amount, currency, created_at, updated_at, request, amount_minor)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            entries,
        )
    with Journal(path) as journal:
        yield journal


def test_sums_over_100k_entries_are_exact(big_journal: Journal) -> None:
    recent = big_journal.recent_days("shop", now=NOW, tz=UTC)
    cents = [0] * 14
    first = local_days(NOW, UTC, 14)[0].start
    for i in range(BULK):
        moment = NOW - timedelta(minutes=10 * i)
        if i % 4 and moment >= first:  # shop's: 3 in 4
            cents[(moment - first).days] += i % 999 + 1
    assert recent.net("USD") == tuple(Decimal(c).scaleb(-2) for c in cents)
    # 00:00 to 12:00: 73 entries, 54 of them shop's.
    assert recent.today.of("USD").payments == 54


SEEK = (
    "SEARCH operations USING COVERING INDEX operations_figures"
    " (profile=? AND status=? AND kind=? AND currency>?)"
)
RANGE = (
    "SEARCH operations USING COVERING INDEX operations_figures"
    " (profile=? AND status=? AND kind=? AND currency=? AND created_at>? AND created_at<?)"
)


def test_figures_are_sums_over_index_ranges_and_only_sums_reach_python(
    big_journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_entries(row: tuple[Any, ...]) -> None:
        raise AssertionError("an entry was loaded")

    monkeypatch.setattr(rows, "entry", no_entries)
    plans = query_plans(
        big_journal,
        lambda: (
            big_journal.day_figures("shop", now=NOW, tz=BERLIN),
            big_journal.recent_days("shop", now=NOW, tz=NEW_YORK),
        ),
    )
    for plan in plans:
        assert_indexed(plan)
        assert plan in (SEEK, RANGE)  # no sort, no GROUP BY, no other step
    # Seeks: USD, then no more payments' currencies, no refunds' (three per call). Ranges:
    # today's USD payments; then the 14 days' together (used in the window?), then each.
    assert (plans.count(SEEK), plans.count(RANGE)) == (3 + 3, 1 + 1 + 14)


@sqlite_only
def test_one_query_per_currency_used_in_the_window(journal: Journal) -> None:
    """Currencies of other days cost one seek and one range each, not one per day."""
    for currency in ("EUR", "GBP", "CHF", "SEK"):
        payment(journal, "1.00", currency, at=NOW - timedelta(days=30))
    payment(journal, "1.00", "USD")
    plans = query_plans(journal, lambda: journal.recent_days("shop", now=NOW, tz=UTC))
    assert (plans.count(SEEK), plans.count(RANGE)) == (5 + 1 + 1, 5 + 14)
    assert journal.recent_days("shop", now=NOW, tz=UTC).currencies == ("USD",)


def test_a_currency_the_answer_wrote_in_lower_case_is_the_same_currency(
    journal: Journal,
) -> None:
    payment(journal, "1.00", "USD")
    entry_id = journal.record_pending(
        kind="payment",
        profile="shop",
        idempotency_key="lower",
        request={"amount": Decimal("2.00"), "currency": "USD", "source": "tok_visa"},
        now=NOW,
        amount=Decimal("2.00"),
        currency="USD",
    )
    response = {"id": "pay_lower", "amount": Decimal("2.00"), "currency": "usd"}
    journal.record_result(entry_id, status="succeeded", now=NOW, response=response)
    assert summary(journal.day_figures("shop", now=NOW, tz=UTC)) == [
        ("USD", 2, "3.00", 0, "0.00", "3.00")
    ]


def test_figures_while_other_threads_write(journal: Journal) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(40):
                paid = payment(journal, f"{worker}.{n:02d}", at=NOW + timedelta(microseconds=n))
                refund(journal, paid, "0.01", at=NOW + timedelta(microseconds=n))
                journal.recent_days("shop", now=NOW, tz=UTC)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    usd = journal.day_figures("shop", now=NOW, tz=UTC).of("USD")
    taken = sum(Decimal(f"{worker}.{n:02d}") for worker in range(1, 5) for n in range(40))
    assert (usd.payments, usd.taken, usd.refunds, usd.refunded) == (
        160,
        taken,
        160,
        Decimal("1.60"),
    )
