"""The history filter as SQL: what a typed word matches, and one profile's entries.

`filter_text` is split on whitespace and every word must match one of: a payment /
object id (substring), the status or kind (exact, or as soon as its start is typed:
"fail" finds failed), the currency (exact), the amount (prefix, "10.5" matches 10.50) or
the operator who sent it (exact, any case: "alice").
Each function returns a WHERE clause (or '') and its parameters, `?`-style.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from console.entries import KINDS, STATUSES


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where(
    filter_text: str, profile: str | None = None, *, before_id: int | None = None
) -> tuple[str, list[Any]]:
    """The entries matching `filter_text` (of `profile`, unless None; older than the
    entry `before_id`, unless None)."""
    clauses: list[str] = []
    params: list[Any] = []
    if profile is not None:
        clauses.append("profile = ?")
        params.append(profile)
    if before_id is not None:
        clauses.append("id < ?")
        params.append(before_id)
    for word in filter_text.split():
        options, word_params = _word(word)
        clauses.append("(" + " OR ".join(options) + ")")
        params += word_params
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _word(word: str) -> tuple[list[str], list[Any]]:
    lowered = word.lower()
    substring = f"%{escape_like(word)}%"
    options = ["payment_id LIKE ? ESCAPE '\\'", "object_id LIKE ? ESCAPE '\\'"]
    params: list[Any] = [substring, substring]
    for column, names in (("status", STATUSES), ("kind", KINDS)):
        for name in names:
            if name.startswith(lowered):
                options.append(f"{column} = ?")
                params.append(name)
    options.append("lower(operator) = ?")
    params.append(lowered)
    if len(word) == 3 and word.isalpha():
        options.append("currency = ?")
        params.append(word.upper())
    number = word.replace(",", "")
    try:
        Decimal(number)
    except InvalidOperation:
        pass
    else:
        if number[:1].isdigit() or number[:1] == ".":
            options.append("amount LIKE ? ESCAPE '\\'")
            params.append(f"{escape_like(number)}%")
    return options, params


def unknown_where(profile: str | None) -> tuple[str, list[Any]]:
    """The WHERE clause of unknown-outcome entries (of `profile`, unless None)."""
    if profile is None:
        return " WHERE status = 'unknown'", []
    return " WHERE profile = ? AND status = 'unknown'", [profile]
