"""Help: every key binding of the console, where it applies and what it does."""

from __future__ import annotations

from collections.abc import Iterator

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from console.screens import registry
from console.screens.base import ConsoleScreen

DESCRIPTION_MIN_WIDTH = 30
"""The description column's narrowest width; at 100 columns it gets 52 and wraps."""


def binding_sections() -> Iterator[tuple[str, list[BindingType]]]:
    """(where, bindings): the app's (the registry's), then each screen's own, the screens
    as `registry.help_screens()` lists them."""
    yield "Everywhere", list(registry.bindings())
    for screen in registry.help_screens():
        own = screen.__dict__.get("BINDINGS")
        if own:
            title = getattr(screen, "SCREEN_TITLE", "") or screen.__name__.removesuffix("Screen")
            yield title, own


class HelpScreen(ConsoleScreen[None]):
    SCREEN_TITLE = "Help"

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="help-bindings", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Keys", "Action")
        # The descriptions wrap within what the other columns leave, so none is cut off.
        table.add_column("What it does", width=max(DESCRIPTION_MIN_WIDTH, self.app.size.width - 48))
        for where, bindings in binding_sections():
            for binding in bindings:
                if not isinstance(binding, Binding):
                    binding = Binding(*binding)
                keys = " / ".join(
                    self.app.get_key_display(binding.with_key(key.strip()))
                    for key in binding.key.split(",")
                )
                table.add_row(
                    where, keys, binding.description, binding.tooltip, height=None, key=binding.id
                )
                where = ""
