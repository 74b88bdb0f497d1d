"""The journal as table rows, and the paging arithmetic of the history screen.

A journal's text (IDs, keys, currencies: what the API answered or a merchant pasted) is
drawn as one line through `safe_text.one_line`, and as `Text`, which a table measures
but never reads as markup: no control character reaches the terminal, a pasted key
shows masked, a `[/]` is text.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Input

from console.display import amount_text
from console.entries import STATUSES, JournalEntry
from console.safe_text import one_line
from console.widgets.panels import status_content

PAGE_SIZE = 100
"""Rows fetched per query: a screenful many times over, never the whole journal."""

PREFETCH_MARGIN = 50
"""The next page is fetched when the cursor comes this close to the last loaded row."""

STATUS_WIDTH = max(len(status) for status in STATUSES)
"""Styled status cells are not measured by the table: the column is as wide as the longest."""

KEY_LENGTH = 8
"""Characters of the idempotency key shown (enough to tell keys apart by eye)."""


def short_key(key: str) -> str:
    return key[:KEY_LENGTH] + ("…" if len(key) > KEY_LENGTH else "")


def time_zone_name(tz: tzinfo | None, moment: datetime) -> str:
    """'UTC', 'CET'... of `tz` (None: this machine's) at `moment`."""
    return moment.astimezone(tz).tzname() or ""


def entry_row(entry: JournalEntry, tz: tzinfo | None) -> tuple[str | Text | Content, ...]:
    """Time, kind, payment ID, amount, status and short idempotency key of one entry."""
    return (
        f"{entry.created_at.astimezone(tz):%Y-%m-%d %H:%M:%S}",
        Text(one_line(entry.kind)),
        Text(one_line(entry.payment_id or "") or "—"),
        Text(one_line(amount_text(entry.amount, entry.currency)), justify="right"),
        status_content(entry.status),
        Text(short_key(one_line(entry.idempotency_key))),
    )


def needs_next_page(cursor_row: int, loaded: int, total: int) -> bool:
    return loaded < total and cursor_row >= loaded - PREFETCH_MARGIN


def count_text(total: int, loaded: int, filter_text: str, profile: str | None = None) -> str:
    """'1,234 operations match “failed” on profile shop · 200 shown, more load as you
    scroll' (`profile` None: every profile's operations are counted)."""
    filter_text = one_line(filter_text)
    on = f" on profile {one_line(profile)}" if profile is not None else ""
    if total == 0:
        if filter_text:
            return f"No operation matches “{filter_text}”{on}"
        return f"No operations yet{on}: the payments and refunds this console sends appear here"
    noun, verb = ("operation", "matches") if total == 1 else ("operations", "match")
    text = f"{total:,} {noun}"
    text += f" {verb} “{filter_text}”{on}" if filter_text else f"{on}, newest first"
    if loaded < total:
        text += f" · {loaded:,} shown, more load as you scroll"
    return text


class HistoryFilter(Input):
    """The filter field: the down arrow moves to the table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "app.focus_next", "Table", show=False, id="history.to_table"),
    ]


class HistoryTable(DataTable[str | Text | Content]):
    """Rows of journal entries, appended a page at a time; knows each row's payment ID.

    Home and End go to the first and last loaded row (End thus loads the next page).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False, id="history.first"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="history.last"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.payment_ids: list[str | None] = []

    def reset(self) -> None:
        self.clear()
        self.payment_ids = []

    def add_entries(self, entries: list[JournalEntry], tz: tzinfo | None) -> None:
        self.add_rows(entry_row(entry, tz) for entry in entries)
        self.payment_ids.extend(entry.payment_id for entry in entries)
