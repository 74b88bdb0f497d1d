"""Small display widgets: the error panel, a status badge, a field with its error line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Label, Static

from console.widgets.errors import describe_error


def status_content(status: str) -> Content:
    """A status word styled by meaning (works inside DataTable cells too)."""
    styles = {
        "succeeded": "$success",
        "pending": "$warning",
        "failed": "$error",
        "canceled": "$error",
        "unknown": "bold $error reverse",
    }
    return Content.styled(status.upper(), styles.get(status, ""))


class ErrorPanel(Static):
    """A titled error shown inline (hidden while empty)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="error-panel", markup=False)
        self.display = False

    def show_error(self, error: BaseException) -> None:
        self.show_message(*describe_error(error))

    def show_message(self, title: str, message: str) -> None:
        self.update(Content.assemble((title, "bold"), "\n", message))
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

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield self.control
        yield Label("", id=f"{self.field_name}-error", classes="field-error")

    def set_error(self, message: str | None) -> None:
        error = self.query_one(f"#{self.field_name}-error", Label)
        error.update(message or "")
        self.set_class(message is not None, "-invalid")
