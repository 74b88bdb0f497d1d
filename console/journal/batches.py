"""CSV batches in the journal: which file a batch is, who runs it, how its rows failed.

A batch's rows are ordinary operations. Line N of batch B is sent with the idempotency
key `batch-B-N` (sent again after a refusal: `batch-B-N-r<entry id>`), so `row_entries`
finds every attempt of a row by its key, and `batch_counts` every row of a batch. What
the entries cannot say is kept here:
- `batches`: the batch's file (path, SHA-256 of its bytes), profile and kind, the process
  running it now (`owner`, as pending entries name theirs: one run at a time, and a run
  killed leaves it free), and whether its last run left nothing to send (`finished_at`);
- `batch_rows`: why a row's failed entry failed: the API refused it (`refused`: sent again
  only when asked), or it never reached the API (`not_sent`: sent again on the next run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from console.entries import JournalEntry, Status
from console.journal import rows
from console.journal.connection import Connected

RowOutcome = Literal["refused", "not_sent"]

_BATCH_COLUMNS = (
    "id, profile, kind, path, sha256, row_count, created_at, updated_at, finished_at, owner"
)


@dataclass(frozen=True)
class BatchRecord:
    """A batch as the journal knows it."""

    id: str
    profile: str
    kind: str
    path: str
    sha256: str
    rows: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    owner: str | None
    """The process running it now, or None."""

    @classmethod
    def of(cls, row: tuple[object, ...]) -> BatchRecord:
        id_, profile, kind, path, sha256, count, created, updated, finished, owner = row
        return cls(
            str(id_),
            str(profile),
            str(kind),
            str(path),
            str(sha256),
            int(str(count)),
            datetime.fromisoformat(str(created)),
            datetime.fromisoformat(str(updated)),
            None if finished is None else datetime.fromisoformat(str(finished)),
            None if owner is None else str(owner),
        )


def key_range(prefix: str) -> tuple[str, str]:
    """The keys that start with `prefix` (ending in '-') are those in [low, high): an
    index range, where LIKE would read every key."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


class Batches(Connected):
    def claim_batch(
        self,
        *,
        batch_id: str,
        profile: str,
        kind: str,
        path: str,
        sha256: str,
        rows_count: int,
        now: datetime,
    ) -> BatchRecord | None:
        """Record the batch (on its first run) and make this process its runner. Returns
        None, or, when another process still runs it, that batch's record (nothing is
        changed then)."""
        stamp, me = rows.timestamp(now), self.owner
        # Another run of the batch may be claiming it: the table is locked meanwhile.
        with self._transaction(locking="batches") as db:
            found = db.execute(
                f"SELECT {_BATCH_COLUMNS} FROM batches WHERE id = ?",  # noqa: S608
                (batch_id,),
            ).fetchone()
            record = None if found is None else BatchRecord.of(found)
            if record is None:
                db.execute(
                    f"INSERT INTO batches ({_BATCH_COLUMNS})"  # noqa: S608
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                    (batch_id, profile, kind, path, sha256, rows_count, stamp, stamp, me),
                )
            elif record.owner in (None, me) or not self._backend.alive([record.owner]):
                db.execute(
                    "UPDATE batches SET owner = ?, updated_at = ?, path = ? WHERE id = ?",
                    (me, stamp, path, batch_id),
                )
                record = None
        return record

    def release_batch(self, batch_id: str, *, finished: bool, now: datetime) -> None:
        """This process no longer runs the batch (if it did); `finished`: nothing is left
        to send."""
        stamp = rows.timestamp(now)
        self._write(
            "UPDATE batches SET owner = NULL, updated_at = ?, finished_at = ?"
            " WHERE id = ? AND owner = ?",
            (stamp, stamp if finished else None, batch_id, self.owner),
        )

    def unfinished_batches(self, path: str | None, profile: str) -> list[BatchRecord]:
        """`profile`'s batches of the file at `path` (None: of any file) whose last run left
        rows to send, newest first."""
        found = self._all(
            f"SELECT {_BATCH_COLUMNS} FROM batches WHERE coalesce(?, path) = path"  # noqa: S608
            " AND profile = ? AND finished_at IS NULL ORDER BY updated_at DESC",
            (path, profile),
        )
        return [BatchRecord.of(row) for row in found]

    def batch_counts(self, batch_id: str) -> dict[Status, int]:
        """How many of the batch's journal entries have each status."""
        low, high = key_range(f"batch-{batch_id}-")
        found = self._all(
            "SELECT status, count(*) FROM operations WHERE idempotency_key >= ?"
            " AND idempotency_key < ? GROUP BY status",
            (low, high),
        )
        return {status: int(count) for status, count in found}

    def row_entries(self, key: str, profile: str) -> list[JournalEntry]:
        """`profile`'s entries sent with `key` or with a retry key of it (`key-...`),
        newest first."""
        low, high = key_range(f"{key}-")
        return self._select(
            " WHERE (idempotency_key = ? OR (idempotency_key >= ? AND idempotency_key < ?))"
            " AND profile = ? ORDER BY id DESC",
            (key, low, high, profile),
        )

    def record_row_failure(
        self, batch_id: str, line: int, entry_id: int, outcome: RowOutcome
    ) -> None:
        """Why the row's entry `entry_id` failed (replacing what an earlier attempt said)."""
        self._write(
            "INSERT INTO batch_rows (batch_id, line, entry_id, outcome) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (batch_id, line) DO UPDATE SET entry_id = excluded.entry_id,"
            " outcome = excluded.outcome",
            (batch_id, line, entry_id, outcome),
        )

    def row_failure(self, batch_id: str, line: int) -> tuple[int, RowOutcome] | None:
        """The entry id and outcome `record_row_failure` last recorded for the row."""
        found = self._one(
            "SELECT entry_id, outcome FROM batch_rows WHERE batch_id = ? AND line = ?",
            (batch_id, line),
        )
        if found is None:
            return None
        entry_id, outcome = found
        return int(entry_id), outcome
