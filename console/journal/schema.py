"""The SQLite journal's table, its indexes and its versions (`PRAGMA user_version`).

A journal written by an older release is migrated in place when it is opened: each step
of `MIGRATIONS` takes a journal of the version before to its own, all in one write
transaction, so another process opening it meanwhile waits, and a step that fails
leaves the file as it was. Each version is tested with a file that release wrote
(`tests/fixtures/journal-v1.sqlite3` to `journal-v4.sqlite3`).

- v1: the table.
- v2: `owner` (the process sending a pending entry) and `reported`.
- v3: `amount_minor` (the amount as an integer of minor units, filled in for every
  existing entry) and the index the day's figures are summed over.
- v4: `batches` (a CSV batch: its file, profile and runner) and `batch_rows` (why a row's
  operation failed: refused, or never sent), beside the operations; see `batches`.
- v5: `operator` and `host` (who sent an operation last, from which machine; NULL in
  the entries of older releases) and the index `history --operator` reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from console.journal.rows import minor_units

SCHEMA_VERSION = 5

TABLE = """
CREATE TABLE IF NOT EXISTS operations (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown')),
    profile TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payment_id TEXT,
    object_id TEXT,
    amount TEXT,
    currency TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT,
    error TEXT,
    owner TEXT,
    reported INTEGER NOT NULL DEFAULT 1,
    amount_minor INTEGER,
    operator TEXT,
    host TEXT
)
"""

BATCH_TABLES = (
    """CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    owner TEXT
)""",
    "CREATE INDEX IF NOT EXISTS batches_path ON batches (path, profile)",
    """CREATE TABLE IF NOT EXISTS batch_rows (
    batch_id TEXT NOT NULL,
    line INTEGER NOT NULL,
    entry_id INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('refused', 'not_sent')),
    PRIMARY KEY (batch_id, line)
) WITHOUT ROWID""",
)
"""Tables and their index (v4), created with the journal or by the migration."""

INDEXES = (
    "CREATE INDEX IF NOT EXISTS operations_payment_id ON operations (payment_id, id)",
    "CREATE INDEX IF NOT EXISTS operations_object_id ON operations (object_id)",
    "CREATE INDEX IF NOT EXISTS operations_status ON operations (status, id)",
    "CREATE INDEX IF NOT EXISTS operations_idempotency_key ON operations (idempotency_key)",
    # One profile's entries newest first: history, recent activity, keyset pages.
    "CREATE INDEX IF NOT EXISTS operations_profile ON operations (profile, id)",
    "CREATE INDEX IF NOT EXISTS operations_profile_status ON operations (profile, status, id)",
    # The day's figures: one profile's succeeded payments (or refunds) in one currency
    # over a time range, covering the amounts the sums read (`daily`).
    "CREATE INDEX IF NOT EXISTS operations_figures ON operations"
    " (profile, status, kind, currency, created_at, amount_minor)",
    "CREATE INDEX IF NOT EXISTS operations_operator ON operations (operator, id)",
)

Step = Callable[[sqlite3.Connection], None]

_BACKFILL_BATCH = 10_000


def _statements(*sql: str) -> Step:
    def run(db: sqlite3.Connection) -> None:
        for statement in sql:
            db.execute(statement)

    return run


def _add_minor_units(db: sqlite3.Connection) -> None:
    """v3: the new column, filled in from each entry's amount text, in batches by id
    (memory stays flat on a journal of millions)."""
    db.execute("ALTER TABLE operations ADD COLUMN amount_minor INTEGER")
    last = 0
    while True:
        rows = db.execute(
            "SELECT id, amount, currency FROM operations WHERE id > ?"
            " AND amount IS NOT NULL AND currency IS NOT NULL ORDER BY id LIMIT ?",
            (last, _BACKFILL_BATCH),
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        db.executemany(
            "UPDATE operations SET amount_minor = ? WHERE id = ?",
            [
                (units, entry_id)
                for entry_id, amount, currency in rows
                if (units := _units(amount, currency)) is not None
            ],
        )


def _units(amount: str, currency: str) -> int | None:
    try:
        return minor_units(Decimal(amount), currency)
    except InvalidOperation:  # text some other program wrote: in no sum, as before
        return None


MIGRATIONS: dict[int, Step] = {
    2: _statements(
        "ALTER TABLE operations ADD COLUMN owner TEXT",
        "ALTER TABLE operations ADD COLUMN reported INTEGER NOT NULL DEFAULT 1",
    ),
    3: _add_minor_units,
    4: _statements(*BATCH_TABLES),
    5: _statements(
        "ALTER TABLE operations ADD COLUMN operator TEXT",
        "ALTER TABLE operations ADD COLUMN host TEXT",
    ),
}
"""Version -> the step that takes a journal of the version before to it."""


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> None:
    """Create the table, or bring an older journal up to `SCHEMA_VERSION`, in place.
    `db` is in autocommit mode; the caller holds its lock."""
    if version(db) >= SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")  # another process may be migrating it too
    try:
        found = version(db)
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'operations'"
        ).fetchone()
        if exists:
            for step in range(max(found, 1) + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](db)
        for statement in (TABLE, *BATCH_TABLES, *INDEXES):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
