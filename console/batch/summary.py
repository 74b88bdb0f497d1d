"""What becomes of a batch's rows, as both front ends say it: each row's fate (what a run
would do with it, or what the journal says it did), and the report's rows counted by
status with what they move per currency."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from console.batch.report import ReportRow, ReportStatus
from console.batch.rows import BatchKind
from console.batch.totals import CurrencyTotal
from console.batch.worktable import WorkRow

VERBS: dict[BatchKind, tuple[str, str]] = {
    "refunds": ("refund", "refunded"),
    "payments": ("pay", "paid"),
}
"""Each kind's verb, and its past participle."""


@dataclass
class Tally:
    """The report's rows by status, and what the rows done (or to send) move."""

    counts: Counter[ReportStatus] = field(default_factory=Counter)
    moved: dict[str, CurrencyTotal] = field(default_factory=dict)

    def add(self, row: ReportRow, moving: ReportStatus) -> None:
        self.counts[row.status] += 1
        if row.status == moving and row.amount is not None and row.currency:
            total = self.moved.get(row.currency, CurrencyTotal(0, Decimal(0)))
            self.moved[row.currency] = total.plus(row.amount)

    @property
    def left(self) -> int:
        """Rows a next run sends (their outcome unknown, or not sent)."""
        return self.counts["unknown"] + self.counts["not_sent"]

    def counts_text(self) -> str:
        """'4 done, 1 refused': done always, the others when there are some."""
        return ", ".join(
            f"{self.counts[status]:,} {status.replace('_', ' ')}"
            for status in ("done", "refused", "unknown", "not_sent")
            if self.counts[status] or status == "done"
        )


def report_rows(
    rows: Iterable[WorkRow], tally: Tally, *, dry_run: bool = False, stopped: str | None = None
) -> Iterator[ReportRow]:
    """Each row's line in the report, counted in `tally` as it goes (what the rows done
    move, or in a `dry_run` what the rows to send would; `stopped`: why rows were not sent)."""
    moving: ReportStatus = "would_send" if dry_run else "done"
    for row in rows:
        report_row = row.report_row(dry_run=dry_run, stopped=stopped)
        tally.add(report_row, moving)
        yield report_row


def fate(row: WorkRow, kind: BatchKind) -> str:
    """What a run would do with the row, as the journal left it."""
    verb = VERBS[kind][0]
    if row.state == "new":
        return f"would {verb}"
    if row.state == "resend":
        return "would send again with its key (its outcome is unknown)"
    if row.state == "retry":
        return f"would send again with a new key (refused: {row.error})"
    if row.state == "done":
        return f"done ({row.result_id})"
    if row.state == "refused":
        return f"refused: {row.error}"
    return "being sent by another process right now"
