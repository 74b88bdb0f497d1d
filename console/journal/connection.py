"""What every part of the journal stands on: one connection to its backend (a SQLite file
or a PostgreSQL database), one lock, the dialect of its SQL, and who writes through it.

The parts (`writes`, `queries`, `daily`, `export`, `batches`) run the same statements on
either backend through `_db`, whose `execute` takes `?` parameters on both. A backend
says who this journal is as the owner of a pending entry (`owner`) and whether another
owner still runs (`alive`): a process on this machine for a file, a session holding its
advisory lock for a shared PostgreSQL journal.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from console.entries import JournalEntry
from console.journal import rows
from console.journal.backend import Backend, Database
from console.journal.identity import Sender


def open_backend(where: str | Path, *, busy_timeout_ms: int) -> Backend:
    """A `postgresql://` URL's database, else the SQLite file at `where`."""
    if str(where).partition("://")[0].lower() in ("postgresql", "postgres"):
        from console.journal.postgres import PostgresBackend

        return PostgresBackend(str(where))
    from console.journal.sqlite_file import SqliteBackend

    return SqliteBackend(where, busy_timeout_ms=busy_timeout_ms)


class Connected:
    """An open journal (migrated to this version); safe to share between threads: every
    statement runs under one lock, on one autocommit connection."""

    def __init__(
        self, path: str | Path, *, busy_timeout_ms: int = 5000, operator: str | None = None
    ) -> None:
        """`path`: a SQLite file, or a `postgresql://` URL (a shared journal);
        `busy_timeout_ms`: how long a write to a file waits for another process's write
        lock before it fails (`sqlite3.OperationalError: database is locked`); `operator`:
        who the entries written through it are recorded as sent by (None: the OS user)."""
        self.path = path
        self.sender = Sender.here(operator)
        self._lock = threading.Lock()
        self._backend = open_backend(path, busy_timeout_ms=busy_timeout_ms)
        self._db = self._backend.db
        self.dialect = self._backend.dialect
        try:
            with self._lock:
                self._backend.migrate()
        except BaseException:
            self._backend.close()
            raise

    @property
    def shared(self) -> bool:
        """Whether several consoles share this journal (PostgreSQL)."""
        return self.dialect.name == "postgresql"

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
            self._backend.close()

    @property
    def owner(self) -> str:
        """This journal as the owner of the entries it sends (a process for a file, the
        process and its database session for a shared journal)."""
        return self._backend.owner()

    def is_running(self, owner: str | None) -> bool:
        """Whether `owner` (of a pending entry, or of a batch) still runs, as this
        journal's backend can tell: a process on this machine, or a console's session."""
        return owner is not None and bool(self._backend.alive([owner]))

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
    def _snapshot(self) -> Iterator[Database]:
        """The connection, for several reads that see one state of the journal: a read
        transaction, under the lock (no other thread's statement runs inside it)."""
        with self._lock:
            self._db.execute(self.dialect.begin_read)
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _transaction(self, locking: str | None = None) -> Iterator[Database]:
        """The connection, in a write transaction under the lock (table `locking` locked
        against other writers of it, where the backend locks tables): committed when the
        block ends, rolled back if it raises."""
        with self._lock:
            self._db.execute(self.dialect.begin_write)
            try:
                if locking is not None and self.dialect.lock_table:
                    self._db.execute(self.dialect.lock_table.format(table=locking))
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _write(self, statement: str, params: Any = ()) -> int:
        """Run one write statement; returns the rows it changed."""
        with self._lock:
            return self._db.execute(statement, params).rowcount
