"""Profiles, keys, connection test and theme (issue 7)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Label


class SettingsScreen(Screen[None]):
    """Profiles, their keys, and the theme."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="settings.back")
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Settings", id="settings-title")
        yield Footer()
