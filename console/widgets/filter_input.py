"""`FilterInput`: a filter field where escape first clears the filter, then goes back."""

from __future__ import annotations

from typing import ClassVar

from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.widgets import Input


class FilterInput(Input):
    """An Input for filtering a list as you type. Escape with text in it clears the text
    (the list shows everything again) and keeps the focus here; escape on an empty field
    does what escape does elsewhere (the app's Back)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=False, id="filter.clear"),
    ]

    def action_clear_filter(self) -> None:
        if not self.value:
            raise SkipAction  # the binding steps aside: the screen's or app's escape runs
        self.value = ""
