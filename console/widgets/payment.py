"""`PaymentDetails`: a payment as the API gives it, with the refunds this console sent.

Every text from the API or the journal (IDs, currency, description) is drawn as one
line through `safe_text.one_line`: no control character reaches the terminal, and a
key pasted into a field shows masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from console.display import amount_text, local_time
from console.safe_text import one_line
from console.widgets.panels import status_content

if TYPE_CHECKING:
    from console.api.models import Payment
    from console.entries import JournalEntry

LABEL_WIDTH = 14


def _row(label: str, value: str | Content) -> Content:
    return Content.assemble((label.ljust(LABEL_WIDTH), "$text-muted"), value)


def payment_content(payment: Payment, tz: tzinfo | None) -> Content:
    rows = [
        _row("Payment ID", Content.styled(one_line(payment.id), "bold")),
        _row("Amount", one_line(amount_text(payment.amount, payment.currency))),
        _row("Currency", one_line(payment.currency)),
        _row("Status", status_content(payment.status)),
        _row("Created", local_time(payment.created_at, tz)),
        _row("Description", one_line(payment.description or "") or "—"),
    ]
    if payment.amount_refunded is not None:
        refunded = amount_text(payment.amount_refunded, payment.currency)
        if payment.status == "succeeded":
            left = amount_text(
                max(payment.amount - payment.amount_refunded, Decimal(0)), payment.currency
            )
            refunded = f"{refunded} (remaining {left})"
        rows.append(_row("Refunded", one_line(refunded)))
    return Content("\n").join(rows)


def refunds_content(refunds: Sequence[JournalEntry], tz: tzinfo | None) -> Content:
    title = Content.styled("Refunds sent from this console", "bold")
    if not refunds:
        return Content.assemble(title, "\n", ("None", "$text-muted"))
    lines = [title]
    for entry in refunds:
        lines.append(
            Content.assemble(
                one_line(entry.object_id or f"journal #{entry.id}").ljust(LABEL_WIDTH + 6),
                one_line(amount_text(entry.amount, entry.currency)).rjust(14),
                "  ",
                status_content(entry.status),
                "  ",
                (local_time(entry.created_at, tz), "$text-muted"),
            )
        )
    return Content("\n").join(lines)


class PaymentDetails(Vertical, can_focus=True):
    """Focusable, so `c` and `r` act on it while it has the focus."""

    DEFAULT_CLASSES = "payment-details"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.payment: Payment | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="payment-fields")
        yield Static("", classes="payment-refunds")

    def show(self, payment: Payment, refunds: Sequence[JournalEntry], tz: tzinfo | None) -> None:
        self.payment = payment
        self.query_one(".payment-fields", Static).update(payment_content(payment, tz))
        self.query_one(".payment-refunds", Static).update(refunds_content(refunds, tz))
        self.display = True
