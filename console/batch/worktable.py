"""A batch's rows as this run read and checked them, in SQLite's private temporary
database: on disk, deleted when it is closed (or the process dies), with only a small page
cache in memory. Memory stays flat whatever the file's size, and every later step reads
the rows back in line order without reading the file again: what is sent is exactly
what was checked and confirmed, whatever happens to the file meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Self

from console import money
from console.batch.refund_plan import ResolvedRefund
from console.batch.report import ReportRow, ReportStatus
from console.batch.rows import PaymentRow, RefundRow, Row
from console.entries import JournalEntry
from console.refunds import RefundFigures
from console.wire.models import Payment

RowState = Literal["new", "retry", "resend", "done", "refused", "busy"]
"""What the journal said of a row when this run began:
- `new`: never sent: it is sent with the row's key;
- `retry`: refused, and to be sent again (`--retry-failed`) with a retry key;
- `resend`: its outcome is unknown, or it never reached the API: its journaled request
  is sent again with its own key;
- `done`: it succeeded; `refused`: the API refused it; `busy`: another process is
  sending it right now (its journal entry is pending)."""

TO_SEND: tuple[RowState, ...] = ("new", "retry", "resend")

_PAGE = 256

_SCHEMA = (
    """CREATE TABLE rows (
        line INTEGER PRIMARY KEY,
        state TEXT NOT NULL DEFAULT 'new',
        reference TEXT,
        payment_id TEXT,
        asked TEXT,
        amount TEXT,
        currency TEXT,
        request TEXT,
        entry_id INTEGER,
        status TEXT,
        result_id TEXT,
        error TEXT
    )""",
    "CREATE INDEX rows_payment ON rows (payment_id, line)",
    "CREATE TABLE seen (fingerprint BLOB PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE payments (id TEXT PRIMARY KEY, payment TEXT, refunded TEXT, journal INTEGER)",
)


@dataclass(frozen=True)
class WorkRow:
    """One row of the batch: what the file asked, what the journal said, what became of it.

    `amount` and `currency` are what the row moves: a payment row's; a refund row's once
    its payment is known (an empty amount resolved to what remained), or as journaled.
    """

    line: int
    state: RowState
    reference: str | None
    payment_id: str | None
    amount: Decimal | None
    currency: str | None
    request: dict[str, Any] | None
    """A payment row's request body (`PaymentCreate`'s wire form)."""
    entry_id: int | None
    """The row's newest journal entry when this run began."""
    whole: bool = False
    """A refund row with an empty amount: all that remains of its payment."""
    status: ReportStatus | None = None
    result_id: str | None = None
    error: str | None = None

    def report_row(self, *, dry_run: bool = False, stopped: str | None = None) -> ReportRow:
        """The row's line in the report: how this run settled it, else what the journal
        said (`stopped`: why a row to send was not sent)."""
        status, error = self.status, self.error
        if status is None:
            status, error = _unsettled(self.state, error, dry_run, stopped)
        return ReportRow(
            self.line,
            status,
            self.reference,
            self.payment_id,
            self.amount,
            self.currency,
            self.result_id,
            error,
        )


def _unsettled(
    state: RowState, error: str | None, dry_run: bool, stopped: str | None
) -> tuple[ReportStatus, str | None]:
    if state == "done":
        return "done", None
    if state == "refused":
        return "refused", error
    if state == "busy":
        return "unknown", "Being sent by another process right now"
    if dry_run:
        return "would_send", None
    return "not_sent", f"Not sent: {stopped}" if stopped else "Not sent"


