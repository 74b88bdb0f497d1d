"""What the batch screen draws: the file's problems, its rows and what becomes of each, the
rows that failed, and the lines of text around them. Only drawing: the batch's figures
come from `console.batch` (its fates, tallies and totals, the command line's words).

Each table fits its width: the last column takes what the others leave, and a text too
long for it ends in '…' (the rows that failed wrap instead: their errors are read whole).
Text from the file, the journal or the API goes through `safe_text.one_line`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.widgets import DataTable

from console.batch.problems import Problem, column_letter
from console.batch.progress import Progress
from console.batch.report import ReportStatus
from console.batch.rows import BatchKind
from console.batch.runner import Settled
from console.batch.summary import VERBS, Tally, fate
from console.batch.totals import CurrencyTotal, total_lines
from console.batch.worktable import WorkRow
from console.display import amount_text
from console.safe_text import one_line

SHOWN_ROWS = 1000
"""Rows a table shows at most (the report has every one)."""
FATE = "fate"
"""The key of the rows table's last column: what becomes of the row."""
_EDGE = 4
"""Columns a table keeps for its vertical scrollbar and its border."""


def _cell(text: str) -> Text:
    return Text(one_line(text), no_wrap=True, overflow="ellipsis")


def _table(
    table: DataTable[Text],
    width: int,
    labels: Sequence[str],
    rows: Sequence[tuple[str | None, Sequence[str]]],
    *,
    wrap: bool = False,
) -> None:
    """`rows` (key, cells) under `labels`: each column as wide as its widest cell, the
    last one taking what the others leave of `width` (its text wrapped, or ending in '…')."""
    table.clear(columns=True)
    *fixed, last = labels
    sizes = [
        max([len(label), *(len(one_line(cells[at])) for _, cells in rows)])
        for at, label in enumerate(fixed)
    ]
    for label, size in zip(fixed, sizes, strict=True):
        table.add_column(label, width=size)
    used = sum(sizes) + 2 * len(labels) + _EDGE
    table.add_column(last, width=max(width - used, 12), key=FATE)
    for key, cells in rows:
        shown = [Text(one_line(cell)) if wrap else _cell(cell) for cell in cells]
        table.add_row(*shown, key=key, height=None if wrap else 1)


def show_problems(
    table: DataTable[Text], problems: Iterable[Problem], header: Sequence[str], width: int
) -> None:
    """Each problem with its line and column, as the command line names them."""
    rows = []
    for problem in problems:
        column = ""
        if problem.column is not None:
            letter = column_letter(header.index(problem.column)) if problem.column in header else ""
            column = f"{letter} {problem.column}".strip()
        rows.append((None, (f"{problem.line:,}", column, problem.message)))
    _table(table, width, ("Line", "Column", "Problem"), rows, wrap=True)


def show_rows(table: DataTable[Text], kind: BatchKind, rows: Iterable[WorkRow], width: int) -> int:
    """The rows (SHOWN_ROWS at most) and what the run would do with each; how many
    were left out."""
    shown: list[tuple[str | None, Sequence[str]]] = []
    left_out = 0
    for row in rows:
        if len(shown) >= SHOWN_ROWS:
            left_out += 1
            continue
        what = row.payment_id if kind == "refunds" else str((row.request or {}).get("source"))
        whole = " (all that remains)" if row.whole else ""
        amount = amount_text(row.amount, row.currency)
        shown.append(
            (str(row.line), (f"{row.line:,}", what or "", amount, fate(row, kind) + whole))
        )
    labels = ("Line", "Payment" if kind == "refunds" else "Source", "Amount", "What happens")
    _table(table, width, labels, shown)
    return left_out


def settled_text(status: str, result_id: str | None, error: str | None) -> str:
    """What became of a row: 'done (refund_1)', 'refused: why'."""
    shown = status.replace("_", " ")
    if status == "done":
        return f"{shown} ({result_id})"
    return f"{shown}: {error}" if error else shown


SENDING = "sending…"
"""A row's fate while it is in flight."""


def show_sending(table: DataTable[Text], row: WorkRow) -> None:
    """A row sent, its answer awaited (if the table shows it)."""
    _show_fate(table, row, SENDING)


def show_settled(table: DataTable[Text], settled: Settled) -> None:
    """A row's new fate, if the table shows it."""
    text = settled_text(settled.status, settled.result_id, settled.error)
    _show_fate(table, settled.row, text)


def _show_fate(table: DataTable[Text], row: WorkRow, text: str) -> None:
    key = str(row.line)
    if key in table.rows:
        table.update_cell(key, FATE, _cell(text))


def failed_rows(rows: Iterable[WorkRow]) -> list[WorkRow]:
    """The rows the run left refused, unknown or not sent (SHOWN_ROWS at most)."""
    found: list[WorkRow] = []
    for row in rows:
        failed = row.report_row().status in ("refused", "unknown", "not_sent")
        if failed and len(found) < SHOWN_ROWS:
            found.append(row)
    return found


def show_failed(table: DataTable[Text], rows: Iterable[WorkRow], width: int) -> None:
    """The rows that failed, each with its error (wrapped, read whole)."""
    shown: list[tuple[str | None, Sequence[str]]] = []
    for row in rows:
        report = row.report_row()
        cells = (f"{row.line:,}", report.status.replace("_", " "), report.error or "")
        shown.append((str(row.line), cells))
    _table(table, width, ("Line", "Status", "Error"), shown, wrap=True)


def detail_line(row: WorkRow) -> str:
    """A failed row whole: 'Line 4 (reference r-4): refused: why'."""
    report = row.report_row()
    reference = f" (reference {report.reference})" if report.reference else ""
    status = report.status.replace("_", " ")
    return one_line(f"Line {row.line:,}{reference}: {status}: {report.error}")


def totals_line(kind: BatchKind, totals: dict[str, CurrencyTotal], *, done: bool) -> str:
    """'Would refund USD 30.00 in 3 rows', or after a run 'Refunded …'."""
    verb, past = VERBS[kind]
    lines = "; ".join(total_lines(totals)) or "nothing"
    return f"{past.capitalize()} {lines}" if done else f"Would {verb} {lines}"


def counts_line(progress: Progress) -> str:
    """'3/5 · done 2 · refused 1 · unknown 0 · 1.2/s'."""
    counts = progress.counts
    parts = [f"{progress.settled:,}/{progress.total:,}"]
    parts += [f"{status} {counts[status]:,}" for status in _COUNTED]
    rate = progress.rate()
    if rate is not None:
        parts.append(f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.1f}/s")
    return " · ".join(parts)


_COUNTED: tuple[ReportStatus, ...] = ("done", "refused", "unknown")


def summary_line(name: str, rows: int, tally: Tally, earlier: int) -> str:
    """'refunds.csv: 5 rows: 4 done, 1 refused (2 of them in an earlier run)'."""
    before = f" ({earlier:,} of them in an earlier run)" if earlier else ""
    return one_line(f"{name}: {rows:,} rows: {tally.counts_text()}{before}")
