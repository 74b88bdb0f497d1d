"""The sandbox's store: payments and refunds, each written with its idempotency record.

A Store opens the database (`database.py`), migrates it, forgets stale idempotency
records (`idempotency.py`) and then answers requests: every create runs in one
transaction that also stores its answer under the request's Idempotency-Key.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console import money
from console.clock import Clock, utc_now
from console.sandbox import tokens
from console.sandbox.database import Database, migrate
from console.sandbox.errors import (
    ApiError,
    invalid_refund_amount,
    payment_not_found,
    refund_not_found,
)
from console.sandbox.idempotency import (
    IdempotencyRecords,
    IdempotencySlot,
    Outcome,
    account_scope,
    forget_stale,
)
from console.wire.models import PaymentCreate, RefundCreate

IdFactory = Callable[[str], str]


def random_id(prefix: str) -> str:
    """The default id factory: random_id("pay") -> "pay_3f9c...", 24 hex digits."""
    return f"{prefix}_{secrets.token_hex(12)}"


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("the sandbox clock must return timezone-aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """Payments, refunds and idempotency records in one SQLite database (or ":memory:")."""

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Clock | None = None,
        id_factory: IdFactory | None = None,
    ) -> None:
        self.path = str(path)
        self._clock = clock or utc_now
        self._new_id = id_factory or random_id
        self._db = Database(self.path)
        self.api_key = self._db.api_key()
        self.account = account_scope(self.api_key)
        """The idempotency scope: every API key this sandbox accepts is this one account."""
        with self._db.transaction() as conn:
            migrate(conn, self.account)
            forget_stale(conn, self._clock)
        self._keys = IdempotencyRecords(self._db, self._clock)

    def close(self) -> None:
        self._keys.close()
        self._db.close()

    def reserve(self, slot: IdempotencySlot, request_id: str) -> Outcome | None:
        """Claim a key for this request, or the stored answer to replay (`IdempotencyRecords`)."""
        return self._keys.reserve(slot, request_id)

    def release(self, slot: IdempotencySlot, request_id: str) -> None:
        """Forget this request's claim on a key when it did not execute."""
        self._keys.release(slot, request_id)

    # --- payments ------------------------------------------------------------------

    def create_payment(
        self, request: PaymentCreate, request_id: str, slot: IdempotencySlot | None = None
    ) -> Outcome:
        """Store a payment: 201 for a succeeding token, 402 (payment kept as failed) else."""

        def work(conn: sqlite3.Connection) -> tuple[int, dict[str, Any]]:
            payment_id = self._new_id("pay")
            decline_code = tokens.DECLINE_CODES.get(request.source)
            status = "failed" if decline_code else "succeeded"
            created_at = _timestamp(self._clock())
            minor = money.to_minor(request.amount, request.currency)
            conn.execute(
                "INSERT INTO payments (id, amount, currency, source, description, status,"
                " decline_code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    payment_id,
                    minor,
                    request.currency,
                    request.source,
                    request.description,
                    status,
                    decline_code,
                    created_at,
                ),
            )
            if decline_code is not None:
                declined = ApiError(
                    402,
                    "card_declined",
                    tokens.DECLINE_MESSAGES[decline_code],
                    "source",
                    extra={"decline_code": decline_code, "payment_id": payment_id},
                )
                return 402, declined.body(request_id)
            wire = _payment_wire(
                payment_id, minor, request.currency, status, created_at, request.description, 0
            )
            return 201, wire

        return self._keys.execute(slot, request_id, work)

    def get_payment(self, payment_id: str) -> dict[str, Any]:
        row = self._db.read_one(
            "SELECT id, amount, currency, status, created_at, description, amount_refunded"
            " FROM payments WHERE id = ?",
            (payment_id,),
        )
        if row is None:
            raise payment_not_found("id")
        return _payment_wire(*row)

    # --- refunds -------------------------------------------------------------------

    def create_refund(
        self, request: RefundCreate, request_id: str, slot: IdempotencySlot | None = None
    ) -> Outcome:
        """Refund part or all of what remains of a payment, serialized per database."""

        def work(conn: sqlite3.Connection) -> tuple[int, dict[str, Any]]:
            row = conn.execute(
                "SELECT amount, currency, status, amount_refunded FROM payments WHERE id = ?",
                (request.payment_id,),
            ).fetchone()
            if row is None:
                raise payment_not_found("payment_id")
            amount, currency, status, refunded = row
            if status != "succeeded":
                raise ApiError(
                    400,
                    "payment_failed",
                    f"Payment {request.payment_id} failed, so there is nothing to refund",
                    "payment_id",
                )
            remaining = amount - refunded
            if remaining <= 0:
                raise ApiError(
                    400,
                    "charge_already_refunded",
                    f"Payment {request.payment_id} has already been fully refunded",
                    "payment_id",
                )
            minor = remaining if request.amount is None else _refund_minor(request, currency)
            if minor > remaining:
                raise invalid_refund_amount()
            refund_id = self._new_id("refund")
            created_at = _timestamp(self._clock())
            conn.execute(
                "INSERT INTO refunds (id, payment_id, amount, status, created_at)"
                " VALUES (?, ?, ?, 'succeeded', ?)",
                (refund_id, request.payment_id, minor, created_at),
            )
            conn.execute(
                "UPDATE payments SET amount_refunded = amount_refunded + ? WHERE id = ?",
                (minor, request.payment_id),
            )
            return 201, _refund_wire(
                refund_id, request.payment_id, minor, currency, "succeeded", created_at
            )

        return self._keys.execute(slot, request_id, work)

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        row = self._db.read_one(
            "SELECT r.id, r.payment_id, r.amount, p.currency, r.status, r.created_at"
            " FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = ?",
            (refund_id,),
        )
        if row is None:
            raise refund_not_found()
        return _refund_wire(*row)


def _refund_minor(request: RefundCreate, currency: str) -> int:
    assert request.amount is not None
    try:
        money.check_amount(request.amount, currency)
        return money.to_minor(request.amount, currency)
    except money.AmountError:
        raise invalid_refund_amount() from None


def _payment_wire(
    payment_id: str,
    minor: int,
    currency: str,
    status: str,
    created_at: str,
    description: str | None,
    refunded: int,
) -> dict[str, Any]:
    return {
        "id": payment_id,
        "amount": money.from_minor(minor, currency),
        "currency": currency,
        "status": status,
        "created_at": created_at,
        "description": description,
        "amount_refunded": money.from_minor(refunded, currency),
        "refunded": refunded == minor,
    }


def _refund_wire(
    refund_id: str, payment_id: str, minor: int, currency: str, status: str, created_at: str
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "payment_id": payment_id,
        "amount": money.from_minor(minor, currency),
        "currency": currency,
        "status": status,
        "created_at": created_at,
    }
