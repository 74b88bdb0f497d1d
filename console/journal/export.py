"""The history as a CSV file or a list: the entries a selection matches, newest first.

A `Selection` is the history's filter text and profile, plus what the command line adds
(one status, a first moment, how many). The CSV file has every column a merchant
reconciles with, the request's description and source and a decline's code included,
made safe for terminals and spreadsheets.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from console.entries import JournalEntry, Status
from console.journal import rows
from console.journal.connection import Connected
from console.journal.filters import where
from console.safe_text import for_terminal

_CSV_COLUMNS: dict[str, str | tuple[str, str]] = {
    "id": "id",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "kind": "kind",
    "status": "status",
    "profile": "profile",
    "payment_id": "payment_id",
    "object_id": "object_id",
    "amount": "amount",
    "currency": "currency",
    "description": ("request", "description"),
    "source": ("request", "source"),
    "idempotency_key": "idempotency_key",
    "error": "error",
    "decline_code": ("response", "decline_code"),
    "operator": "operator",
    "host": "host",
}
"""Each CSV column, and the column or (JSON column, field) that it is read from: the
description and source are in the request, a decline's code in the API's answer (of a
failed entry only): `JournalEntry`'s properties of the same names."""

CSV_HEADER = tuple(_CSV_COLUMNS)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Selection:
    """The entries `filter_text` matches (the history's filter language), of `profile`
    (None: every profile's), with `status`, sent by `operator`, recorded at or after
    `since`; the newest `limit` of them (None: all)."""

    filter_text: str = ""
    profile: str | None = None
    status: Status | None = None
    since: datetime | None = None
    limit: int | None = None
    operator: str | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """The WHERE, ORDER BY and LIMIT of the selection, and its parameters."""
        clause, params = where(self.filter_text, self.profile)
        more: list[str] = []
        if self.status is not None:
            more.append("status = ?")
            params.append(self.status)
        if self.since is not None:
            more.append("created_at >= ?")
            params.append(rows.timestamp(self.since))
        if self.operator is not None:
            more.append("operator = ?")
            params.append(self.operator)
        if more:
            clause += (" AND " if clause else " WHERE ") + " AND ".join(more)
        clause += " ORDER BY id DESC"
        if self.limit is not None:
            clause += " LIMIT ?"
            params.append(max(0, self.limit))
        return clause, params


class Export(Connected):
    def export_csv(self, filter_text: str, path: str | Path, *, profile: str | None = None) -> int:
        """Write the entries `filter_text` matches (newest first) to a CSV file; returns
        the row count."""
        return self.write_csv(Selection(filter_text, profile), path)

    def selected(self, selection: Selection) -> list[JournalEntry]:
        """The entries of `selection`, newest first."""
        return self._select(*selection.sql())

    def write_csv(self, selection: Selection, path: str | Path) -> int:
        """Write the entries of `selection` to a CSV file; returns the row count.

        Rows are streamed from a separate read cursor, so memory stays flat; the file
        appears complete or not at all (written beside it, then renamed).
        """
        tail, params = selection.sql()
        query = f"SELECT {self._csv_columns()} FROM operations{tail}"  # noqa: S608 - fixed text
        target = Path(path)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        count = 0
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as file:
                writer = csv.writer(file)
                writer.writerow(CSV_HEADER)
                for row in self._backend.stream(query, params):
                    writer.writerow([_csv_cell(value) for value in row])
                    count += 1
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return count

    def _csv_columns(self) -> str:
        def sql(source: str | tuple[str, str]) -> str:
            if isinstance(source, str):
                return source
            value = self.dialect.json_field(*source)
            if source[0] == "response":
                return f"CASE status WHEN 'failed' THEN {value} END"
            return value

        return ", ".join(sql(source) for source in _CSV_COLUMNS.values())


def _csv_cell(value: Any) -> Any:
    """Text without control characters or keys (`safe_text.for_terminal`: a CSV file is
    read in terminals too), and with a leading apostrophe where a spreadsheet would run
    it as a formula (OWASP's advice): error messages come from the server, keys from
    whoever typed them."""
    if not isinstance(value, str):
        return value
    value = for_terminal(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
