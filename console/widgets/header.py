"""The header shown on every screen: title, profile name and mode badge."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label

from console.safe_text import one_line

if TYPE_CHECKING:
    from console.app import PaymentsConsoleApp

MODES = ("sandbox", "test", "live")


class ConsoleHeader(Horizontal):
    """`Payments Console · <screen title>   profile <name> [MODE]`.

    Follows `PaymentsConsoleApp.profile_revision`, so a profile switch shows at once.
    """

    def __init__(self, title: str) -> None:
        super().__init__(id="header")
        self.title = title

    def compose(self) -> ComposeResult:
        yield Label(f"Payments Console · {self.title}", id="header-title", markup=False)
        yield Label("", id="header-profile")
        yield Label("", id="header-mode")

    def on_mount(self) -> None:
        self.watch(self.app, "profile_revision", self._show_profile)

    def _show_profile(self) -> None:
        app = cast("PaymentsConsoleApp", self.app)
        name = self.query_one("#header-profile", Label)
        badge = self.query_one("#header-mode", Label)
        badge.display = app.loaded
        if not app.loaded:  # opening: nothing to say about the profile yet
            return
        profile = app.ctx.profile
        if profile is None:
            name.update("no profile")
            badge.update("NOT CONNECTED")
            mode = "none"
        else:
            # A name from the settings file: drawn safe, and never read as markup.
            name.update(Content(f"profile {one_line(profile.name)}"))
            badge.update(Content(one_line(profile.mode).upper()))
            mode = profile.mode
        for candidate in (*MODES, "none"):
            badge.set_class(candidate == mode, f"-{candidate}")
