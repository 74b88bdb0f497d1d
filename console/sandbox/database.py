"""The sandbox's SQLite file: its tables, their migration, and one connection under a lock.

Every write is a `BEGIN IMMEDIATE` transaction, so writers (threads or processes sharing
the file) are serialized by SQLite's write lock. That is what keeps concurrent refunds of
one payment from ever exceeding its amount, and a CHECK constraint backs it up. WAL mode
with synchronous=NORMAL: a committed transaction survives the process being killed. The
schema's version is `PRAGMA user_version`; an older database is migrated in place.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from console.sqlite_files import connect_private

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


class Database:
    """One connection to the sandbox's file (or ":memory:"), shared by threads under a lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = connect_private(path, busy_timeout_ms=10_000)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A `BEGIN IMMEDIATE` transaction: committed when the block ends, else rolled back."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def read_one(self, sql: str, parameters: tuple[Any, ...]) -> Any:
        """The first row a query returns (None when there is none), outside a transaction."""
        with self._lock:
            return self._conn.execute(sql, parameters).fetchone()

    def api_key(self) -> str:
        """The database's own test key, generated the first time it opens."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('api_key', ?)",
                (f"sk_test_{secrets.token_hex(16)}",),
            )
            row = conn.execute("SELECT value FROM meta WHERE key = 'api_key'").fetchone()
        return str(row[0])


def migrate(conn: sqlite3.Connection, account: str) -> None:
    """Bring the idempotency table to SCHEMA_VERSION, keeping its records.

    Version 0 keyed records by (API key scope, path, key). Every record moves to the
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
            (account,),
        )
        conn.execute("DROP TABLE idempotency_v0")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
