"""Small display widgets: the error panel, a status badge, a field with its error line.

Their text may come from the API or the journal: it is drawn through `safe_text` (no
control characters, keys masked) and as plain text, never as markup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Label, Static

from console.safe_text import for_terminal, one_line


def status_content(status: str) -> Content:
    """A status word styled by meaning (works inside DataTable cells too)."""
    styles = {
        "succeeded": "$success",
        "pending": "$warning",
        "failed": "$error",
        "canceled": "$error",
        "unknown": "bold $error reverse",
    }
    return Content.styled(one_line(status).upper(), styles.get(status, ""))


class ErrorPanel(Static):
    """A titled error shown inline (hidden while empty)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="error-panel", markup=False)
        self.display = False

    def show_message(self, title: str, message: str) -> None:
        """Every error a screen shows comes here: both texts are made safe to draw."""
        self.update(Content.assemble((one_line(title), "bold"), "\n", for_terminal(message)))
        self.display = True

    def clear(self) -> None:
        self.update("")
        self.display = False


class FormField(Vertical):
    """A label, its control and a line for the control's validation message."""

    DEFAULT_CLASSES = "form-field"

    def __init__(self, label: str, control: Widget, *, name: str) -> None:
        super().__init__(id=f"field-{name}")
        self.label = label
        self.control = control
        self.field_name = name
        self.error: str | None = None
        """The message shown under the control (None: none)."""

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield self.control
        yield Label("", id=f"{self.field_name}-error", classes="field-error")

    def set_error(self, message: str | None) -> None:
        self.error = message
        label = self.query_one(f"#{self.field_name}-error", Label)
        label.update(Content(for_terminal(message or "")))
        self.set_class(message is not None, "-invalid")
