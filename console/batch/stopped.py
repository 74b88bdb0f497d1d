"""The batch a console or a command left half-way, for the next console to offer (light:
the home screen reads it, and imports nothing of the batch's machinery)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.batch.rows import BatchKind
    from console.journal import BatchRecord, Journal


@dataclass(frozen=True)
class StoppedBatch:
    """A batch whose last run stopped with rows left to send."""

    record: BatchRecord
    done: int
    """Its rows done so far."""

    @property
    def path(self) -> Path:
        return Path(self.record.path)

    def describe(self) -> str:
        """'Batch refunds.csv stopped at 120/500' (rows done of the batch's rows)."""
        return f"Batch {self.path.name} stopped at {self.done:,}/{self.record.rows:,}"

    @property
    def kind(self) -> BatchKind:
        return "payments" if self.record.kind == "payments" else "refunds"


def stopped_batch(journal: Journal, profile: str) -> StoppedBatch | None:
    """`profile`'s newest batch that sent rows and stopped before its end, and that no
    live process runs now (blocking: call it in a thread)."""
    for record in journal.unfinished_batches(None, profile):
        if journal.is_running(record.owner):  # a process here, or a console's session
            continue
        counts = journal.batch_counts(record.id)
        if counts:
            return StoppedBatch(record, counts.get("succeeded", 0))
    return None
