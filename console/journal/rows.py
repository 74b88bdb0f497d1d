"""How an operation is written as a row and read back, whatever the database.

Timestamps are UTC ISO 8601 text with microseconds (so text order is time order).
Amounts are the exact decimal text (never a REAL), written with the currency's decimals
when it allows the amount, and also as an integer count of the currency's minor units
(`amount_minor`: USD 12.34 -> 1234, JPY 500 -> 500, KWD 1.234 -> 1234), which is what
SQL sums: integers add up exactly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from console import money
from console.entries import JournalEntry, Kind

COLUMNS = (
    "id, kind, status, profile, idempotency_key, payment_id, object_id, amount, currency, "
    "created_at, updated_at, request, response, error, owner, reported, operator, host"
)
"""The columns a `JournalEntry` is read from, in `entry`'s order."""

_FORBIDDEN_REQUEST_FIELDS = ("api_key", "apikey", "authorization", "secret", "password")


def timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("journal timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def amount_text(amount: Decimal | None, currency: str | None) -> str | None:
    if amount is None:
        return None
    if currency is not None:
        # An amount the currency does not allow is kept exactly: the journal records.
        with contextlib.suppress(money.AmountError):
            amount = money.quantize(amount, currency)
    return format(amount, "f")


def minor_units(amount: Decimal | None, currency: str | None) -> int | None:
    """The amount in the currency's minor units; None without an amount or a currency,
    or when the amount is not a whole number of them (such an entry is in no sum)."""
    if amount is None or currency is None:
        return None
    try:
        return money.to_minor(amount, currency)
    except money.AmountError:
        return None


def check_request(request: Mapping[str, Any]) -> None:
    for name in request:
        if str(name).lower() in _FORBIDDEN_REQUEST_FIELDS:
            raise ValueError(f"refusing to journal a request with a '{name}' field")


def from_response(kind: Kind, response: Mapping[str, Any]) -> dict[str, Any]:
    """Columns a successful response settles: ids, and the amount the server used."""
    found: dict[str, Any] = {"object_id": response.get("id")}
    found["payment_id"] = response.get("id") if kind == "payment" else response.get("payment_id")
    if isinstance(response.get("amount"), (Decimal, int)):
        found["amount"] = Decimal(response["amount"])
    if isinstance(response.get("currency"), str):
        found["currency"] = response["currency"]
    return {name: value for name, value in found.items() if value is not None}


def entry(row: tuple[Any, ...]) -> JournalEntry:
    """The entry a row of `COLUMNS` holds."""
    (
        entry_id,
        kind,
        status,
        profile,
        idempotency_key,
        payment_id,
        object_id,
        amount,
        currency,
        created_at,
        updated_at,
        request,
        response,
        error,
        owner,
        reported,
        operator,
        host,
    ) = row
    return JournalEntry(
        id=entry_id,
        kind=kind,
        status=status,
        profile=profile,
        idempotency_key=idempotency_key,
        payment_id=payment_id,
        object_id=object_id,
        amount=None if amount is None else Decimal(amount),
        currency=currency,
        created_at=datetime.fromisoformat(created_at),
        updated_at=datetime.fromisoformat(updated_at),
        request=money.loads(request),
        response=None if response is None else money.loads(response),
        error=error,
        owner=owner,
        reported=bool(reported),
        operator=operator,
        host=host,
    )
