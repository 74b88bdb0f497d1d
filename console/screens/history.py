"""Every operation of the current profile in the journal, newest first, filtered as you type.

The table is fed by paged queries (`Journal.page`/`count`): the first page when the
screen opens or the filter changes (keystrokes are debounced), the next one when the
cursor nears the last loaded row. No query ever loads the whole journal, so 100,000
entries open as fast as 100. Enter opens a row's payment; `e` exports the filtered
rows (all of them, not only those loaded) to a CSV file in the working directory.
Another profile's operations are not shown (with no profile chosen, every one is); a
profile switch reads the journal again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label

from console.safe_text import for_terminal
from console.screens.base import ConsoleScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.widgets.history_table import (
    PAGE_SIZE,
    STATUS_WIDTH,
    HistoryFilter,
    HistoryTable,
    count_text,
    needs_next_page,
    time_zone_name,
)

QUERY = "history-query"
PAGE = "history-page"
EXPORT = "history-export"

DEBOUNCE_SECONDS = 0.12
"""A new query starts once typing pauses this long."""


def export_path(directory: Path, moment: datetime) -> Path:
    """'payments-history-20260302-093000.csv' in `directory`, never an existing file."""
    stem = f"payments-history-{moment:%Y%m%d-%H%M%S}"
    path = directory / f"{stem}.csv"
    number = 1
    while path.exists():
        number += 1
        path = directory / f"{stem}-{number}.csv"
    return path


class HistoryScreen(ConsoleScreen[None]):
    """The journal in a table: filter as you type, Enter opens, `e` exports."""

    SCREEN_TITLE = "History"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "e",
            "export",
            "Export CSV",
            id="history.export",
            tooltip="Write every row matching the filter to a CSV file",
        ),
        Binding(
            "f",
            "focus_filter",
            "Filter",
            id="history.filter",
            tooltip="Filter by payment ID, status or amount",
        ),
        Binding(
            "g",
            "reload",
            "Reload",
            id="history.reload",
            tooltip="Read the journal again",
            show=False,  # in help and the palette; the footer keeps room for ? and esc
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        """The filter of the rows shown (the field may hold newer text, being debounced)."""
        self.total = 0
        """How many entries match `filter_text` (the table holds the first pages of them)."""
        self.profile: str | None = None
        """The profile whose entries are shown (None: every profile's)."""
        self._debounce: Timer | None = None
        self._paging = False
        self._loaded_once = False

    def compose_body(self) -> ComposeResult:
        yield HistoryFilter(
            placeholder="Filter by payment ID, status or amount (pay_12, failed, 50.00)",
            id="history-filter",
        )
        yield Label("Reading the journal…", id="history-count")
        yield Label("", id="history-status")
        yield HistoryTable(id="history-table")

    def on_mount(self) -> None:
        table = self.query_one(HistoryTable)
        zone = time_zone_name(self.ctx.display_tz, datetime.now(UTC))
        table.add_column(f"Time ({zone})" if zone else "Time", key="time")
        table.add_columns("Kind", "Payment", Text("Amount", justify="right"))
        table.add_column("Status", width=STATUS_WIDTH)
        table.add_column("Key")
        self.query_one("#history-status").display = False
        self.query_one(HistoryFilter).focus()
        self.watch(self.app, "profile_revision", self.action_reload, init=False)

    def on_screen_resume(self) -> None:
        """Read the journal on opening, and again on coming back (a refund may be new)."""
        self._run_query(self.query_one(HistoryFilter).value.strip())

    # --- querying ------------------------------------------------------------------

    @on(Input.Changed, "#history-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        wanted = event.value.strip()
        self._debounce = self.set_timer(DEBOUNCE_SECONDS, lambda: self._run_query(wanted))

    @on(Input.Submitted, "#history-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        """Enter: apply the filter now and move to the table."""
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        wanted = event.value.strip()
        if wanted != self.filter_text:
            self._run_query(wanted)
        self.query_one(HistoryTable).focus()

    def action_reload(self) -> None:
        self._run_query(self.filter_text)

    def action_focus_filter(self) -> None:
        self.query_one(HistoryFilter).focus()

    def _run_query(self, filter_text: str) -> None:
        self._paging = False
        self.query_journal(filter_text)

    @work(exclusive=True, group=QUERY, exit_on_error=False)
    async def query_journal(self, filter_text: str) -> None:
        """Show the first page matching `filter_text`, and how many match in all."""
        journal, profile = self.ctx.journal, self.ctx.journal_profile
        try:
            entries = await asyncio.to_thread(
                journal.page, filter_text, 0, PAGE_SIZE, profile=profile
            )
            total = len(entries)
            if total == PAGE_SIZE:
                total = await asyncio.to_thread(journal.count, filter_text, profile=profile)
        except Exception as error:
            self.show_error(error)
            return
        table = self.query_one(HistoryTable)
        same = self._loaded_once and (profile, filter_text) == (self.profile, self.filter_text)
        cursor = table.cursor_row if same else 0
        self.profile, self.filter_text, self.total = profile, filter_text, total
        self._loaded_once = True
        table.reset()
        table.add_entries(entries, self.ctx.display_tz)
        if entries:
            table.move_cursor(row=min(cursor, len(entries) - 1), animate=False)
        self._show_count()

    @work(exclusive=True, group=PAGE, exit_on_error=False)
    async def load_page(self, profile: str | None, filter_text: str, offset: int) -> None:
        """Add the page at `offset` to the table, unless the rows shown changed meanwhile."""
        try:
            entries = await asyncio.to_thread(
                self.ctx.journal.page, filter_text, offset, PAGE_SIZE, profile=profile
            )
        except Exception as error:
            self._paging = False
            self.show_error(error)
            return
        self._paging = False
        table = self.query_one(HistoryTable)
        same = (profile, filter_text) == (self.profile, self.filter_text)
        if same and offset == len(table.payment_ids):
            table.add_entries(entries, self.ctx.display_tz)
            self._show_count()

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        loaded = len(self.query_one(HistoryTable).payment_ids)
        if not self._paging and needs_next_page(event.cursor_row, loaded, self.total):
            self._paging = True
            self.load_page(self.profile, self.filter_text, loaded)

    def _show_count(self) -> None:
        loaded = len(self.query_one(HistoryTable).payment_ids)
        self.query_one("#history-count", Label).update(
            Content(count_text(self.total, loaded, self.filter_text, self.profile))
        )

    # --- opening and exporting -----------------------------------------------------

    @on(DataTable.RowSelected, "#history-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        payment_id = self.query_one(HistoryTable).payment_ids[event.cursor_row]
        if payment_id is None:
            self.notify(
                "This operation has no payment ID: it never got an answer naming one.",
                title="Nothing to open",
                severity="warning",
            )
        elif self.ctx.client is None:
            self.notify("Connect to an API first (settings, s).", title="Not connected")
        else:
            self.app.push_screen(PaymentDetailScreen(payment_id))

    def action_export(self) -> None:
        self._status("Exporting…")
        self.export(self.profile, self.filter_text)

    @work(exclusive=True, group=EXPORT, exit_on_error=False)
    async def export(self, profile: str | None, filter_text: str) -> None:
        try:
            path = export_path(Path.cwd(), self.ctx.clock())
            count = await asyncio.to_thread(
                self.ctx.journal.export_csv, filter_text, path, profile=profile
            )
        except Exception as error:
            self.query_one("#history-status").display = False
            self.show_error(error)
            return
        noun = "operation" if count == 1 else "operations"
        matching = f" matching “{filter_text}”" if filter_text else ""
        on = f" on profile {profile}" if profile is not None else ""
        message = f"Exported {count:,} {noun}{matching}{on} to {path}"
        self._status(message)
        self.notify(message, title="CSV export")

    def _status(self, text: str) -> None:
        status = self.query_one("#history-status", Label)
        status.update(Content(for_terminal(text)))  # a typed filter, a path: never markup
        status.display = True
