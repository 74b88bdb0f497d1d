"""The sandbox's SQLite store: payments, refunds, idempotency records and the test key.

One connection per store, used under a lock; every write is a `BEGIN IMMEDIATE`
transaction, so writers (threads or processes sharing the file) are serialized by
SQLite's write lock. That is what keeps concurrent refunds of one payment from ever
exceeding its amount, and a CHECK constraint backs it up. WAL mode with
synchronous=NORMAL: a committed transaction survives the process being killed.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console import money
from console.api.models import PaymentCreate, RefundCreate
from console.sandbox import tokens
from console.sandbox.errors import (
    ApiError,
    invalid_refund_amount,
    payment_not_found,
    refund_not_found,
)
from console.sqlite_files import connect_private

IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60
"""Idempotency keys are honoured for 24 hours, as Stripe does."""

ABANDONED_AFTER_SECONDS = 60.0
"""An in-flight idempotency record this old belongs to a request that died (crash)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL,
    decline_code TEXT,
    amount_refunded INTEGER NOT NULL DEFAULT 0
        CHECK (amount_refunded >= 0 AND amount_refunded <= amount),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_by_payment ON refunds (payment_id);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    path TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    status INTEGER,
    body TEXT,
    request_id TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (scope, path, key)
) WITHOUT ROWID;
"""

Clock = Callable[[], datetime]
IdFactory = Callable[[str], str]


def utc_now() -> datetime:
    return datetime.now(UTC)


def random_id(prefix: str) -> str:
    """The default id factory: random_id("pay") -> "pay_3f9c...", 24 hex digits."""
    return f"{prefix}_{secrets.token_hex(12)}"


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("the sandbox clock must return timezone-aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class IdempotencySlot:
    """Where one Idempotency-Key lives: API key scope + path + key, with the body's hash."""

    scope: str
    path: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    """A finished answer: status code and the exact JSON text of its body."""

    status: int
    body: str
    request_id: str


class Store:
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
        self._lock = threading.Lock()
        self._conn = connect_private(self.path, busy_timeout_ms=10_000)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.executescript(_SCHEMA)
        self.api_key = self._ensure_api_key()
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM idempotency WHERE created < ?",
                (time.time() - IDEMPOTENCY_RETENTION_SECONDS,),
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _ensure_api_key(self) -> str:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('api_key', ?)",
                (f"sk_test_{secrets.token_hex(16)}",),
            )
            row = conn.execute("SELECT value FROM meta WHERE key = 'api_key'").fetchone()
        return str(row[0])

    # --- idempotency ---------------------------------------------------------------

    def reserve(self, slot: IdempotencySlot, request_id: str) -> Outcome | None:
        """Claim an idempotency key for this request, or return the stored answer to replay.

        Raises 400 idempotency_error when the key was used with another body, and 409
        idempotency_key_in_use while the request that claimed it is still running.
        """
        now = time.time()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT fingerprint, state, status, body, request_id, created FROM idempotency"
                " WHERE scope = ? AND path = ? AND key = ?",
                (slot.scope, slot.path, slot.key),
            ).fetchone()
            if row is not None:
                fingerprint, state, status, body, original_id, created = row
                expired = created < now - IDEMPOTENCY_RETENTION_SECONDS
                abandoned = state == "in_progress" and created < now - ABANDONED_AFTER_SECONDS
                if not (expired or abandoned):
                    if fingerprint != slot.fingerprint:
                        raise ApiError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same"
                            " parameters they were first used with. Use a new Idempotency-Key"
                            " for a different request.",
                            "Idempotency-Key",
                        )
                    if state == "in_progress":
                        raise ApiError(
                            409,
                            "idempotency_key_in_use",
                            "A request with this Idempotency-Key is still being processed."
                            " Retry after it has finished.",
                            "Idempotency-Key",
                        )
                    return Outcome(int(status), str(body), str(original_id))
            conn.execute(
                "INSERT OR REPLACE INTO idempotency"
                " (scope, path, key, fingerprint, state, request_id, created)"
                " VALUES (?, ?, ?, ?, 'in_progress', ?, ?)",
                (slot.scope, slot.path, slot.key, slot.fingerprint, request_id, now),
            )
        return None

    def release(self, slot: IdempotencySlot) -> None:
        """Forget a claimed key whose request did not execute (so a retry can run it)."""
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM idempotency WHERE scope = ? AND path = ? AND key = ?"
                " AND state = 'in_progress'",
                (slot.scope, slot.path, slot.key),
            )

    def _execute(
        self,
        slot: IdempotencySlot | None,
        request_id: str,
        work: Callable[[sqlite3.Connection], tuple[int, dict[str, Any]]],
    ) -> Outcome:
        """Run `work` in one transaction that also stores the answer under the idempotency key.

        `work` raises ApiError before writing anything, so an error answer commits only
        the idempotency record.
        """
        try:
            with self._transaction() as conn:
                try:
                    status, payload = work(conn)
                except ApiError as exc:
                    status, payload = exc.status, exc.body(request_id)
                body = money.dumps(payload)
                if slot is not None:
                    conn.execute(
                        "UPDATE idempotency SET state = 'done', status = ?, body = ?"
                        " WHERE scope = ? AND path = ? AND key = ?",
                        (status, body, slot.scope, slot.path, slot.key),
                    )
        except BaseException:
            if slot is not None:
                self.release(slot)
            raise
        return Outcome(status, body, request_id)

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

        return self._execute(slot, request_id, work)

    def get_payment(self, payment_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, amount, currency, status, created_at, description, amount_refunded"
                " FROM payments WHERE id = ?",
                (payment_id,),
            ).fetchone()
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

        return self._execute(slot, request_id, work)

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._conn.execute(
                "SELECT r.id, r.payment_id, r.amount, p.currency, r.status, r.created_at"
                " FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = ?",
                (refund_id,),
            ).fetchone()
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
