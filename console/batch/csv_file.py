"""A batch file's records, streamed: UTF-8 with or without a BOM, comma or semicolon (told
by the header), quoted as spreadsheets quote, numbered as a spreadsheet numbers its rows.

The header is line 1 and names the columns; a record is a later line (a quoted cell may
span several lines of text: it is still one row). Every byte read goes into a SHA-256, so
`sha256` names exactly the content that was parsed.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from console.batch.problems import Problem, column_letter

Delimiter = Literal[",", ";"]
DELIMITERS: tuple[Delimiter, ...] = (",", ";")

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SAVE_AS_UTF8 = "save the file as CSV UTF-8"
_CSV_ERRORS = {"unexpected end of data": "A quoted cell starts here and is never closed"}


@dataclass(frozen=True)
class Dialect:
    """How the file was written; the report is written the same way."""

    delimiter: Delimiter = ","
    bom: bool = False


@dataclass(frozen=True)
class Columns:
    """The columns a kind of batch has: all the required ones, any of the optional ones."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional

    def example(self) -> str:
        return ",".join(self.known)


@dataclass(frozen=True)
class Record:
    """One row below the header: its line and each column's text, stripped ('' when the
    row stops short of the column)."""

    line: int
    cells: dict[str, str]


def column_name(text: str) -> str:
    """A header cell as a column name: 'Payment ID' -> 'payment_id'."""
    return "_".join(text.strip().lower().replace("-", " ").split())


@dataclass
class CsvFile:
    """The records of `path` (iterate with `records()`) and what the header told."""

    path: Path
    columns: Columns
    dialect: Dialect = field(default_factory=Dialect)
    header: tuple[str, ...] = ()
    sha256: str | None = None
    """The hex SHA-256 of the whole file, once it was read to its end."""
    _undecodable: bool = False

    def records(self) -> Iterator[Record | Problem]:
        """Each record, or a problem in its place (a header problem ends the reading)."""
        self.sha256 = None
        digest = hashlib.sha256()
        with self.path.open("rb") as file:
            first = file.readline()
            digest.update(first)
            if first.startswith(_UTF16_BOMS):
                yield Problem(1, "not_utf8", f"The file is UTF-16 text: {_SAVE_AS_UTF8}")
                return
            bom = first.startswith(_BOM)
            header_line = self._decode(first.removeprefix(_BOM))
            if not header_line.strip():
                yield Problem(
                    1, "no_header", f"Line 1 must be the header, like {self.columns.example()}"
                )
                return
            delimiter = _delimiter(header_line, self.columns)
            self.dialect = Dialect(delimiter, bom)
            lines = self._lines(file, digest.update)
            reader = csv.reader(_chain(header_line, lines), delimiter=delimiter, strict=True)
            try:
                header_problems = self._read_header(next(reader))
            except csv.Error as exc:
                header_problems = [_not_csv(1, exc)]
            if header_problems:
                yield from header_problems
                return
            yield from self._rows(reader)
        self.sha256 = digest.hexdigest()

    def _read_header(self, cells: list[str]) -> list[Problem]:
        if self._take_undecodable():
            return [Problem(1, "not_utf8", f"The header is not UTF-8 text: {_SAVE_AS_UTF8}")]
        self.header = tuple(column_name(cell) for cell in cells)
        known = self.columns.known
        problems = []
        for index, name in enumerate(self.header):
            if name and name not in known:
                message = f"'{cells[index].strip()}' is not a column of this batch: the columns"
                problems.append(
                    Problem(1, "unknown_column", f"{message} are {', '.join(known)}", name)
                )
            elif name and name in self.header[:index]:
                problems.append(Problem(1, "repeated_column", "This column is named twice", name))
        for name in self.columns.required:
            if name not in self.header:
                problems.append(Problem(1, "missing_column", "The header has no such column", name))
        return problems

    def _rows(self, reader: Iterator[list[str]]) -> Iterator[Record | Problem]:
        line, seen = 1, False
        while True:
            line += 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                seen = True
                yield _not_csv(line, exc)
                continue
            if self._take_undecodable():
                seen = True
                yield Problem(line, "not_utf8", f"This row is not UTF-8 text: {_SAVE_AS_UTF8}")
            elif any(cell.strip() for cell in cells):
                seen = True
                yield from self._record(line, cells)
        if not seen:
            yield Problem(2, "no_rows", "The file has no rows below its header")

    def _record(self, line: int, cells: list[str]) -> Iterator[Record | Problem]:
        named: dict[str, str] = dict.fromkeys(self.columns.known, "")
        extra = False
        for index, text in enumerate(cells):
            name = self.header[index] if index < len(self.header) else ""
            if name:
                named[name] = text.strip()
            elif text.strip():
                extra = True
                letter = column_letter(index)
                yield Problem(line, "extra_cell", f"Column {letter} has text but no header")
        if not extra:
            yield Record(line, named)

    def _lines(self, file: BinaryIO, hash_bytes: Callable[[bytes], None]) -> Iterator[str]:
        for raw in file:
            hash_bytes(raw)
            yield self._decode(raw)

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._undecodable = True
            return raw.decode("utf-8", errors="replace")

    def _take_undecodable(self) -> bool:
        undecodable, self._undecodable = self._undecodable, False
        return undecodable


def _delimiter(header_line: str, columns: Columns) -> Delimiter:
    """The delimiter under which the header names the most known columns (comma on a tie)."""

    def known_names(delimiter: Delimiter) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(column_name(cell) in columns.known for cell in cells)

    return max(DELIMITERS, key=known_names)


def _not_csv(line: int, error: csv.Error) -> Problem:
    return Problem(line, "not_csv", _CSV_ERRORS.get(str(error), f"Not CSV: {error}"))


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
