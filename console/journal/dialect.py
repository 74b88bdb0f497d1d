"""What the journal's SQL says differently on SQLite and on PostgreSQL, in one place.

Every statement of the journal's parts is written once, SQLite-style (`?` parameters,
`RETURNING`, `ON CONFLICT`), and runs on both: PostgreSQL's connection turns `?` into
`%s` (`postgres_translate`). What cannot be written once is a `Dialect` field: how a
transaction begins, how it locks a table or skips a row another session has locked,
how a JSON field is read, and `LIKE` (case-insensitive in SQLite: `ILIKE` there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Dialect:
    name: str
    begin_read: str
    """Starts a transaction whose reads all see one state of the journal."""
    begin_write: str
    """Starts a transaction that writes (SQLite takes the file's write lock at once)."""
    lock_table: str
    """Locks table `{table}` against another writer of it till the transaction ends."""
    skip_locked: str
    """Ends a SELECT of rows to update: rows another session is updating are skipped."""
    wait_locked: str
    """Ends a SELECT that waits for the session updating its rows to commit, and reads
    what it committed (SQLite: a write transaction already excludes every other)."""
    json_text: str
    """Field `{field}` of the JSON text in column `{column}`."""

    def json_field(self, column: str, field: str) -> str:
        return self.json_text.format(column=column, field=field)


SQLITE = Dialect(
    name="sqlite",
    begin_read="BEGIN",
    begin_write="BEGIN IMMEDIATE",
    lock_table="",
    skip_locked="",
    wait_locked="",
    json_text="json_extract({column}, '$.{field}')",
)

POSTGRES = Dialect(
    name="postgresql",
    begin_read="BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    begin_write="BEGIN",
    lock_table="LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    wait_locked=" FOR SHARE",
    json_text="({column}::jsonb ->> '{field}')",
)

_LIKE = re.compile(r"\bLIKE\b")


@lru_cache(maxsize=512)
def postgres_translate(statement: str) -> str:
    """`statement` for psycopg: `?` parameters as `%s` (a literal `%` doubled), `LIKE` as
    `ILIKE`. The journal's statements hold no `?` inside a quoted literal."""
    return _LIKE.sub("ILIKE", statement.replace("%", "%%").replace("?", "%s"))
