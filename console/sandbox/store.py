"""The sandbox's SQLite store: payments, refunds, idempotency records and the test key.

One connection per store, used under a lock; every write is a `BEGIN IMMEDIATE`
transaction, so writers (threads or processes sharing the file) are serialized by
SQLite's write lock. That is what keeps concurrent refunds of one payment from ever
exceeding its amount, and a CHECK constraint backs it up. WAL mode with
synchronous=NORMAL: a committed transaction survives the process being killed.

Idempotency keys follow Stripe: a key belongs to the sandbox's one account (every API key
the sandbox accepts), is bound to the path it was first used on, and a record in progress
names its owner (this process and this Store), so it is never taken over while its
request may still run; only a record whose owner has stopped is abandoned. The schema's
version is `PRAGMA user_version`; an older database is migrated in place when it opens.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console import money, processes
from console.clock import Clock, utc_now
from console.sandbox import tokens
from console.sandbox.errors import (
    ApiError,
    invalid_refund_amount,
    payment_not_found,
    refund_not_found,
)
from console.sqlite_files import connect_private
from console.wire.models import PaymentCreate, RefundCreate

IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60
"""Idempotency keys are honoured for 24 hours, as Stripe does."""

SCHEMA_VERSION = 1
"""`PRAGMA user_version` of the current schema. 0: idempotency keyed by (scope, path, key)."""

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
"""

_IDEMPOTENCY_TABLE = """
CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    status INTEGER,
    body TEXT,
    request_id TEXT NOT NULL,
    owner TEXT,
    created REAL NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID
"""
"""One record per (account scope, key). `path` is where the key was first used; `owner`
("<pid>:<start>/<store>") names who runs a request in progress; `created` is epoch
seconds from the Store's clock."""

_open_stores: set[str] = set()
"""The tokens of this process's open Stores (a closed Store can finish no request)."""
_open_stores_lock = threading.Lock()

IdFactory = Callable[[str], str]


