"""The report of a batch: a CSV file, one line per row of the input, written whole or not
at all (beside its target, then renamed).

Every text cell follows the rule of the journal's CSV export: `safe_text.for_terminal` (no
escape sequences or control characters, keys masked: a report is read in terminals too,
and its errors come from the network) and an apostrophe before what a spreadsheet would
run as a formula (OWASP's advice: references come from the file). Amounts are plain
numbers with their currency's decimals. The file is written as the input was (same
delimiter, a BOM if it had one), so it opens where the input opened.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal, get_args

from console import money
from console.batch.csv_file import Dialect
from console.safe_text import for_terminal

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ReportStatus = Literal["done", "refused", "unknown", "not_sent", "would_send"]
REPORT_STATUSES: tuple[ReportStatus, ...] = get_args(ReportStatus)

REPORT_HEADER = (
    "row",
    "reference",
    "payment_id",
    "amount",
    "currency",
    "status",
    "result_id",
    "error",
)
"""`payment_id` is the payment a refund row refunds; `result_id` the refund or payment made."""


@dataclass(frozen=True)
class ReportRow:
    line: int
    status: ReportStatus
    reference: str | None = None
    payment_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    result_id: str | None = None
    error: str | None = None

    def cells(self) -> list[object]:
        amount = None
        if self.amount is not None:
            exact = self.amount if self.currency is None else self._quantized(self.amount)
            amount = format(exact, "f")
        values = [self.reference, self.payment_id, amount, self.currency, self.status]
        values += [self.result_id, self.error]
        return [self.line, *(_cell(value or "") for value in values)]

    def _quantized(self, amount: Decimal) -> Decimal:
        try:
            return money.quantize(amount, self.currency or "")
        except money.AmountError:
            return amount  # shown exactly as it is, never rounded


def _cell(text: str) -> str:
    safe = for_terminal(text)
    return "'" + safe if safe.startswith(_FORMULA_STARTS) else safe


def default_report_path(batch_path: Path) -> Path:
    """Beside the input: 'refunds.csv' -> 'refunds.report.csv'."""
    return batch_path.with_name(f"{batch_path.stem}.report.csv")


def write_report(path: Path, rows: Iterable[ReportRow], dialect: Dialect | None = None) -> int:
    """Write the report to `path` (replacing it whole) in the input's `dialect` (default:
    comma, no BOM); return how many rows it has."""
    dialect = dialect or Dialect()
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    count = 0
    encoding = "utf-8-sig" if dialect.bom else "utf-8"
    try:
        with os.fdopen(fd, "w", newline="", encoding=encoding) as file:
            writer = csv.writer(file, delimiter=dialect.delimiter)
            writer.writerow(REPORT_HEADER)
            for row in rows:
                writer.writerow(row.cells())
                count += 1
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return count
