"""What a journal backend is (a SQLite file, `sqlite_file`; a PostgreSQL database,
`postgres`): the connection its statements run on, the dialect of its SQL, and who owns
the entries being sent through it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any, Protocol

from console.journal.dialect import Dialect


class Rows(Protocol):
    """What a statement returns (a sqlite3 or psycopg cursor)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Database(Protocol):
    """A connection in autocommit mode that takes `?` parameters."""

    def execute(self, sql: str, parameters: Any = (), /) -> Rows: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Rows: ...


class Backend(Protocol):
    @property
    def db(self) -> Database: ...

    @property
    def dialect(self) -> Dialect: ...

    def migrate(self) -> None:
        """Create the journal, or bring an older one to this version, in place."""

    def owner(self) -> str:
        """This journal connection as the owner of the entries it sends."""

    def alive(self, owners: Collection[str]) -> set[str]:
        """Those of `owners` that still run."""

    def stream(self, query: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of `query`, read without holding the journal's lock (another
        connection), a few at a time."""

    def close(self) -> None: ...
