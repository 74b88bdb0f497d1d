"""Text fields with a focus rule of their own.

`FirstInput` is the field a form opens on: it takes the focus the moment it is mounted.
A screen's own focus (`on_mount`, `AUTO_FOCUS`) comes only once every widget of the form
is mounted, after the form is first drawn: a key typed in between went to the screen and
was lost ("12.34" became "2.34").

`IdInput` is a payment or refund ID field: `/` (which no ID contains) is left to the
screen's bindings, which start a new search with it.
"""

from __future__ import annotations

from textual.widgets import Input


class FirstInput(Input):
    """The field a form opens on: focused as soon as it is mounted."""

    def on_mount(self) -> None:
        self.screen.set_focus(self)


class IdInput(FirstInput):
    """A payment or refund ID: `/` is not typed into it but left to the screen."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character != "/" and super().check_consume_key(key, character)
