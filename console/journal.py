"""The local record of every operation the console sent (SQLite, WAL).

Before a POST the console records it as `pending` (kind, request body, idempotency key,
profile); afterwards its result: `succeeded`, `failed`, or `unknown` when the request may
have reached the server without an answer coming back. Amounts are stored as the exact
decimal text, never as a REAL. The API key is never given to the journal.

Entries are listed newest first (by id, the order they were recorded). `filter_text` is
split on whitespace and every word must match one of: a payment / object id (substring),
the status or kind (exact), the currency (exact) or the amount (prefix, "10.5" matches
10.50).

A pending entry records its owner, the process sending it (`console.processes`):
`recover_abandoned` turns every pending entry whose owner has stopped (killed, crashed,
or this very process after the result could not be written) into `unknown` at once; a
live process's pending entry is never touched. Entries written before owners were
recorded fall back to an age rule (`ABANDONED_AFTER`).

The listing, counting and export methods take an optional `profile`: only that profile's
entries (None: every profile's). An entry is only meaningful to the profile, and so the
API, it was sent to.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType
from typing import Any

from console import money, processes
from console.entries import KINDS as KINDS
from console.entries import STATUSES as STATUSES
from console.entries import JournalEntry as JournalEntry
from console.entries import Kind as Kind
from console.entries import Status as Status
from console.paths import data_dir
from console.safe_text import for_terminal
from console.sqlite_files import connect_private

ABANDONED_AFTER = timedelta(minutes=10)
"""For entries without an owner (older journals): a request with its retries ends well
within this, so a pending entry older was abandoned."""
ABANDONED_ERROR = "The console stopped before the answer arrived: the outcome is unknown."
RESEND_WINDOW = timedelta(hours=24)
"""How far back an identical unsettled request is re-sent with its key (the API keeps
idempotency keys for 24 hours)."""

_SENDING: set[tuple[str, int]] = set()
"""(journal path, entry id) of the requests this process is sending right now."""

_FORBIDDEN_REQUEST_FIELDS = ("api_key", "apikey", "authorization", "secret", "password")

_SCHEMA = """
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
    reported INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS operations_payment_id ON operations (payment_id, id);
