"""The cells of a journal entry in a table, and the columns of the home's and the
history's tables.

A journal's text (IDs, keys, descriptions, the API's error messages) is drawn as one line
through `safe_text.one_line`, and as `Text`, which a table measures but never reads as
markup: no control character reaches the terminal, a pasted key shows masked, a `[/]`
is text.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.content import Content

from console.display import amount_text
from console.entries import JournalEntry
from console.safe_text import one_line
from console.widgets.entry_table import CellMaker, Column
from console.widgets.panels import status_content

KEY_LENGTH = 8
"""Characters of the idempotency key shown (enough to tell keys apart by eye)."""


def short_key(key: str) -> str:
    return key[:KEY_LENGTH] + ("…" if len(key) > KEY_LENGTH else "")


def time_zone_name(tz: tzinfo | None, moment: datetime) -> str:
    """'UTC', 'CET'... of `tz` (None: this machine's) at `moment`."""
    return moment.astimezone(tz).tzname() or ""


def time_label(tz: tzinfo | None, moment: datetime) -> str:
    """'Time (UTC)': the times below are in that zone (as it is named at `moment`)."""
    zone = time_zone_name(tz, moment)
    return f"Time ({zone})" if zone else "Time"


def full_time(tz: tzinfo | None) -> CellMaker:
    return lambda entry: f"{entry.created_at.astimezone(tz):%Y-%m-%d %H:%M:%S}"


def short_time(tz: tzinfo | None) -> CellMaker:
    """The time without the year or seconds: '02 Mar 14:31'."""
    return lambda entry: f"{entry.created_at.astimezone(tz):%d %b %H:%M}"


def kind_cell(entry: JournalEntry) -> Text:
    return Text(one_line(entry.kind))


def payment_cell(entry: JournalEntry) -> Text:
    return Text(one_line(entry.payment_id or "") or "—")


def amount_cell(entry: JournalEntry) -> Text:
    return Text(one_line(amount_text(entry.amount, entry.currency)), justify="right")


def status_cell(entry: JournalEntry) -> Content:
    return status_content(entry.status)


def key_cell(entry: JournalEntry) -> Text:
    return Text(short_key(one_line(entry.idempotency_key)))


def details_cell(entry: JournalEntry) -> Text:
    return Text(one_line(entry.details))


def entry_columns(tz: tzinfo | None, moment: datetime, *, key: bool = False) -> tuple[Column, ...]:
    """Time, kind, payment, amount, status, (the short idempotency `key`,) and details
    (the description, or a failure's reason), which give way in the order key, details,
    kind, time."""
    return (
        Column(time_label(tz, moment), (full_time(tz), short_time(tz)), gives_way=4),
        Column("Kind", (kind_cell,), gives_way=3),
        Column("Payment", (payment_cell,)),
        Column(Text("Amount", justify="right"), (amount_cell,)),
        Column("Status", (status_cell,)),
        *([Column("Key", (key_cell,), gives_way=1)] if key else []),
        Column("Details", (details_cell,), gives_way=2, flexible=True),
    )
