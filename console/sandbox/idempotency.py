"""Idempotency keys as Stripe keeps them: claimed, answered once, replayed for 24 hours.

A key belongs to the sandbox's one account (every API key the sandbox accepts) and is
bound to the path it was first used on. A record in progress names its owner (this
process and one Store), so it is never taken over while its request may still run; only
a record whose owner has stopped is abandoned.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console import money, processes
from console.clock import Clock
from console.sandbox.database import Database
from console.sandbox.errors import ApiError

IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60
"""Idempotency keys are honoured for 24 hours, as Stripe does."""

_open_owners: set[str] = set()
"""The tokens of this process's open owners (a closed Store can finish no request)."""
_open_owners_lock = threading.Lock()

Work = Callable[[sqlite3.Connection], tuple[int, dict[str, Any]]]
"""What a request does inside its transaction: the status and body of its answer."""


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


def account_scope(api_key: str) -> str:
    """The idempotency scope of the account whose own key is `api_key` (a hash, not the key)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


def abandoned(owner: str | None) -> bool:
    """True when the owner of a record in progress can no longer finish its request:
    its process has stopped, or it is a Store of this process that was closed."""
    process, _, token = (owner or "").partition("/")
    if process and process == processes.current_owner():
        with _open_owners_lock:
            return token not in _open_owners
    return not processes.is_alive(process)


def epoch_seconds(clock: Clock) -> float:
    """The clock's time as epoch seconds: what idempotency records are timed by."""
    moment = clock()
    if moment.tzinfo is None:
        raise ValueError("the sandbox clock must return timezone-aware datetimes")
    return moment.timestamp()


def forget_stale(conn: sqlite3.Connection, clock: Clock) -> None:
    """Delete the records older than the retention, and those whose owner has stopped."""
    try:
        now = epoch_seconds(clock)
    except ValueError:  # a naive clock: refused by the first request that needs the time
        pass
    else:
        conn.execute(
            "DELETE FROM idempotency WHERE created < ?", (now - IDEMPOTENCY_RETENTION_SECONDS,)
        )
    owners = conn.execute(
        "SELECT DISTINCT owner FROM idempotency WHERE state = 'in_progress'"
    ).fetchall()
    for (owner,) in owners:
        if abandoned(owner):
            conn.execute(
                "DELETE FROM idempotency WHERE state = 'in_progress' AND owner IS ?", (owner,)
            )


def key_in_use() -> ApiError:
    return ApiError(
        409,
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still being processed."
        " Retry after it has finished.",
        "Idempotency-Key",
    )


def _key_misused(what: str) -> ApiError:
    return ApiError(
        400,
        "idempotency_error",
        f"Keys for idempotent requests can only be used {what}.",
        "Idempotency-Key",
    )


class IdempotencyRecords:
    """The idempotency table as one owner sees it: claims, releases and stored answers."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._token = secrets.token_hex(8)
        self.owner = f"{processes.current_owner()}/{self._token}"
        """Written on every record this owner has in progress."""
        with _open_owners_lock:
            _open_owners.add(self._token)

    def close(self) -> None:
        """From now on, this owner's records in progress are abandoned."""
        with _open_owners_lock:
            _open_owners.discard(self._token)

    def reserve(self, slot: IdempotencySlot, request_id: str) -> Outcome | None:
        """Claim an idempotency key for this request, or return the stored answer to replay.

        Raises 400 idempotency_error when the key was first used on another path or with
        another body, and 409 idempotency_key_in_use while the request that claimed it may
        still be running, however long ago it started. A claim whose owner has stopped
        (a killed sandbox, a closed Store) is abandoned: nothing of it was committed, so
        this request takes the key over.
        """
        now = epoch_seconds(self._clock)
        with self._db.transaction() as conn:
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
                        raise _key_misused("for the same endpoint they were first used for")
                    if fingerprint != slot.fingerprint:
                        raise _key_misused(
                            "with the same parameters they were first used with. Use a new"
                            " Idempotency-Key for a different request"
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
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM idempotency WHERE scope = ? AND key = ? AND request_id = ?"
                " AND owner = ? AND state = 'in_progress'",
                (slot.scope, slot.key, request_id, self.owner),
            )

    def execute(self, slot: IdempotencySlot | None, request_id: str, work: Work) -> Outcome:
        """Run `work` in one transaction that also stores the answer under the idempotency key.

        `work` raises ApiError before writing anything, so an error answer commits only
        the idempotency record. With a slot, `work` is committed only while this request
        still holds the key (checked in the same transaction); else it is rolled back and
        the answer is 409 idempotency_key_in_use.
        """
        try:
            with self._db.transaction() as conn:
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
