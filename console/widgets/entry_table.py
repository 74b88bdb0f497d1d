"""A table of journal entries whose columns fit the width it is given.

An amount is never cut and the status always shows: those columns keep their width.
The others give way, one after the other in their stated order (`Column.gives_way`,
1 first), until the row fits: a flexible column (a description) narrows, cut with "…",
then goes; a column with a narrower form (a time without its year) takes it, then goes.
Room left over then takes back what it can, the last column gone first. There is never
a horizontal scrollbar; the vertical one keeps its gutter, so scrolling never changes
the layout. Widths follow the rows shown (the widest amount among them), and the layout
is made again when the table is resized or a row would not fit it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.content import Content
from textual.widgets import DataTable

from console.entries import JournalEntry

Cell = str | Text | Content
CellMaker = Callable[[JournalEntry], Cell]

FLEXIBLE_MIN = 10
"""A flexible column narrower than this gives way altogether."""


@dataclass(frozen=True)
class Column:
    """One column: its label, and its cells in each form it can take, widest first."""

    label: str | Text
    forms: tuple[CellMaker, ...]
    gives_way: int = 0
    """Its turn to give way when the row is too wide (1 first); 0: never."""
    flexible: bool = False
    """Takes whatever width is left (at least FLEXIBLE_MIN), its text cut with "…"."""


@dataclass(frozen=True)
class Fit:
    """A shown column: which of its forms, and how wide."""

    form: int
    width: int


def cell_width(cell: Cell) -> int:
    if isinstance(cell, Text):
        return cell.cell_len
    if isinstance(cell, Content):
        return cell.cell_length
    return cell_len(cell)


def fit_columns(
    available: int, columns: Sequence[Column], widths: Sequence[Sequence[int]], padding: int
) -> list[Fit | None]:
    """The form and width of each column (None: not shown) so that the row, each column
    padded by `padding` on both sides, fits `available` cells. `widths[i][f]` is the
    natural width of column i in form f (its widest cell or label)."""
    chosen: list[Fit | None] = [Fit(0, natural[0]) for natural in widths]

    def used() -> int:
        return sum(fit.width + 2 * padding for fit in chosen if fit is not None)

    turns = sorted((column.gives_way, n) for n, column in enumerate(columns) if column.gives_way)
    for _, n in turns:
        if used() <= available:
            break
        if columns[n].flexible:
            fit = chosen[n]
            assert fit is not None
            room = available - used() + fit.width
            chosen[n] = Fit(0, room) if room >= FLEXIBLE_MIN else None
            continue
        chosen[n] = None
        for form, width in list(enumerate(widths[n]))[1:]:
            chosen[n] = Fit(form, width)
            if used() <= available:
                break
            chosen[n] = None
    for _, n in reversed(turns):  # the room left takes back what it can, last gone first
        if chosen[n] is None:
            chosen[n] = _in_room(available - used() - 2 * padding, columns[n], widths[n])
    return chosen


def _in_room(room: int, column: Column, widths: Sequence[int]) -> Fit | None:
    """The widest form of `column` that fits `room` cells, if any."""
    if column.flexible:
        return Fit(0, min(room, widths[0])) if room >= FLEXIBLE_MIN else None
    return next((Fit(form, width) for form, width in enumerate(widths) if width <= room), None)


class EntryTable(DataTable[Cell]):
    """Journal entries as rows (`entries`, in order), their columns fitted to the width.

    `show` replaces the rows, `extend` appends some (a next page), keeping the cursor.
    """

    DEFAULT_CSS = """
    EntryTable {
        overflow-x: hidden;
        scrollbar-gutter: stable;
        scrollbar-size-horizontal: 0;
    }
    """

    def __init__(
        self, columns: Sequence[Column], *, id: str | None = None, zebra_stripes: bool = False
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=zebra_stripes)
        self.spec = tuple(columns)
        self.entries: list[JournalEntry] = []
        self._cells: list[list[tuple[Cell, ...]]] = []
        """Per entry, per column: the cell in each of its forms."""
        self._natural = [[cell_width(Text(str(c.label)))] * len(c.forms) for c in self.spec]
        self._fits: list[Fit | None] = []
        self._laid_out_for = -1

    @property
    def selected(self) -> JournalEntry | None:
        """The entry under the cursor."""
        return self.entries[self.cursor_row] if 0 <= self.cursor_row < len(self.entries) else None

    def show(
        self, entries: Iterable[JournalEntry], columns: Sequence[Column] | None = None
    ) -> None:
        """Show `entries` (in the `columns` given, else those the table has)."""
        cursor = self.cursor_row
        self.spec = tuple(columns) if columns is not None else self.spec
        self.entries, self._cells = [], []
        self._natural = [[cell_width(Text(str(c.label)))] * len(c.forms) for c in self.spec]
        self._add(list(entries))
        self._layout()
        if self.entries:
            self.move_cursor(row=min(max(cursor, 0), len(self.entries) - 1), animate=False)

    def extend(self, entries: Iterable[JournalEntry]) -> None:
        added = list(entries)
        before = [list(natural) for natural in self._natural]
        self._add(added)
        if self._natural != before and self._fits != self._plan():
            cursor = self.cursor_row
            self._layout()
            self.move_cursor(row=cursor, animate=False)
        else:
            self._add_rows(len(self.entries) - len(added))

    def on_resize(self, event: events.Resize) -> None:
        if self._available() != self._laid_out_for:
            cursor = self.cursor_row
            self._layout()
            if self.entries:
                self.move_cursor(row=cursor, animate=False)

    # --- layout -----------------------------------------------------------------------

    def _add(self, entries: list[JournalEntry]) -> None:
        for entry in entries:
            cells = [tuple(form(entry) for form in column.forms) for column in self.spec]
            for natural, forms in zip(self._natural, cells, strict=True):
                for form, cell in enumerate(forms):
                    natural[form] = max(natural[form], cell_width(cell))
            self.entries.append(entry)
            self._cells.append(cells)

    def _available(self) -> int:
        return self.scrollable_content_region.width

    def _plan(self) -> list[Fit | None]:
        return fit_columns(self._available(), self.spec, self._natural, self.cell_padding)

    def _layout(self) -> None:
        self._laid_out_for = self._available()
        self._fits = self._plan()
        self.clear(columns=True)
        for column, fit in zip(self.spec, self._fits, strict=True):
            if fit is not None:
                self.add_column(self._label(column, fit), width=fit.width)
        self._add_rows(0)

    def _label(self, column: Column, fit: Fit) -> str | Text:
        label = column.label
        return _cut(Text(label) if isinstance(label, str) else label, fit.width)

    def _add_rows(self, start: int) -> None:
        self.add_rows(self._row(cells) for cells in self._cells[start:])

    def _row(self, cells: list[tuple[Cell, ...]]) -> list[Cell]:
        row: list[Cell] = []
        for column, fit, forms in zip(self.spec, self._fits, cells, strict=True):
            if fit is not None:
                cell = forms[fit.form]
                row.append(_cut(cell, fit.width) if column.flexible else cell)
        return row


def _cut(cell: Cell, width: int) -> Text:
    """`cell` as text no wider than `width`, its end replaced by "…" when it was cut."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text
