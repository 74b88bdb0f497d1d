"""The record of every operation the console sent: a SQLite file (WAL) on this machine, or
a team's shared PostgreSQL database (`postgres`), through one interface.

Before a POST the console records it as `pending` (kind, request body, idempotency key,
profile, the process sending it, its operator and host); afterwards its result:
`succeeded`, `failed`, or `unknown` when the request may have reached the server without
an answer coming back. Amounts are stored as the exact decimal text, never as a REAL,
and as integer minor units for the sums. The API key is never given to the journal.

The listing, counting, paging and export methods take an optional `profile`: only that
profile's entries (None: every profile's). An entry is only meaningful to the profile,
and so the API, it was sent to. The day's figures are always one profile's.

The package, by part: `schema` (table, indexes, versions and migrations; PostgreSQL's in
`postgres_schema`), `rows` (how an entry is written and read back), `writes`, `queries`
and `filters` (the history's filter language), `daily` (the day's figures, summed in SQL;
their types are `console.figures`), `export` (CSV), `batches` (CSV batches: their files
and runners, and why their rows failed), `connection` (what every part stands on), over
a `backend`: `sqlite_file` or `postgres`, whose SQL differs only where `dialect` says;
and `sqlite` (the `Journal` class).
"""

from __future__ import annotations

from console.entries import KINDS as KINDS
from console.entries import STATUSES as STATUSES
from console.entries import JournalEntry as JournalEntry
from console.entries import Kind as Kind
from console.entries import Status as Status
from console.journal.batches import BatchRecord as BatchRecord
from console.journal.batches import RowOutcome as RowOutcome
from console.journal.errors import EntryBusyError as EntryBusyError
from console.journal.errors import JournalServerError as JournalServerError
from console.journal.export import CSV_HEADER as CSV_HEADER
from console.journal.queries import RESEND_WINDOW as RESEND_WINDOW
from console.journal.sqlite import Journal as Journal
from console.journal.sqlite import default_journal_path as default_journal_path
from console.journal.writes import ABANDONED_AFTER as ABANDONED_AFTER
from console.journal.writes import ABANDONED_ERROR as ABANDONED_ERROR
