"""A searchable currency select: type a code or a name to pick it."""

from __future__ import annotations

from functools import cache
from time import monotonic

from iso4217 import Currency
from textual import events
from textual.widgets import Select

from console import money

SEARCH_RESET_SECONDS = 1.0
"""A pause longer than this starts a new search."""


@cache
def currency_options() -> tuple[tuple[str, str], ...]:
    """(prompt, code) for every currency payments can be made in, by code."""
    return tuple(
        (f"{code}  {Currency(code).currency_name}", code) for code in money.currency_codes()
    )


def find_currency(query: str) -> str | None:
    """The code that starts with `query`, else the first whose name contains it."""
    wanted = query.strip().upper()
    if not wanted:
        return None
    codes = [code for _, code in currency_options()]
    for code in codes:
        if code.startswith(wanted):
            return code
    for prompt, code in currency_options():
        if wanted in prompt.upper():
            return code
    return None


class CurrencySelect(Select[str]):
    """A Select of ISO 4217 currencies. Typing while it is closed picks the best match
    at once ("eur", "yen", "swiss"); Enter or the arrows open the full list, which has
    its own type-to-search.

    It consumes printable keys, so single-letter app bindings stay quiet while it has focus.
    """

    def __init__(self, value: str, *, id: str | None = None) -> None:
        super().__init__(currency_options(), value=value, allow_blank=False, id=id)
        self._query = ""
        self._typed_at = 0.0

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return character is not None and character.isprintable()

    def on_key(self, event: events.Key) -> None:
        if self.expanded or event.character is None or not event.is_printable:
            return
        event.stop()
        event.prevent_default()
        now = monotonic()
        if now - self._typed_at > SEARCH_RESET_SECONDS:
            self._query = ""
        self._typed_at = now
        self._query += event.character
        found = find_currency(self._query)
        if found is not None:
            self.value = found