CREATE INDEX IF NOT EXISTS operations_object_id ON operations (object_id);
CREATE INDEX IF NOT EXISTS operations_status ON operations (status, id);
CREATE INDEX IF NOT EXISTS operations_idempotency_key ON operations (idempotency_key);
CREATE INDEX IF NOT EXISTS operations_profile ON operations (profile, id);
CREATE INDEX IF NOT EXISTS operations_profile_status ON operations (profile, status, id);
"""
_SCHEMA_VERSION = 2
_MIGRATIONS = {
    2: "ALTER TABLE operations ADD COLUMN owner TEXT;"
    " ALTER TABLE operations ADD COLUMN reported INTEGER NOT NULL DEFAULT 1",
}
"""Version -> the statement that takes a journal of the version before to it."""

_COLUMNS = (
    "id, kind, status, profile, idempotency_key, payment_id, object_id, amount, currency, "
    "created_at, updated_at, request, response, error, owner, reported"
)
CSV_HEADER = (
    "id",
    "created_at",
    "updated_at",
    "kind",
    "status",
    "profile",
    "payment_id",
    "object_id",
    "amount",
    "currency",
    "idempotency_key",
    "error",
)


def default_journal_path() -> Path:
    return data_dir() / "journal.sqlite3"


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("journal timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _amount_text(amount: Decimal | None, currency: str | None) -> str | None:
    if amount is None:
        return None
    if currency is not None:
        # An amount the currency does not allow is kept exactly: the journal records.
        with contextlib.suppress(money.AmountError):
            amount = money.quantize(amount, currency)
    return format(amount, "f")


def _check_request(request: Mapping[str, Any]) -> None:
    for name in request:
        if str(name).lower() in _FORBIDDEN_REQUEST_FIELDS:
            raise ValueError(f"refusing to journal a request with a '{name}' field")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(filter_text: str, profile: str | None = None) -> tuple[str, list[Any]]:
    """A WHERE clause (or '') and its parameters for `filter_text` (and `profile`)."""
    clauses: list[str] = []
    params: list[Any] = []
    if profile is not None:
        clauses.append("profile = ?")
        params.append(profile)
    for word in filter_text.split():
        lowered = word.lower()
        options = [
            "payment_id LIKE ? ESCAPE '\\'",
            "object_id LIKE ? ESCAPE '\\'",
        ]
        substring = f"%{_escape_like(word)}%"
        params += [substring, substring]
        # A status or kind matches as soon as its start is typed ("fail" finds failed).
        for column, names in (("status", STATUSES), ("kind", KINDS)):
            for name in names:
                if name.startswith(lowered):
                    options.append(f"{column} = ?")
                    params.append(name)
        if len(word) == 3 and word.isalpha():
            options.append("currency = ?")
            params.append(word.upper())
        number = word.replace(",", "")
        try:
            Decimal(number)
        except InvalidOperation:
            pass
        else:
            if number[:1].isdigit() or number[:1] == ".":
                options.append("amount LIKE ? ESCAPE '\\'")
                params.append(f"{_escape_like(number)}%")
        clauses.append("(" + " OR ".join(options) + ")")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _unknown_where(profile: str | None) -> tuple[str, list[Any]]:
    """The WHERE clause of unknown-outcome entries (of `profile`, unless None)."""
    if profile is None:
        return " WHERE status = 'unknown'", []
    return " WHERE profile = ? AND status = 'unknown'", [profile]


def _from_response(kind: Kind, response: Mapping[str, Any]) -> dict[str, Any]:
    """Columns a successful response settles: ids, and the amount the server used."""
    found: dict[str, Any] = {"object_id": response.get("id")}
    found["payment_id"] = response.get("id") if kind == "payment" else response.get("payment_id")
    if isinstance(response.get("amount"), (Decimal, int)):
        found["amount"] = Decimal(response["amount"])
    if isinstance(response.get("currency"), str):
        found["currency"] = response["currency"]
    return {name: value for name, value in found.items() if value is not None}


class Journal:
    """A SQLite journal of operations; safe to share between threads."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        """`busy_timeout_ms`: how long a write waits for another process's write lock
        before it fails (`sqlite3.OperationalError: database is locked`)."""
        self.path = path
        self._lock = threading.Lock()
        self._db = connect_private(path, busy_timeout_ms=busy_timeout_ms)
        self._migrate()

    def _migrate(self) -> None:
        """Create the table, or bring an older journal up to this version, in place."""
        with self._lock:
            if self._version() >= _SCHEMA_VERSION:
                return
            self._db.execute("BEGIN IMMEDIATE")  # another process may be migrating it too
            try:
                version = self._version()
                exists = self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'operations'"
                ).fetchone()
                if exists and version < _SCHEMA_VERSION:
                    for step in range(max(version, 1) + 1, _SCHEMA_VERSION + 1):
                        for statement in _MIGRATIONS[step].split(";"):
                            self._db.execute(statement)
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def __enter__(self) -> Journal:
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

    # --- writing --------------------------------------------------------------------

    def record_pending(
        self,
        *,
        kind: Kind,
        profile: str,
        idempotency_key: str,
        request: Mapping[str, Any],
        now: datetime,
        payment_id: str | None = None,
        amount: Decimal | None = None,
        currency: str | None = None,
    ) -> int:
        """Record an operation about to be sent; returns its entry id."""
        if kind not in KINDS:
            raise ValueError(f"unknown operation kind {kind!r}")
        _check_request(request)
        stamp = _timestamp(now)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO operations (kind, status, profile, idempotency_key, payment_id,"
                " amount, currency, created_at, updated_at, request, owner)"
                " VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    profile,
                    idempotency_key,
                    payment_id,
                    _amount_text(amount, currency),
                    currency,
                    stamp,
                    stamp,
                    money.dumps(dict(request)),
                    processes.current_owner(),
                ),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def record_result(
        self,
        entry_id: int,
        *,
        status: Status,
        now: datetime,
        response: Mapping[str, Any] | None = None,
        error: str | None = None,
        payment_id: str | None = None,
        reported: bool = True,
    ) -> None:
        """Record how an operation ended. A response fills in ids and the amount it names;
        `payment_id` names the payment a failure concerns (a declined card's payment).
        `reported=False`: the result is not shown yet (see `mark_reported`)."""
        if status not in STATUSES or status == "pending":
            raise ValueError(f"not a result status: {status!r}")
        entry = self.get(entry_id)
        if entry is None:
            raise KeyError(f"no journal entry {entry_id}")
        columns: dict[str, Any] = {
            "status": status,
            "updated_at": _timestamp(now),
            "error": error,
            "owner": None,
            "reported": int(reported),
        }
        columns["response"] = None if response is None else money.dumps(dict(response))
        if response is not None:
            columns.update(_from_response(entry.kind, response))
        if payment_id is not None:
            columns["payment_id"] = payment_id
        if "amount" in columns:
            columns["amount"] = _amount_text(
                columns["amount"], columns.get("currency", entry.currency)
            )
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._lock:
            self._db.execute(
                f"UPDATE operations SET {assignments} WHERE id = ?",  # noqa: S608 - fixed names
                (*columns.values(), entry_id),
            )

    def record_retry(self, entry_id: int, *, now: datetime) -> None:
        """Mark an entry pending again (owned by this process) before re-sending it with
        its idempotency key; its last error stays until the answer replaces it."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE operations SET status = 'pending', updated_at = ?, owner = ? WHERE id = ?",
                (_timestamp(now), processes.current_owner(), entry_id),
            )
        if cursor.rowcount == 0:
            raise KeyError(f"no journal entry {entry_id}")

    @contextlib.contextmanager
    def sending(self, entry_id: int) -> Iterator[None]:
        """While this block runs, entry `entry_id` is being sent by this process: its
        pending state is live, not abandoned (see `recover_abandoned`)."""
        token = (str(self.path), entry_id)
        _SENDING.add(token)
        try:
            yield
        finally:
            _SENDING.discard(token)

    def recover_abandoned(self, *, now: datetime, older_than: timedelta = ABANDONED_AFTER) -> int:
        """Mark abandoned pending entries unknown; returns how many.

        A pending entry is abandoned when its owner process has stopped (crash, kill,
        power loss) between sending and hearing back, or is this process but no longer
        sending it (the result could not be written); an entry without an owner, when it
        is older than `older_than`. Its outcome is unknown, and marking it so lets it be
        sent again with its idempotency key. A live process's pending entry stays.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT id, owner, updated_at FROM operations WHERE status = 'pending'"
            ).fetchall()
        me, path, cutoff = processes.current_owner(), str(self.path), now - older_than
        abandoned = [
            entry_id
            for entry_id, owner, updated_at in rows
            if (owner is None and datetime.fromisoformat(updated_at) < cutoff)
            or (owner == me and (path, entry_id) not in _SENDING)
            or (owner is not None and owner != me and not processes.is_alive(owner))
        ]
        if not abandoned:
            return 0
        with self._lock:
            self._db.executemany(
                "UPDATE operations SET status = 'unknown', error = ?, updated_at = ?, owner = NULL"
                " WHERE id = ? AND status = 'pending'",
                [(ABANDONED_ERROR, _timestamp(now), entry_id) for entry_id in abandoned],
            )
        return len(abandoned)

    # --- reading --------------------------------------------------------------------

    def _select(self, tail: str, params: Any = ()) -> list[JournalEntry]:
        with self._lock:
            query = f"SELECT {_COLUMNS} FROM operations{tail}"  # noqa: S608 - fixed text
            rows = self._db.execute(query, params).fetchall()
        return [_entry(row) for row in rows]

    def get(self, entry_id: int) -> JournalEntry | None:
        found = self._select(" WHERE id = ?", (entry_id,))
        return found[0] if found else None

    def recent(self, limit: int = 20, *, profile: str | None = None) -> list[JournalEntry]:
        where, params = _where("", profile)
        return self._select(f"{where} ORDER BY id DESC LIMIT ?", [*params, limit])

    def unknown(self, limit: int = 100, *, profile: str | None = None) -> list[JournalEntry]:
        """Operations whose outcome is unknown, newest first (at most `limit`): retry them."""
        where, params = _unknown_where(profile)
        return self._select(f"{where} ORDER BY id DESC LIMIT ?", [*params, limit])

    def count_unknown(self, *, profile: str | None = None) -> int:
        where, params = _unknown_where(profile)
        with self._lock:
            query = f"SELECT count(*) FROM operations{where}"  # noqa: S608 - fixed text
            row = self._db.execute(query, params).fetchone()
        return int(row[0])

    def unknown_with_key(
        self, kind: Kind, idempotency_key: str, profile: str
    ) -> list[JournalEntry]:
        """`profile`'s unknown-outcome operations of `kind` sent with `idempotency_key`."""
        return self._select(
            " WHERE idempotency_key = ? AND kind = ? AND profile = ? AND status = 'unknown'"
            " ORDER BY id DESC",
            (idempotency_key, kind, profile),
        )

    def mark_reported(self, entry_id: int) -> None:
        """The result of `entry_id` has been shown to whoever sent it."""
        with self._lock:
            self._db.execute("UPDATE operations SET reported = 1 WHERE id = ?", (entry_id,))

    def unreported_like(
        self, kind: Kind, profile: str, request: Mapping[str, Any], *, now: datetime
    ) -> JournalEntry | None:
        """The newest of `profile`'s succeeded operations of `kind` with exactly `request`
        whose result a command got but never showed (it was killed first), recorded within
        `RESEND_WINDOW` of `now`: running that command again shows it, not a second one."""
        return self._same_request(
            "status = 'succeeded' AND reported = 0", kind, profile, request, now
        )

    def unsettled_like(
        self, kind: Kind, profile: str, request: Mapping[str, Any], *, now: datetime
    ) -> JournalEntry | None:
        """The newest of `profile`'s operations of `kind` with exactly `request` whose
        outcome is unknown, recorded within `RESEND_WINDOW` of `now` (None if there is
        none): sending `request` again must reuse its idempotency key."""
        return self._same_request("status = 'unknown'", kind, profile, request, now)

    def _same_request(
        self, state: str, kind: Kind, profile: str, request: Mapping[str, Any], now: datetime
    ) -> JournalEntry | None:
        candidates = self._select(
            f" WHERE profile = ? AND {state} AND kind = ? AND created_at >= ? ORDER BY id DESC",
            (profile, kind, _timestamp(now - RESEND_WINDOW)),
        )
        wanted = dict(request)
        return next((entry for entry in candidates if entry.request == wanted), None)

    def refunds_for(self, payment_id: str) -> list[JournalEntry]:
        """Refunds this console sent for `payment_id`, newest first."""
        return self._select(
            " WHERE payment_id = ? AND kind = 'refund' ORDER BY id DESC", (payment_id,)
        )

    def payment_currency(self, payment_id: str) -> str | None:
        """The currency of a payment this console recorded, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT currency FROM operations WHERE payment_id = ? AND kind = 'payment'"
                " AND currency IS NOT NULL ORDER BY id DESC LIMIT 1",
                (payment_id,),
            ).fetchone()
        return None if row is None else str(row[0])

    def count(self, filter_text: str = "", *, profile: str | None = None) -> int:
        where, params = _where(filter_text, profile)
        with self._lock:
            query = f"SELECT count(*) FROM operations{where}"  # noqa: S608 - fixed text
            row = self._db.execute(query, params).fetchone()
        return int(row[0])

    def page(
        self,
        filter_text: str = "",
        offset: int = 0,
        limit: int = 100,
        *,
        profile: str | None = None,
    ) -> list[JournalEntry]:
        """One page of the entries matching `filter_text`, newest first."""
        where, params = _where(filter_text, profile)
        return self._select(
            f"{where} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, max(0, offset)]
        )

    def export_csv(self, filter_text: str, path: str | Path, *, profile: str | None = None) -> int:
        """Write the matching entries (newest first) to a CSV file; returns the row count.

        Rows are streamed from a separate read cursor, so memory stays flat; the file
        appears complete or not at all (written beside it, then renamed).
        """
        where, params = _where(filter_text, profile)
        query = f"SELECT {', '.join(CSV_HEADER)} FROM operations{where} ORDER BY id DESC"  # noqa: S608
        target = Path(path)
        reader = sqlite3.connect(self.path) if str(self.path) != ":memory:" else None
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        count = 0
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                writer.writerow(CSV_HEADER)
                for row in self._stream(reader, query, params):
                    writer.writerow([_csv_cell(value) for value in row])
                    count += 1
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        finally:
            if reader is not None:
                reader.close()
        return count

    def _stream(
        self, reader: sqlite3.Connection | None, query: str, params: list[Any]
    ) -> Iterator[tuple[Any, ...]]:
        if reader is not None:
            yield from reader.execute(query, params)
            return
        with self._lock:  # an in-memory journal has only its own connection
            rows = self._db.execute(query, params).fetchall()
        yield from rows


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    """Text without control characters or keys (`safe_text.for_terminal`: a CSV file is
    read in terminals too), and with a leading apostrophe where a spreadsheet would run
    it as a formula (OWASP's advice): error messages come from the server, keys from
    whoever typed them."""
    if not isinstance(value, str):
        return value
    value = for_terminal(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    (
        entry_id,
        kind,
        status,
        profile,
        idempotency_key,
        payment_id,
        object_id,
        amount,
        currency,
        created_at,
        updated_at,
        request,
        response,
        error,
        owner,
        reported,
    ) = row
    return JournalEntry(
        id=entry_id,
        kind=kind,
        status=status,
        profile=profile,
        idempotency_key=idempotency_key,
        payment_id=payment_id,
        object_id=object_id,
        amount=None if amount is None else Decimal(amount),
        currency=currency,
        created_at=datetime.fromisoformat(created_at),
        updated_at=datetime.fromisoformat(updated_at),
        request=money.loads(request),
        response=None if response is None else money.loads(response),
        error=error,
        owner=owner,
        reported=bool(reported),
    )
