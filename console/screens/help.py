"""Help: every key binding of the console, where it applies and what it does, filtered as
you type (by key, action or description); the keys are those in force (keymap applied),
and on a read-only profile what moves money is left out."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events, on
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Label

from console.screens import registry
from console.screens.base import ConsoleScreen
from console.screens.keymap import binding_sections, keys_text
from console.widgets.filter_input import FilterInput

DESCRIPTION_MIN_WIDTH = 24
"""The description column's narrowest width: below it, the table scrolls sideways."""
TABLE_GUTTERS = 4
"""Columns around the table that hold no cell: its margins (help.tcss), its scrollbar."""

Row = tuple[str, str, str, str, str | None]
"""(where, keys, action, what it does, the binding's id)."""


def matches(row: Row, wanted: str) -> bool:
    """Whether `wanted` (lower case) is in the row's keys, action or description."""
    _, keys, action, description, _ = row
    return any(wanted in text.lower() for text in (keys, action, description))


class HelpScreen(ConsoleScreen[None]):
    SCREEN_TITLE = "Help"

    def __init__(self) -> None:
        super().__init__()
        self._filled_width = 0

    def compose_body(self) -> ComposeResult:
        yield FilterInput(placeholder="Filter by key, action or description", id="help-filter")
        yield Label("", id="help-none")
        yield DataTable(id="help-bindings", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._fill(self.app.size.width)
        self.query_one("#help-filter", Input).focus()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._filled_width:
            self._fill(event.size.width)

    @on(Input.Changed, "#help-filter")
    def _filter_changed(self) -> None:
        self._fill(self._filled_width)

    @on(Input.Submitted, "#help-filter")
    def _to_table(self) -> None:
        self.query_one(DataTable).focus()

    def _rows(self) -> list[Row]:
        """Every binding in force: keys as the keymap sets them; on a read-only profile,
        none that moves money (nor the screens only those open)."""
        console = self.console
        keymap = self.ctx.settings.keymap if console.loaded else {}
        rows = []
        leave_out = registry.MONEY_SCREENS if console.read_only else frozenset()
        for where, bindings in binding_sections(self.app.COMMAND_PALETTE_BINDING, leave_out):
            for binding in bindings:
                if console.read_only and binding.id in registry.MOVES_MONEY:
                    continue
                keys = keys_text(self.app, binding, keymap)
                rows.append((where, keys, binding.description, binding.tooltip, binding.id))
        return rows

    def _fill(self, width: int) -> None:
        """The table for a screen `width` wide, of the rows the filter matches: the
        descriptions wrap within what the other columns leave, so that no column is cut
        off."""
        self._filled_width = width
        table = self.query_one(DataTable)
        wanted = self.query_one("#help-filter", Input).value.strip().lower()
        every = self._rows()
        rows = [row for row in every if matches(row, wanted)]
        none = self.query_one("#help-none", Label)
        none.update(f"No binding matches '{wanted}'." if not rows else "")
        none.display = not rows
        table.clear(columns=True)
        labels = ("Where", "Keys", "Action")
        columns = zip(labels, *(row[:3] for row in every), strict=True)
        widths = [max(map(cell_len, column)) for column in columns]  # whatever is filtered
        padding = 2 * table.cell_padding
        others = sum(width + padding for width in widths)
        for label, column_width in zip(labels, widths, strict=True):
            table.add_column(label, width=column_width)
        description_width = width - TABLE_GUTTERS - others - padding
        table.add_column("What it does", width=max(DESCRIPTION_MIN_WIDTH, description_width))
        keyed: set[str | None] = {None}
        previous = ""
        for where, keys, action, description, key in rows:
            # A binding two screens share is listed under both, keyed by its id once.
            row_key = None if key in keyed else key
            keyed.add(key)
            shown, previous = ("" if where == previous else where), where
            table.add_row(shown, keys, action, description, height=None, key=row_key)
