"""`SavePathScreen`: where to write a file the merchant asked for (a CSV export).

The default path is shown, selected: Enter writes there, or wherever the merchant typed
instead (a name alone goes beside the default, a directory gets the default's name);
Esc cancels. A path that cannot be used is refused under the field, saying why, and
nothing is written over: an existing file is never replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from console.paths import directory_problem
from console.safe_text import one_line
from console.widgets.footer import ConsoleFooter
from console.widgets.panels import FormField


def chosen_path(typed: str, default: Path) -> tuple[Path | None, str | None]:
    """The file `typed` names (relative to the default's directory), or why it cannot be
    written: (path, None) or (None, problem)."""
    text = typed.strip()
    if not text:
        return None, "Enter the path of the file to write"
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = default.parent / path
    if path.is_dir():
        path = path / default.name
    if path.exists() or path.is_symlink():
        return None, f"{path} exists already: choose another name"
    if path.parent != default.parent and not path.parent.is_dir():
        return None, f"There is no directory {path.parent}: create it, or choose another"
    problem = directory_problem(path)
    if problem is not None:
        return None, f"Cannot write there: {problem}"
    return path, None


class SavePathScreen(ModalScreen[Path | None]):
    """Dismisses with the path to write (Enter), or None (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="save_path.cancel", tooltip="Write nothing"),
    ]

    def __init__(self, title: str, default: Path) -> None:
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="save-path-dialog"):
            yield Label(one_line(self.title_text), id="save-path-title", markup=False)
            yield FormField("Write to", Input(str(self.default), id="save-path"), name="save-path")
            yield Label(
                f"Enter writes the file · a name alone goes in {self.default.parent} · Esc cancels",
                id="save-path-hint",
                markup=False,
            )
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    @on(Input.Changed, "#save-path")
    def _typed(self) -> None:
        self.query_one(FormField).set_error(None)

    @on(Input.Submitted, "#save-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path, problem = chosen_path(event.value, self.default)
        if path is None:
            self.query_one(FormField).set_error(problem)
        else:
            self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
