"""What is wrong with a batch file, cell by cell: typed problems, and the lines that say
them. Lines are numbered as a spreadsheet numbers its rows (the header is line 1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from console.safe_text import one_line

ProblemKind = Literal[
    # the file and its header
    "not_utf8",
    "not_csv",
    "no_header",
    "no_rows",
    "unknown_column",
    "missing_column",
    "repeated_column",
    "extra_cell",
    # one row, read on its own
    "required",
    "control_character",
    "key_in_text",
    "invalid_payment_id",
    "invalid_amount",
    "invalid_currency",
    "invalid_source",
    "invalid_description",
    "duplicate_row",
    # refund rows against the payments they refund
    "payment_not_found",
    "not_refundable",
    "whole_and_partial",
    "over_refund",
]
PROBLEM_KINDS: tuple[ProblemKind, ...] = get_args(ProblemKind)


@dataclass(frozen=True)
class Problem:
    """One thing to fix: where (line, and column when it is one cell) and why."""

    line: int
    kind: ProblemKind
    message: str
    column: str | None = None


def column_letter(index: int) -> str:
    """A spreadsheet's name of the column at 0-based `index`: 0 -> 'A', 26 -> 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def render_problems(problems: Iterable[Problem], header: Sequence[str] = ()) -> list[str]:
    """One line per problem, in line then column order: 'line 3, column B (amount): why'.

    `header` (the file's columns, in order) adds the column's letter. Every line is
    `safe_text.one_line`: messages quote the file, which may hold anything.
    """

    def position(problem: Problem) -> tuple[int, int]:
        column = problem.column
        return problem.line, header.index(column) if column in header else len(header)

    lines = []
    for problem in sorted(problems, key=position):
        place = f"line {problem.line}"
        if problem.column is not None:
            name = one_line(problem.column)
            if problem.column in header:
                place += f", column {column_letter(header.index(problem.column))} ({name})"
            else:
                place += f", {name}"
        lines.append(f"{place}: {one_line(problem.message)}")
    return lines
