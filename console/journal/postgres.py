"""The journal's PostgreSQL backend: a team's shared journal, through psycopg 3.

`Journal("postgresql://payments@db.internal/console")` opens it. Credentials never come
from the URL: one with a password is refused (libpq's own ways remain: ~/.pgpass,
PGPASSWORD, peer or certificate authentication). A URL that asks for TLS gets it
verified: `sslmode=require` connects as `verify-full` (the server's certificate and
name checked against ~/.postgresql/root.crt or `sslrootcert`).

Proof of life: each open journal holds a session advisory lock (space `LOCK_SPACE`, a
random key) for as long as its connection lives, and owns the entries it sends as
`<process>/pg<key>`. The server drops the lock the moment the session ends (the console
killed, its machine off, its network cut), so any console sees the owner gone in
`pg_locks` and the entry's outcome unknown at once.

Every psycopg error is raised as `JournalServerError` (an OSError): what the front ends
show of a journal that cannot be reached or written.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from console import processes
from console.journal import postgres_schema
from console.journal.dialect import POSTGRES, postgres_translate
from console.journal.errors import JournalServerError

LOCK_SPACE = 0x50434A32
"""The first key of every console's proof-of-life advisory lock."""
CONNECT_TIMEOUT_SECONDS = 10
_OWNER_MARK = "/pg"


def connection_info(url: str) -> str:
    """The libpq connection string of `url`: a password refused, TLS verified when the
    URL asks for it. A `JournalServerError` when it cannot be used."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise JournalServerError(f"the journal URL cannot be read: {_first_line(exc)}") from None
    if "password" in parts:
        raise JournalServerError(
            "the journal URL holds a password; remove it and use ~/.pgpass, PGPASSWORD, "
            "or peer or certificate authentication"
        )
    extra: dict[str, Any] = {"application_name": "payments-console"}
    extra.setdefault("connect_timeout", parts.get("connect_timeout", CONNECT_TIMEOUT_SECONDS))
    if parts.get("sslmode") == "require":
        extra["sslmode"] = "verify-full"
    return make_conninfo(url, **extra)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class _Translated:
    """The psycopg connection, taking the journal's `?` statements; its errors as
    `JournalServerError`. A connection the server dropped (restarted, the network cut)
    fails the statement that finds it so; the next statement opens a new one first
    (`reconnect`), so a long-running console carries on once the server is back."""

    def __init__(
        self,
        connection: psycopg.Connection[tuple[Any, ...]],
        url: str,
        reconnect: Callable[[], psycopg.Connection[tuple[Any, ...]]],
    ) -> None:
        self.connection = connection
        self.url = url
        self._reconnect = reconnect

    def _live(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self.connection.broken:
            self.connection.close()
            self.connection = self._reconnect()
        return self.connection

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor[tuple[Any, ...]]:
        try:
            return self._live().execute(postgres_translate(sql), parameters)
        except psycopg.Error as exc:
            raise self._failure(exc) from exc

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> psycopg.Cursor[Any]:
        try:
            cursor = self._live().cursor()
            cursor.executemany(postgres_translate(sql), parameters)
        except psycopg.Error as exc:
            raise self._failure(exc) from exc
        return cursor

    def _failure(self, exc: psycopg.Error) -> JournalServerError:
        return JournalServerError(f"the shared journal {self.url}: {_first_line(exc)}")


class PostgresBackend:
    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        self.url = url
        self._info = connection_info(url)
        self.db = _Translated(self._connect(), url, self._reconnect)
        self._owner = self._hold_a_lock(self.db.connection)

    def _reconnect(self) -> psycopg.Connection[tuple[Any, ...]]:
        """A new session, and its own proof of life: this journal's pending entries of
        the session lost are unknown to every console now, until their answers settle
        them."""
        connection = self._connect()
        self._owner = self._hold_a_lock(connection)
        return connection

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        try:
            return psycopg.connect(self._info, autocommit=True)
        except psycopg.Error as exc:
            raise JournalServerError(
                f"the shared journal {self.url} cannot be reached: {_first_line(exc)}"
            ) from None

    def _hold_a_lock(self, connection: psycopg.Connection[tuple[Any, ...]]) -> str:
        """Take a proof-of-life lock no other session holds; this journal as an owner."""
        while True:
            key = secrets.randbelow(2**31 - 1) + 1
            try:
                taken = connection.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_SPACE, key)
                ).fetchall()
            except psycopg.Error as exc:
                raise self.db._failure(exc) from exc
            if taken == [(True,)]:
                return f"{processes.current_owner()}{_OWNER_MARK}{key}"

    def migrate(self) -> None:
        postgres_schema.migrate(self.db)

    def owner(self) -> str:
        return self._owner

    def alive(self, owners: Collection[str]) -> set[str]:
        keys = {owner: _key(owner) for owner in owners}
        wanted = [key for key in keys.values() if key is not None]
        if not wanted:
            return set()
        found = self.db.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objsubid = 2 AND classid::bigint = ? AND objid::bigint = ANY(?)"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (LOCK_SPACE, wanted),
        ).fetchall()
        held = {int(row[0]) for row in found}
        return {owner for owner, key in keys.items() if key in held}

    def stream(self, query: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
        try:
            with psycopg.connect(self._info, autocommit=True) as reader:
                yield from reader.cursor().stream(postgres_translate(query), params)
        except psycopg.Error as exc:
            raise self.db._failure(exc) from exc

    def close(self) -> None:
        """Give the proof of life up first: the server ends a closed session's locks only
        once it notices, and until then its pending entries would look owned."""
        with contextlib.suppress(psycopg.Error):
            self.db.connection.execute("SELECT pg_advisory_unlock_all()")
        self.db.connection.close()


def _key(owner: str) -> int | None:
    """The proof-of-life key in an owner `<process>/pg<key>`; None for another owner (a
    process, from an entry copied from a file)."""
    _, mark, key = owner.rpartition(_OWNER_MARK)
    return int(key) if mark and key.isdigit() else None
