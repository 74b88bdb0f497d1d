"""Every operation in the journal, newest first (issue 7)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input


class HistoryScreen(Screen[None]):
    """The journal in a table, filtered as you type."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="history.back")
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter by ID, status or amount", id="history-filter")
        yield DataTable(id="history-table")
        yield Footer()
