"""`FilterInput`: a filter field where escape first clears the filter, then goes back."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Input


class FilterInput(Input):
    """An Input for filtering a list as you type. Escape with text in it clears the text
    (the list shows everything again) and keeps the focus here; escape on an empty field
    does what escape does elsewhere (the app's Back). The footer says which."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "clear_filter", "Clear filter", id="filter.clear", tooltip="Show every row"
        ),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Clearing only while there is text: otherwise escape passes on (to Back)."""
        if action == "clear_filter":
            return bool(self.value)
        return super().check_action(action, parameters)

    @on(Input.Changed)
    def _empty_or_not(self) -> None:
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        self.value = ""