def random_id(prefix: str) -> str:
    """The default id factory: random_id("pay") -> "pay_3f9c...", 24 hex digits."""
    return f"{prefix}_{secrets.token_hex(12)}"


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("the sandbox clock must return timezone-aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def account_scope(api_key: str) -> str:
    """The idempotency scope of the account whose own key is `api_key` (a hash, not the key)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


def abandoned(owner: str | None) -> bool:
    """True when the owner of a record in progress can no longer finish its request:
    its process has stopped, or it is a Store of this process that was closed."""
    process, _, token = (owner or "").partition("/")
    if process and process == processes.current_owner():
        with _open_stores_lock:
            return token not in _open_stores
    return not processes.is_alive(process)


@dataclass(frozen=True)
class IdempotencySlot:
    """One Idempotency-Key: the account scope and the key identify it; the path it is used
    on and the body's hash must match the record's."""

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
        self._token = secrets.token_hex(8)
        self.owner = f"{processes.current_owner()}/{self._token}"
        """Written on every idempotency record this Store has in progress."""
        self._conn = connect_private(self.path, busy_timeout_ms=10_000)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.executescript(_SCHEMA)
        self.api_key = self._ensure_api_key()
        self.account = account_scope(self.api_key)
        """The idempotency scope: every API key this sandbox accepts is this one account."""
        try:
            now: float | None = self._now()
        except ValueError:  # a naive clock: refused by the first request that needs the time
            now = None
        with self._transaction() as conn:
            self._migrate(conn)
            if now is not None:
                conn.execute(
                    "DELETE FROM idempotency WHERE created < ?",
                    (now - IDEMPOTENCY_RETENTION_SECONDS,),
                )
            owners = conn.execute(
                "SELECT DISTINCT owner FROM idempotency WHERE state = 'in_progress'"
            ).fetchall()
            for (owner,) in owners:
                if abandoned(owner):
                    conn.execute(
                        "DELETE FROM idempotency WHERE state = 'in_progress' AND owner IS ?",
                        (owner,),
                    )
        with _open_stores_lock:
            _open_stores.add(self._token)

    def close(self) -> None:
        with _open_stores_lock:
            _open_stores.discard(self._token)
        with self._lock:
            self._conn.close()

    def _now(self) -> float:
        """The Store's clock as epoch seconds: what idempotency records are timed by."""
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError("the sandbox clock must return timezone-aware datetimes")
        return moment.timestamp()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Bring the idempotency table to SCHEMA_VERSION, keeping its records.

        Version 0 keyed records by (API key scope, path, key). Every record moves to this
        account's scope; where several share a key, the first one (oldest) is kept. Records
        in progress have no owner, so they count as abandoned. Payments, refunds and the
        API key are not touched.
        """
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version >= SCHEMA_VERSION:
            return
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'idempotency'"
        ).fetchone()
        if exists:
            conn.execute("ALTER TABLE idempotency RENAME TO idempotency_v0")
        conn.execute(_IDEMPOTENCY_TABLE)
        if exists:
            conn.execute(
                "INSERT OR IGNORE INTO idempotency (scope, key, path, fingerprint, state,"
                " status, body, request_id, owner, created)"
                " SELECT ?, key, path, fingerprint, state, status, body, request_id, NULL,"
                " created FROM idempotency_v0 ORDER BY created, scope, path",
                (self.account,),
            )
            conn.execute("DROP TABLE idempotency_v0")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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

        Raises 400 idempotency_error when the key was first used on another path or with
        another body, and 409 idempotency_key_in_use while the request that claimed it may
        still be running, however long ago it started. A claim whose owner has stopped
        (a killed sandbox, a closed Store) is abandoned: nothing of it was committed, so
        this request takes the key over.
        """
        now = self._now()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT path, fingerprint, state, status, body, request_id, owner, created"
                " FROM idempotency WHERE scope = ? AND key = ?",
                (slot.scope, slot.key),
            ).fetchone()
            if row is not None:
                path, fingerprint, state, status, body, original_id, owner, created = row
                expired = created < now - IDEMPOTENCY_RETENTION_SECONDS
                if not expired and not (state == "in_progress" and abandoned(owner)):
                    if path != slot.path:
                        raise ApiError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used for the same"
                            " endpoint they were first used for.",
                            "Idempotency-Key",
                        )
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
                        raise key_in_use()
                    return Outcome(int(status), str(body), str(original_id))
            conn.execute(
                "INSERT OR REPLACE INTO idempotency"
                " (scope, key, path, fingerprint, state, request_id, owner, created)"
                " VALUES (?, ?, ?, ?, 'in_progress', ?, ?, ?)",
                (slot.scope, slot.key, slot.path, slot.fingerprint, request_id, self.owner, now),
            )
        return None

    def release(self, slot: IdempotencySlot, request_id: str) -> None:
        """Forget this request's claim on a key when it did not execute (a retry may run it)."""
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM idempotency WHERE scope = ? AND key = ? AND request_id = ?"
                " AND owner = ? AND state = 'in_progress'",
                (slot.scope, slot.key, request_id, self.owner),
            )

    def _execute(
        self,
        slot: IdempotencySlot | None,
        request_id: str,
        work: Callable[[sqlite3.Connection], tuple[int, dict[str, Any]]],
    ) -> Outcome:
        """Run `work` in one transaction that also stores the answer under the idempotency key.

        `work` raises ApiError before writing anything, so an error answer commits only
        the idempotency record. With a slot, `work` is committed only while this request
        still holds the key (checked in the same transaction); else it is rolled back and
        the answer is 409 idempotency_key_in_use.
        """
        try:
            with self._transaction() as conn:
                try:
                    status, payload = work(conn)
                except ApiError as exc:
                    status, payload = exc.status, exc.body(request_id)
                body = money.dumps(payload)
                if slot is not None:
                    stored = conn.execute(
                        "UPDATE idempotency SET state = 'done', status = ?, body = ?,"
                        " owner = NULL WHERE scope = ? AND key = ? AND request_id = ?"
                        " AND owner = ? AND state = 'in_progress'",
                        (status, body, slot.scope, slot.key, request_id, self.owner),
                    )
                    if stored.rowcount != 1:  # the key is no longer this request's:
                        raise key_in_use()  # the transaction, `work` with it, rolls back
        except BaseException:
            if slot is not None:
                self.release(slot, request_id)
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


def key_in_use() -> ApiError:
    return ApiError(
        409,
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still being processed."
        " Retry after it has finished.",
        "Idempotency-Key",
    )


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
