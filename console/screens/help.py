"""Help: every key binding of the console, where it applies and what it does."""

from __future__ import annotations

from collections.abc import Iterator

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from console.screens import registry
from console.screens.base import ConsoleScreen

DESCRIPTION_MIN_WIDTH = 24
"""The description column's narrowest width: below it, the table scrolls sideways."""
TABLE_GUTTERS = 4
"""Columns around the table that hold no cell: its margins (help.tcss), its scrollbar."""


def binding_sections(palette_key: str) -> Iterator[tuple[str, list[Binding]]]:
    """(where, bindings): the app's (the registry's, then the command palette on
    `palette_key`), then each screen's own, the screens as `registry.help_screens()`
    lists them."""
    palette = Binding(
        palette_key,
        "command_palette",
        "Command palette",
        tooltip="Every action that applies here, found as you type",
        id="command_palette",
    )
    yield "Everywhere", [*registry.bindings(), palette]
    for screen in registry.help_screens():
        own: list[BindingType] | None = screen.__dict__.get("BINDINGS")
        if own:
            title = getattr(screen, "SCREEN_TITLE", "") or screen.__name__.removesuffix("Screen")
            yield title, [b if isinstance(b, Binding) else Binding(*b) for b in own]


class HelpScreen(ConsoleScreen[None]):
    SCREEN_TITLE = "Help"

    def __init__(self) -> None:
        super().__init__()
        self._filled_width = 0

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="help-bindings", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._fill(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._filled_width:
            self._fill(event.size.width)

    def _rows(self) -> list[tuple[str, str, str, str, str | None]]:
        """(where, keys, action, what it does, id) for every binding."""
        rows = []
        for where, bindings in binding_sections(self.app.COMMAND_PALETTE_BINDING):
            for binding in bindings:
                keys = " / ".join(
                    self.app.get_key_display(binding.with_key(key.strip()))
                    for key in binding.key.split(",")
                )
                rows.append((where, keys, binding.description, binding.tooltip, binding.id))
                where = ""
        return rows

    def _fill(self, width: int) -> None:
        """The table for a screen `width` wide: the descriptions wrap within what the other
        columns leave, so that no column is cut off."""
        self._filled_width = width
        table = self.query_one(DataTable)
        rows = self._rows()
        table.clear(columns=True)
        labels = ("Where", "Keys", "Action")
        columns = zip(labels, *(row[:3] for row in rows), strict=True)
        padding = 2 * table.cell_padding
        others = sum(max(map(cell_len, column)) + padding for column in columns)
        for label in labels:
            table.add_column(label)
        description_width = width - TABLE_GUTTERS - others - padding
        table.add_column("What it does", width=max(DESCRIPTION_MIN_WIDTH, description_width))
        keyed: set[str | None] = {None}
        for where, keys, action, description, key in rows:
            # A binding two screens share is listed under both, keyed by its id once.
            row_key = None if key in keyed else key
            keyed.add(key)
            table.add_row(where, keys, action, description, height=None, key=row_key)
