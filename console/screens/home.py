"""Home: recent activity from the journal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.widgets.base import ConsoleScreen


class HomeScreen(ConsoleScreen[None]):
    """The latest payments and refunds this console sent."""

    SCREEN_TITLE = "Home"

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="home-recent", cursor_type="row")
