"""What every part of the SQLite journal stands on: one connection, one lock, rows in."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from console.entries import JournalEntry
from console.journal import rows, schema
from console.journal.identity import Sender
from console.sqlite_files import connect_private


class Connected:
    """An open SQLite journal file (migrated to this version); safe to share between
    threads: every statement runs under one lock, on one autocommit connection."""

    def __init__(
        self, path: str | Path, *, busy_timeout_ms: int = 5000, operator: str | None = None
    ) -> None:
        """`busy_timeout_ms`: how long a write waits for another process's write lock
        before it fails (`sqlite3.OperationalError: database is locked`); `operator`: who
        the entries written through it are recorded as sent by (None: the OS user)."""
        self.path = path
        self.sender = Sender.here(operator)
        self._lock = threading.Lock()
        self._db = connect_private(path, busy_timeout_ms=busy_timeout_ms)
        with self._lock:
            schema.migrate(self._db)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _select(self, tail: str, params: Any = ()) -> list[JournalEntry]:
        """The entries of `SELECT <columns> FROM operations<tail>`."""
        query = f"SELECT {rows.COLUMNS} FROM operations{tail}"  # noqa: S608 - fixed text
        with self._lock:
            found = self._db.execute(query, params).fetchall()
        return [rows.entry(row) for row in found]

    def _one(self, query: str, params: Any = ()) -> tuple[Any, ...] | None:
        """The first row of `query`, or None."""
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(query, params).fetchone()
        return row

    def _all(self, query: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(query, params).fetchall()

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """The connection, for several reads that see one state of the journal: a read
        transaction, under the lock (no other thread's statement runs inside it)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    def _write(self, statement: str, params: Any = ()) -> int:
        """Run one write statement; returns the rows it changed."""
        with self._lock:
            return self._db.execute(statement, params).rowcount
