"""A batch file read row by row, in file order: typed rows, and problems in their place.

Streamed, never loaded whole: a 50,000-row file costs what a 1,000-row one does, but for
one 16-byte fingerprint a row (a row that repeats an earlier one is a problem), kept in
`seen`: a dict by default, or a store on disk (`worktable.WorkTable.seen`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from console.batch.csv_file import CsvFile, Dialect, Record
from console.batch.problems import Problem
from console.batch.rows import (
    COLUMNS,
    BatchKind,
    PaymentRow,
    RefundRow,
    Row,
    read_payment,
    read_refund,
)


class FirstLines(Protocol):
    """Row fingerprints and the line each was first seen on."""

    def setdefault(self, fingerprint: bytes, line: int, /) -> int:
        """The line `fingerprint` was first seen on, recording `line` if it is new."""
        ...


@dataclass
class BatchFile:
    """Iterate for the rows (each pass reads the file again); after a whole pass,
    `sha256`, `dialect` and `header` say what was read."""

    path: Path
    kind: BatchKind
    seen: Callable[[], FirstLines] = dict
    """Makes the store of each pass's row fingerprints (see `FirstLines`)."""
    _csv: CsvFile = field(init=False)

    def __post_init__(self) -> None:
        self._csv = CsvFile(self.path, COLUMNS[self.kind])

    @property
    def sha256(self) -> str | None:
        """The hex SHA-256 of the file's bytes, once a pass read it to its end."""
        return self._csv.sha256

    @property
    def dialect(self) -> Dialect:
        return self._csv.dialect

    @property
    def header(self) -> tuple[str, ...]:
        """The header's column names, in file order ('' for an empty header cell)."""
        return self._csv.header

    def __iter__(self) -> Iterator[Row | Problem]:
        first_lines = self.seen()
        for item in self._csv.records():
            if isinstance(item, Problem):
                yield item
                continue
            row = self._read(item)
            if isinstance(row, list):
                yield from row
                continue
            first = first_lines.setdefault(_fingerprint(row), row.line)
            if first == row.line:
                yield row
            else:
                yield Problem(
                    row.line,
                    "duplicate_row",
                    f"Repeats line {first}: remove one, or tell them apart with a reference",
                )

    def _read(self, record: Record) -> Row | list[Problem]:
        if self.kind == "refunds":
            return read_refund(record, self.dialect.delimiter)
        return read_payment(record, self.dialect.delimiter)


def _fingerprint(row: Row) -> bytes:
    """The same for two rows that ask for the same thing (10 and 10.00 are one amount)."""
    if isinstance(row, RefundRow):
        amount = None if row.amount is None else row.amount.normalize()
        values: tuple[object, ...] = ("refund", row.payment_id, amount, row.reference)
    else:
        assert isinstance(row, PaymentRow)
        request = row.request
        values = ("payment", request.amount.normalize(), request.currency, request.source)
        values += (request.description, row.reference)
    return hashlib.blake2b(repr(values).encode(), digest_size=16).digest()
