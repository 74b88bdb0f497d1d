"""Every operation of the current profile in the journal, newest first, filtered as you type.

The table is fed by keyset pages (`Journal.page_after`, from the id of the last row
loaded): the first page when the screen opens or the filter changes (keystrokes are
debounced), the next one when the cursor nears the last loaded row. An entry recorded
meanwhile is newer than every row shown, so scrolling never repeats or skips a row. The
matches are counted up to `COUNT_LIMIT` ("10,000+ operations"): no query ever reads the
whole journal, so 1,000,000 entries open as fast as 100. Enter opens a row's payment; the
line under the table details the highlighted row (a decline's reason and code, the
description, source and key); `e` exports the filtered rows (all of them, not only those
loaded) to a CSV file, in the downloads or data directory unless another path is typed.
Another profile's operations are not shown (with no profile chosen, every one is); a
profile switch reads the journal again.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label

from console.paths import exports_dir, file_error_problem, unused_path
from console.safe_text import for_terminal
from console.screens.base import ConsoleScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.screens.save_path import SavePathScreen
from console.widgets.history_table import (
    COUNT_LIMIT,
    PAGE_SIZE,
    HistoryFilter,
    HistoryTable,
    count_text,
    detail_line,
    needs_next_page,
)

QUERY = "history-query"
PAGE = "history-page"
EXPORT = "history-export"

DEBOUNCE_SECONDS = 0.12
"""A new query starts once typing pauses this long."""


def export_path(directory: Path, moment: datetime) -> Path:
    """'payments-history-20260302-093000.csv' in `directory`, never an existing file."""
    return unused_path(directory, f"payments-history-{moment:%Y%m%d-%H%M%S}", ".csv")


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
        """How many entries match `filter_text`, counted up to COUNT_LIMIT + 1."""
        self.more = False
        """Whether rows beyond those loaded may match (the last page was full)."""
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
        yield HistoryTable(self.ctx.display_tz, datetime.now(UTC), id="history-table")
        yield Label("", id="history-detail")
        yield Label("", id="history-status")

    def on_mount(self) -> None:
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
        """Show the first page matching `filter_text`, and how many match (up to
        COUNT_LIMIT + 1: beyond, it reads "10,000+")."""
        journal, profile = self.ctx.journal, self.ctx.journal_profile
        try:
            entries = await asyncio.to_thread(
                journal.page_after, filter_text, None, PAGE_SIZE, profile=profile
            )
            total = len(entries)
            if total == PAGE_SIZE:
                total = await asyncio.to_thread(
                    journal.count_at_most, COUNT_LIMIT + 1, filter_text, profile=profile
                )
        except Exception as error:
            self.show_error(error)
            return
        table = self.query_one(HistoryTable)
        same = self._loaded_once and (profile, filter_text) == (self.profile, self.filter_text)
        cursor = table.cursor_row if same else 0
        self.profile, self.filter_text, self.total = profile, filter_text, total
        self.more = len(entries) == PAGE_SIZE
        self._loaded_once = True
        table.show(entries)
        if entries:
            table.move_cursor(row=min(cursor, len(entries) - 1), animate=False)
        self._show_count()
        self._show_detail()

    @work(exclusive=True, group=PAGE, exit_on_error=False)
    async def load_page(self, profile: str | None, filter_text: str, after_id: int) -> None:
        """Add the page after entry `after_id` to the table, unless the rows shown changed
        meanwhile."""
        try:
            entries = await asyncio.to_thread(
                self.ctx.journal.page_after, filter_text, after_id, PAGE_SIZE, profile=profile
            )
        except Exception as error:
            self._paging = False
            self.show_error(error)
            return
        self._paging = False
        table = self.query_one(HistoryTable)
        same = (profile, filter_text) == (self.profile, self.filter_text)
        if same and table.entries and table.entries[-1].id == after_id:
            self.more = len(entries) == PAGE_SIZE
            table.extend(entries)
            self._show_count()

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        entries = self.query_one(HistoryTable).entries
        if not self._paging and needs_next_page(event.cursor_row, len(entries), self.more):
            self._paging = True
            self.load_page(self.profile, self.filter_text, entries[-1].id)

    def _show_count(self) -> None:
        loaded = len(self.query_one(HistoryTable).entries)
        text = count_text(self.total, loaded, self.filter_text, self.profile, more=self.more)
        self.query_one("#history-count", Label).update(Content(text))

    def _show_detail(self) -> None:
        entry = self.query_one(HistoryTable).selected
        detail = self.query_one("#history-detail", Label)
        detail.update(Content(detail_line(entry)) if entry is not None else "")

    # --- opening and exporting -----------------------------------------------------

    @on(DataTable.RowSelected, "#history-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        entry = self.query_one(HistoryTable).selected
        if entry is None:
            return
        if entry.payment_id is None:
            self.notify(
                "This operation has no payment ID: it never got an answer naming one.",
                title="Nothing to open",
                severity="warning",
            )
        elif self.ctx.client is None:
            self.notify("Connect to an API first (settings, s).", title="Not connected")
        else:
            self.app.push_screen(PaymentDetailScreen(entry.payment_id))

    def action_export(self) -> None:
        """Ask where to write the rows the filter matches (the default path shown)."""
        moment = self.ctx.clock().astimezone(self.ctx.display_tz)
        default = export_path(exports_dir(), moment)
        profile, filter_text = self.profile, self.filter_text
        noun = "operation" if self.total == 1 else "operations"
        count = f"{COUNT_LIMIT:,}+" if self.total > COUNT_LIMIT else f"{self.total:,}"
        matching = f" matching “{filter_text}”" if filter_text else ""

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._status("Exporting…")
                self.export(profile, filter_text, path)

        self.app.push_screen(
            SavePathScreen(f"Export {count} {noun}{matching} to CSV", default), chosen
        )

    @work(exclusive=True, group=EXPORT, exit_on_error=False)
    async def export(self, profile: str | None, filter_text: str, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            count = await asyncio.to_thread(
                self.ctx.journal.export_csv, filter_text, path, profile=profile
            )
        except (OSError, sqlite3.Error) as error:
            message = f"Cannot write {path}: {file_error_problem(error, path)}"
            self._status(message)
            self.notify(
                for_terminal(message), title="CSV export failed", severity="error", markup=False
            )
            return
        except Exception as error:
            self.query_one("#history-status").display = False
            self.show_error(error)
            return
        noun = "operation" if count == 1 else "operations"
        matching = f" matching “{filter_text}”" if filter_text else ""
        on = f" on profile {profile}" if profile is not None else ""
        message = f"Exported {count:,} {noun}{matching}{on} to {path}"
        self._status(message)
        self.notify(for_terminal(message), title="CSV export", markup=False)

    def _status(self, text: str) -> None:
        status = self.query_one("#history-status", Label)
        status.update(Content(for_terminal(text)))  # a typed filter, a path: never markup
        status.display = True
