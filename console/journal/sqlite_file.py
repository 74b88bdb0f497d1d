"""The journal's SQLite backend: one file (WAL, owner-only) on this machine, whose
pending entries are owned by processes (`console.processes`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from console import processes
from console.journal import schema
from console.journal.dialect import SQLITE
from console.sqlite_files import MEMORY, connect_private


class SqliteBackend:
    dialect = SQLITE

    def __init__(self, path: str | Path, *, busy_timeout_ms: int) -> None:
        self.path = path
        self.db = connect_private(path, busy_timeout_ms=busy_timeout_ms)

    def migrate(self) -> None:
        schema.migrate(self.db)

    def owner(self) -> str:
        return processes.current_owner()

    def alive(self, owners: Collection[str]) -> set[str]:
        return {owner for owner in owners if processes.is_alive(owner)}

    def stream(self, query: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
        if str(self.path) == MEMORY:  # an in-memory journal has only its own connection
            yield from self.db.execute(query, params).fetchall()
            return
        reader = sqlite3.connect(self.path)
        try:
            yield from reader.execute(query, params)
        finally:
            reader.close()

    def close(self) -> None:
        self.db.close()
