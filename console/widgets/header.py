"""The header shown on every screen: title, profile name, mode badge (and READ-ONLY)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label

from console.safe_text import one_line

MODES = ("sandbox", "test", "live")


class ConsoleHeader(Horizontal):
    """`Payments Console · <screen title>   profile <name> [MODE] [READ-ONLY]`; the screen
    says which profile (`show`), or that there is none yet."""

    def __init__(self, title: str) -> None:
        super().__init__(id="header")
        self.title = title

    def compose(self) -> ComposeResult:
        yield Label(f"Payments Console · {self.title}", id="header-title", markup=False)
        yield Label("", id="header-profile")
        yield Label("", id="header-mode")
        yield Label("READ-ONLY", id="header-read-only")

    def opening(self) -> None:
        """The console is still opening: nothing to say about the profile yet."""
        self.query_one("#header-mode", Label).display = False
        self.query_one("#header-read-only", Label).display = False

    def not_connected(self) -> None:
        self.query_one("#header-profile", Label).update("no profile")
        self._badge("NOT CONNECTED", "none")
        self.query_one("#header-read-only", Label).display = False

    def show(self, profile_name: str, mode: str, *, read_only: bool = False) -> None:
        """A name from the settings file: drawn safe, and never read as markup; beside
        the mode, READ-ONLY for a profile that never pays or refunds."""
        self.query_one("#header-profile", Label).update(
            Content(f"profile {one_line(profile_name)}")
        )
        self._badge(one_line(mode).upper(), mode)
        self.query_one("#header-read-only", Label).display = read_only

    def _badge(self, text: str, mode: str) -> None:
        badge = self.query_one("#header-mode", Label)
        badge.display = True
        badge.update(Content(text))
        for candidate in (*MODES, "none"):
            badge.set_class(candidate == mode, f"-{candidate}")
