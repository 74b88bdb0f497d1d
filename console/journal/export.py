"""The history as a CSV file: the entries a filter matches, newest first, made safe for
terminals and spreadsheets."""

from __future__ import annotations

import csv
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from console.journal.connection import Connected
from console.journal.filters import where
from console.safe_text import for_terminal

CSV_HEADER = (
    "id",
    "created_at",
    "updated_at",
    "kind",
    "status",
    "profile",
    "payment_id",
    "object_id",
    "amount",
    "currency",
    "idempotency_key",
    "error",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Export(Connected):
    def export_csv(self, filter_text: str, path: str | Path, *, profile: str | None = None) -> int:
        """Write the matching entries (newest first) to a CSV file; returns the row count.

        Rows are streamed from a separate read cursor, so memory stays flat; the file
        appears complete or not at all (written beside it, then renamed).
        """
        clause, params = where(filter_text, profile)
        query = f"SELECT {', '.join(CSV_HEADER)} FROM operations{clause} ORDER BY id DESC"  # noqa: S608
        target = Path(path)
        reader = sqlite3.connect(self.path) if str(self.path) != ":memory:" else None
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        count = 0
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                writer.writerow(CSV_HEADER)
                for row in self._stream(reader, query, params):
                    writer.writerow([_csv_cell(value) for value in row])
                    count += 1
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        finally:
            if reader is not None:
                reader.close()
        return count

    def _stream(
        self, reader: sqlite3.Connection | None, query: str, params: list[Any]
    ) -> Iterator[tuple[Any, ...]]:
        if reader is not None:
            yield from reader.execute(query, params)
            return
        yield from self._all(query, params)  # an in-memory journal has only its own connection


def _csv_cell(value: Any) -> Any:
    """Text without control characters or keys (`safe_text.for_terminal`: a CSV file is
    read in terminals too), and with a leading apostrophe where a spreadsheet would run
    it as a formula (OWASP's advice): error messages come from the server, keys from
    whoever typed them."""
    if not isinstance(value, str):
        return value
    value = for_terminal(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
