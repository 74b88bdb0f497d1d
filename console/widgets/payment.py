"""`PaymentDetails`: the payment page's body, drawn from `PaymentFacts`.

The API's payment (amount, status, time, description), the token it was paid with and a
decline's reason and code (known for payments taken from this console), what was refunded
against the amount drawn as a bar, and the refunds sent from this console.

Every text from the API or the journal (IDs, currency, description, the decline's
message) is drawn as one line through `safe_text.one_line`: no control character
reaches the terminal, and a key pasted into a field shows masked.
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from console.display import amount_text, local_time
from console.safe_text import one_line
from console.widgets.panels import status_content

if TYPE_CHECKING:
    from console.api.models import Refund
    from console.entries import JournalEntry
    from console.payment_facts import PaymentFacts
    from console.refunds import RefundFigures

LABEL_WIDTH = 14
BAR_WIDTH = 20

NOT_FROM_HERE = "not taken from this console"
ELSEWHERE_NOTE = "Refunds made elsewhere count in Refunded; the API cannot list them."


def _row(label: str, value: str | Content) -> Content:
    return Content.assemble((label.ljust(LABEL_WIDTH), "$text-muted"), value)


def _muted(text: str) -> Content:
    return Content.styled(text, "$text-muted")


def bar_cells(refunded: Decimal, amount: Decimal, width: int = BAR_WIDTH) -> int:
    """How many of `width` cells are refunded: at least one once anything was refunded,
    all of them only when everything was."""
    if amount <= 0 or refunded <= 0:
        return 0
    if refunded >= amount:
        return width
    share = refunded * width / amount
    cells = share.to_integral_value(ROUND_CEILING if share < 1 else ROUND_FLOOR)
    return min(int(cells), width - 1)


def refund_bar(figures: RefundFigures) -> Content:
    """'█████░░░░░░░░░░░░░░░ USD 25.00 of USD 100.00' (refunded so far of the amount)."""
    payment = figures.payment
    filled = bar_cells(figures.refunded, payment.amount)
    return Content.assemble(
        ("█" * filled, "$warning"),
        ("░" * (BAR_WIDTH - filled), "$text-muted"),
        f" {figures.show(figures.refunded)} of {figures.show(payment.amount)}",
    )


def _decline_rows(facts: PaymentFacts) -> list[Content]:
    if not facts.from_console:
        return [_row("Declined", _muted(f"the API gives no reason ({NOT_FROM_HERE})"))]
    return [
        _row("Declined", Content.styled(one_line(facts.decline_reason or "—"), "$text-error")),
        _row("Decline code", one_line(facts.decline_code or "—")),
    ]


def _refund_rows(figures: RefundFigures) -> list[Content]:
    if figures.payment.status != "succeeded":
        return []
    refunded = refund_bar(figures)
    if figures.from_journal:
        refunded = Content.assemble(refunded, _muted(" (by this console)"))
    return [
        _row("Refunded", refunded),
        _row("Remaining", Content.styled(figures.show(figures.remaining), "bold")),
    ]


def _looked_up(refund: Refund, facts: PaymentFacts) -> Content:
    """The refund Find was asked for, above its payment."""
    amount = facts.figures.show(refund.amount)
    return _row(
        "Refund",
        Content.assemble(
            (one_line(refund.id), "bold"),
            f"  {amount}  ",
            status_content(refund.status),
        ),
    )


def payment_content(facts: PaymentFacts, tz: tzinfo | None) -> Content:
    payment = facts.payment
    rows = [_looked_up(facts.refund, facts)] if facts.refund is not None else []
    rows += [
        _row(
            "Payment ID",
            Content.assemble((one_line(payment.id), "bold"), "  ", status_content(payment.status)),
        ),
        _row("Amount", one_line(amount_text(payment.amount, payment.currency))),
        _row("Created", local_time(payment.created_at, tz)),
        _row("Description", one_line(payment.description or "") or "—"),
        _row(
            "Paid with", one_line(facts.source) if facts.source else _muted(f"— ({NOT_FROM_HERE})")
        ),
    ]
    if payment.status == "failed":
        rows += _decline_rows(facts)
    rows += _refund_rows(facts.figures)
    return Content("\n").join(rows)


def _refund_line(entry: JournalEntry, tz: tzinfo | None, looked_up: str | None) -> Content:
    """One refund sent from this console; the one Find was asked for stands out."""
    refund_id = one_line(entry.object_id or f"journal #{entry.id}")
    return Content.assemble(
        (refund_id, "bold reverse" if refund_id == looked_up else ""),
        " " * max(2, LABEL_WIDTH - len(refund_id)),
        one_line(amount_text(entry.amount, entry.currency)),
        "  ",
        status_content(entry.status),
        "  ",
        (local_time(entry.created_at, tz, seconds=False), "$text-muted"),
    )


def refunds_content(facts: PaymentFacts, tz: tzinfo | None) -> Content:
    """The refunds sent from this console, and why no others are listed."""
    looked_up = one_line(facts.refund.id) if facts.refund is not None else None
    lines = [Content.styled("Refunds sent from this console", "bold")]
    lines += [_refund_line(entry, tz, looked_up) for entry in facts.refunds] or [_muted("None")]
    lines.append(_muted(ELSEWHERE_NOTE))
    return Content("\n").join(lines)


class PaymentDetails(Vertical, can_focus=True):
    """Focusable, so `c` and `r` act on it while it has the focus."""

    DEFAULT_CLASSES = "payment-details"

    def compose(self) -> ComposeResult:
        yield Static("", classes="payment-fields")
        yield Static("", classes="payment-refunds")

    def show(self, facts: PaymentFacts, tz: tzinfo | None) -> None:
        """The payment; its refunds too, unless it never succeeded (nothing to refund)."""
        self.query_one(".payment-fields", Static).update(payment_content(facts, tz))
        refunds = self.query_one(".payment-refunds", Static)
        refunds.update(refunds_content(facts, tz))
        refunds.display = facts.payment.status == "succeeded" or bool(facts.refunds)
        self.display = True
