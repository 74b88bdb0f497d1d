"""A searchable currency select: type a code or a name to jump to it."""

from __future__ import annotations

from iso4217 import Currency
from textual import events
from textual.widgets import Select

from console import money


def currency_options() -> list[tuple[str, str]]:
    """(prompt, code) for every currency payments can be made in, by code."""
    return [(f"{code}  {Currency(code).currency_name}", code) for code in money.currency_codes()]


class CurrencySelect(Select[str]):
    """A Select of ISO 4217 currencies; typing while closed opens it and searches.

    It consumes printable keys, so single-letter app bindings stay quiet while it has focus.
    """

    def __init__(self, value: str, *, id: str | None = None) -> None:
        super().__init__(currency_options(), value=value, allow_blank=False, id=id)

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return character is not None and character.isprintable()

    def on_key(self, event: events.Key) -> None:
        if self.expanded or event.character is None or not event.is_printable:
            return
        event.stop()
        event.prevent_default()
        self.action_show_overlay()
        overlay = self.query_one("SelectOverlay")
        # After the overlay has taken focus (which resets its search), replay the key.
        self.call_after_refresh(overlay.post_message, events.Key(event.key, event.character))
