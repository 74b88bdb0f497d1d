"""The journal, every part in one class, on a SQLite file (the default) or a shared
PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from console.journal.batches import Batches
from console.journal.daily import Daily
from console.journal.export import Export
from console.journal.queries import Queries
from console.journal.writes import Writes
from console.paths import data_dir


def default_journal_path() -> Path:
    return data_dir() / "journal.sqlite3"


class Journal(Writes, Queries, Daily, Export, Batches):
    """A journal of operations; safe to share between threads.

    `Journal(path, busy_timeout_ms=5000, operator=None)`: `path` is a SQLite file, or a
    `postgresql://` URL (a team's shared journal, `console.journal.postgres`); the
    journal is created, or migrated in place (`schema`, `postgres_schema`), when it is
    opened. Writing: `writes`; reading and the history's pages: `queries`; the day's
    figures: `daily`; the CSV export: `export`; CSV batches: `batches`.
    """
