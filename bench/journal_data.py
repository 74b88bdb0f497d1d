"""Big journals for the benchmarks, built fast: rows written exactly as `Journal` writes
them (its own encoders: timestamps, amount text, minor units, exact JSON), inserted with
one `executemany` in one transaction, the indexes built once afterwards. A million
entries take seconds, where a million `record_pending` + `record_result` calls would take
many minutes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from functools import cache
from pathlib import Path
from typing import NamedTuple

from console import money
from console.entries import Kind, Status
from console.journal import Journal
from console.journal import rows as encode
from console.journal.schema import INDEXES

_NOW = datetime(2026, 1, 1, tzinfo=UTC)
STATUS_CYCLE: tuple[Status, ...] = ("succeeded",) * 8 + ("failed", "unknown")
"""Mostly succeeded, some failed, a few unknown."""


class Operation(NamedTuple):
    """One settled operation, as the journal would hold it after its result."""

    kind: Kind
    status: Status
    profile: str
    key: str
    at: datetime
    payment_id: str
    object_id: str | None
    amount: Decimal
    currency: str


def plausible(number: int, at: datetime, profile: str, currency: str = "USD") -> Operation:
    """Entry `number` of a busy shop: payments and refunds (1 in 4), mostly succeeded;
    amounts and IDs vary so that filters match some rows and not others."""
    payment_id = f"pay_{number * 7919 % 1_000_003:07d}"
    kind: Kind = "refund" if number % 4 == 3 else "payment"
    status = STATUS_CYCLE[number % len(STATUS_CYCLE)]
    object_id = None
    if status == "succeeded":
        object_id = f"refund_{number:07d}" if kind == "refund" else payment_id
    amount = _amount(number % 50_000, currency)
    key = f"{number:08x}-{profile}"
    return Operation(kind, status, profile, key, at, payment_id, object_id, amount, currency)


@cache
def _amount(number: int, currency: str) -> Decimal:
    """1.00 to 500.99, in the currency's decimals (JPY 1 to 501)."""
    exponent = Decimal(1).scaleb(-money.currency_exponent(currency))
    return Decimal(number + 100).scaleb(-2).quantize(exponent, rounding=ROUND_DOWN)


# The journal's encoders are exact but not fast; the values repeat, so each is computed once.
_amount_text = cache(encode.amount_text)
_minor_units = cache(encode.minor_units)


def request(operation: Operation) -> dict[str, object]:
    """The body `operation` was sent with."""
    if operation.kind == "refund":
        return {"payment_id": operation.payment_id, "amount": operation.amount}
    return {"amount": operation.amount, "currency": operation.currency, "source": "tok_visa"}


# Texts with "@" where an ID goes: bench IDs (letters, digits, _) need no JSON escaping.


@cache
def _request(kind: Kind, amount: Decimal, currency: str) -> str:
    return money.dumps(
        request(Operation(kind, "pending", "", "", _NOW, "@", None, amount, currency))
    )


_RESPONSE = money.dumps({"id": "@"})


BULK_COLUMNS = (
    "kind, status, profile, idempotency_key, payment_id, object_id, amount, currency,"
    " created_at, updated_at, request, response, error, amount_minor, operator, host"
)
"""The columns of `bulk_rows`' tuples."""


def bulk_rows(
    operations: Iterable[Operation], sender: tuple[str, str]
) -> Iterable[tuple[object, ...]]:
    """The row of each operation (`BULK_COLUMNS`), sent by `sender` (operator, host)."""
    return ((*_row(operation), *sender) for operation in operations)


def _row(operation: Operation) -> tuple[object, ...]:
    stamp = encode.timestamp(operation.at)
    request = _request(operation.kind, operation.amount, operation.currency)
    succeeded = operation.status == "succeeded"
    return (
        operation.kind,
        operation.status,
        operation.profile,
        operation.key,
        operation.payment_id,
        operation.object_id,
        _amount_text(operation.amount, operation.currency),
        operation.currency,
        stamp,
        stamp,
        request.replace("@", operation.payment_id),
        _RESPONSE.replace("@", str(operation.object_id)) if succeeded else None,
        None if succeeded else "bench",
        _minor_units(operation.amount, operation.currency),
    )


def build(path: Path, operations: Iterable[Operation]) -> Journal:
    """A new journal at `path` holding `operations` (ids in their order), opened."""
    with Journal(path) as new:  # the current schema
        sender = (new.sender.operator, new.sender.host)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # A new file nobody else has open: no WAL copy of every page, no fsync; the
        # journal goes back to WAL when it is opened again.
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -262144")  # 256 MB, for building the indexes
        db.execute("BEGIN")
        names = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        ]
        for name in names:
            if name.startswith("operations_"):
                db.execute(f"DROP INDEX {name}")
        db.executemany(
            f"INSERT INTO operations ({BULK_COLUMNS})"  # noqa: S608 - fixed text
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            bulk_rows(operations, sender),
        )
        for index in INDEXES:
            db.execute(index)
        db.execute("COMMIT")
    finally:
        db.close()
    return Journal(path)


def timed_build(path: Path, operations: Iterable[Operation], label: str) -> Journal:
    started = time.perf_counter()
    journal = build(path, operations)
    count = journal.count()
    print(f"built {label}: {count:,} entries in {time.perf_counter() - started:.1f} s", flush=True)
    return journal