class SeenRows:
    """`batch_file.FirstLines` on the work table: fingerprints on disk, not in memory."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        db.execute("DELETE FROM seen")

    def setdefault(self, fingerprint: bytes, line: int, /) -> int:
        inserted = self._db.execute(
            "INSERT OR IGNORE INTO seen (fingerprint, line) VALUES (?, ?)", (fingerprint, line)
        )
        if inserted.rowcount:
            return line
        return int(
            self._db.execute(
                "SELECT line FROM seen WHERE fingerprint = ?", (fingerprint,)
            ).fetchone()[0]
        )


class WorkTable:
    """The rows of one run; use from one thread at a time, close when done."""

    def __init__(self) -> None:
        # "" is SQLite's private temporary database: a file no one else can open, removed
        # when the connection closes.
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def seen(self) -> SeenRows:
        return SeenRows(self._db)

    # --- filling it -----------------------------------------------------------------

    def begin(self) -> None:
        """Start a bulk write (one transaction: thousands of rows a second)."""
        self._db.execute("BEGIN")

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def add(self, row: Row) -> None:
        if isinstance(row, RefundRow):
            asked = None if row.amount is None else format(row.amount, "f")
            values: tuple[object, ...] = (row.line, row.reference, row.payment_id, asked)
            values += (None, None, None)
        else:
            assert isinstance(row, PaymentRow)
            request = row.request
            values = (row.line, row.reference, None, None, format(request.amount, "f"))
            values += (request.currency, money.dumps(request.to_wire()))
        self._db.execute(
            "INSERT INTO rows (line, reference, payment_id, asked, amount, currency, request)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            values,
        )

    def lines(self) -> Iterator[int]:
        """Every row's line, in order."""
        after = 0
        while page := self._column(
            "SELECT line FROM rows WHERE line > ? ORDER BY line LIMIT ?", after
        ):
            yield from page
            after = page[-1]

    def set_state(self, line: int, state: RowState, entry: JournalEntry) -> None:
        """What the journal's `entry` (the row's newest) says of the row; its amount and
        currency are the entry's (what was sent), its result the entry's."""
        result_id = entry.object_id if state == "done" else None
        self._db.execute(
            "UPDATE rows SET state = ?, entry_id = ?, amount = ?, currency = ?,"
            " result_id = ?, error = ? WHERE line = ?",
            (
                state,
                entry.id,
                None if entry.amount is None else format(entry.amount, "f"),
                entry.currency,
                result_id,
                None if state == "done" else entry.error,
                line,
            ),
        )

    def payment_ids(self) -> Iterator[str]:
        """The payments the rows to check refund (new rows, and refused ones sent again;
        the others are done, or sent as journaled), each once."""
        after = ""
        while page := self._column(
            "SELECT DISTINCT payment_id FROM rows WHERE payment_id > ?"
            " AND state IN ('new', 'retry') ORDER BY payment_id LIMIT ?",
            after,
        ):
            yield from page
            after = page[-1]

    def count_payment_ids(self) -> int:
        """How many `payment_ids` there are."""
        found = self._db.execute(
            "SELECT count(DISTINCT payment_id) FROM rows WHERE state IN ('new', 'retry')"
        ).fetchone()
        return int(found[0])

    def add_payment(self, payment_id: str, figures: RefundFigures | None) -> None:
        """A payment the API found (its figures), or did not (None)."""
        payment = None if figures is None else money.dumps(figures.payment.to_wire())
        refunded = None if figures is None else format(figures.refunded, "f")
        journal = None if figures is None else int(figures.from_journal)
        self._db.execute(
            "INSERT OR REPLACE INTO payments (id, payment, refunded, journal) VALUES (?, ?, ?, ?)",
            (payment_id, payment, refunded, journal),
        )

    def refund_groups(self) -> Iterator[tuple[RefundFigures | None, list[RefundRow]]]:
        """The rows to check of each payment, with its figures (None: not found)."""
        after = ""
        while True:
            found = self._db.execute(
                "SELECT p.id, p.payment, p.refunded, p.journal FROM payments p"
                " WHERE p.id > ? ORDER BY p.id LIMIT 1",
                (after,),
            ).fetchone()
            if found is None:
                return
            after, payment, refunded, journal = found
            figures = None
            if payment is not None:
                payment_model = Payment.model_validate(money.loads(payment))
                figures = RefundFigures(payment_model, Decimal(refunded), bool(journal))
            rows = [
                RefundRow(line, after, None if asked is None else Decimal(asked), reference)
                for line, asked, reference in self._db.execute(
                    "SELECT line, asked, reference FROM rows WHERE payment_id = ?"
                    " AND state IN ('new', 'retry') ORDER BY line",
                    (after,),
                )
            ]
            yield figures, rows

    def resolve(self, refund: ResolvedRefund) -> None:
        self._db.execute(
            "UPDATE rows SET amount = ?, currency = ? WHERE line = ?",
            (format(refund.amount, "f"), refund.currency, refund.line),
        )

    # --- reading it back --------------------------------------------------------------

    def rows(self, states: Sequence[RowState] | None = None) -> Iterator[WorkRow]:
        """The rows (in those states), in line order, read a page at a time."""
        where = "" if states is None else f" AND state IN ({', '.join('?' * len(states))})"
        after = 0
        while True:
            page = self._db.execute(
                "SELECT line, state, reference, payment_id, amount, currency, request, entry_id,"  # noqa: S608 - placeholders only
                " payment_id IS NOT NULL AND asked IS NULL, status, result_id, error"
                f" FROM rows WHERE line > ?{where} ORDER BY line LIMIT ?",
                (after, *(states or ()), _PAGE),
            ).fetchall()
            if not page:
                return
            for values in page:
                yield _work_row(values)
            after = page[-1][0]

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM rows").fetchone()[0])

    def counts(self) -> dict[RowState, int]:
        found = self._db.execute("SELECT state, count(*) FROM rows GROUP BY state").fetchall()
        return {state: int(count) for state, count in found}

    # --- results ------------------------------------------------------------------------

    def settle(
        self,
        line: int,
        status: ReportStatus,
        *,
        result_id: str | None = None,
        error: str | None = None,
        payment_id: str | None = None,
    ) -> None:
        """What became of the row (a payment row's `payment_id` is the payment made)."""
        self._db.execute(
            "UPDATE rows SET status = ?, result_id = ?, error = ?,"
            " payment_id = coalesce(?, payment_id) WHERE line = ?",
            (status, result_id, error, payment_id, line),
        )

    def _column(self, query: str, after: object) -> list[Any]:
        return [value for (value,) in self._db.execute(query, (after, _PAGE))]


def _work_row(values: tuple[Any, ...]) -> WorkRow:
    line, state, reference, payment_id, amount, currency, request, entry_id = values[:8]
    whole, status, result_id, error = values[8:]
    return WorkRow(
        line,
        state,
        reference,
        payment_id,
        None if amount is None else Decimal(amount),
        currency,
        None if request is None else money.loads(request),
        entry_id,
        bool(whole),
        status,
        result_id,
        error,
    )
