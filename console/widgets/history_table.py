"""The history's table, the line that details its highlighted row, and the arithmetic of
its keyset pages and capped count.

The table's columns fit its width (`entry_table`): the amount is never cut and the
status always shows; the key gives way first, then the details (a failure's reason, a
description), the kind and the time. The line under the table shows the highlighted
row's details whole, at any width: a decline's reason and code, the description, the
source and the full idempotency key.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from textual.binding import Binding, BindingType

from console.entries import JournalEntry
from console.safe_text import one_line
from console.widgets.entry_cells import entry_columns
from console.widgets.entry_table import EntryTable
from console.widgets.filter_input import FilterInput

PAGE_SIZE = 100
"""Rows fetched per query: a screenful many times over, never the whole journal."""

PREFETCH_MARGIN = 50
"""The next page is fetched when the cursor comes this close to the last loaded row."""

COUNT_LIMIT = 10_000
"""Matches are counted up to this many ("10,000+ operations"): a count costs no more
than that, however big the journal."""


_OUTCOMES = {
    ("failed", True): "Declined",
    ("failed", False): "Failed",
    ("unknown", True): "Outcome unknown",
    ("unknown", False): "Outcome unknown",
}
"""How the detail line names an outcome that has a reason, by (status, declined)."""


def detail_line(entry: JournalEntry) -> str:
    """'Declined: Your card has expired. (decline code expired_card) · Order #12 · source
    tok_chargeDeclinedExpiredCard · key 5f0c… · by alice': everything the row may not
    have room for, and who sent it."""
    parts: list[str] = []
    if entry.reason is not None:
        parts.append(f"{_OUTCOMES[entry.status, bool(entry.decline_code)]}: {entry.reason}")
    if entry.description:
        parts.append(entry.description)
    if entry.source:
        parts.append(f"source {entry.source}")
    parts.append(f"key {entry.idempotency_key}")
    if entry.operator:
        parts.append(f"by {entry.operator}")
    return one_line(" · ".join(parts))


def needs_next_page(cursor_row: int, loaded: int, more: bool) -> bool:
    """Whether to fetch the next page: there may be more, and the cursor nears the end."""
    return more and cursor_row >= loaded - PREFETCH_MARGIN


def count_text(
    total: int, loaded: int, filter_text: str, profile: str | None = None, *, more: bool = False
) -> str:
    """'1,234 operations match “failed” on profile shop · 200 shown, more load as you
    scroll' (`profile` None: every profile's operations are counted; a `total` above
    COUNT_LIMIT reads '10,000+ operations'; `more`: rows beyond those loaded remain)."""
    filter_text = one_line(filter_text)
    on = f" on profile {one_line(profile)}" if profile is not None else ""
    if total == 0:
        if filter_text:
            return f"No operation matches “{filter_text}”{on}"
        return f"No operations yet{on}: the payments and refunds this console sends appear here"
    noun, verb = ("operation", "matches") if total == 1 else ("operations", "match")
    text = f"{COUNT_LIMIT:,}+ {noun}" if total > COUNT_LIMIT else f"{total:,} {noun}"
    text += f" {verb} “{filter_text}”{on}" if filter_text else f"{on}, newest first"
    if more or loaded < total:
        text += f" · {loaded:,} shown, more load as you scroll"
    return text


class HistoryFilter(FilterInput):
    """The filter field: the down arrow moves to the table; escape clears it, then goes
    back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "app.focus_next", "Table", show=False, id="history.to_table"),
    ]


class HistoryTable(EntryTable):
    """Rows of journal entries, appended a page at a time.

    Home and End go to the first and last loaded row (End thus loads the next page).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False, id="history.first"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="history.last"),
    ]

    def __init__(self, tz: tzinfo | None, moment: datetime, *, id: str | None = None) -> None:
        super().__init__(entry_columns(tz, moment, key=True), id=id, zebra_stripes=True)
