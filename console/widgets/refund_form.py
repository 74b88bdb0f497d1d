"""`RefundSummary`: a payment's refund figures (`console.refunds.RefundFigures`) drawn:
paid, refunded so far, remaining; `RefundResult`: the refund just sent."""

from __future__ import annotations

from datetime import tzinfo

from textual.content import Content
from textual.widgets import Static

from console.api.models import Refund
from console.display import local_time
from console.refunds import RefundFigures
from console.safe_text import one_line
from console.widgets.panels import status_content

LABEL_WIDTH = 17


PAID_LABELS = {"succeeded": "Paid", "failed": "Declined", "pending": "Pending"}
"""The label of the amount line: a failed payment was never paid."""


def _row(label: str, value: str | Content) -> Content:
    return Content.assemble((label.ljust(LABEL_WIDTH), "$text-muted"), value)


def figures_content(figures: RefundFigures, tz: tzinfo | None) -> Content:
    """The summary; the API's texts (ID, currency, description) each drawn as one safe line
    (`RefundFigures.show` makes the amounts safe)."""
    payment = figures.payment
    refunded = figures.show(figures.refunded)
    if figures.from_journal:
        refunded = f"{refunded} (by this console; the API does not say)"
    rows = [
        _row(
            "Payment",
            Content.assemble((one_line(payment.id), "bold"), "  ", status_content(payment.status)),
        ),
        _row(
            PAID_LABELS.get(payment.status, "Amount"),
            f"{figures.show(payment.amount)} on {local_time(payment.created_at, tz)}",
        ),
        _row("Refunded so far", refunded),
        _row("Remaining", Content.styled(figures.show(figures.remaining), "bold")),
    ]
    description = one_line(payment.description or "")
    if description:
        rows.append(_row("Description", description))
    return Content("\n").join(rows)


class RefundSummary(Static):
    """The payment being refunded: paid, refunded so far, remaining (hidden until loaded)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.display = False

    def show(self, figures: RefundFigures, tz: tzinfo | None) -> None:
        self.update(figures_content(figures, tz))
        self.display = True

    def hide(self) -> None:
        self.update("")
        self.display = False


class RefundResult(Static):
    """'Refund sent', its ID and what remains now (hidden until a refund is sent)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.display = False

    def show(self, refund: Refund, after: RefundFigures) -> None:
        """`refund`, and the figures of its payment once it was made."""
        self.update(
            Content.assemble(
                ("Refund sent", "bold $success"),
                "\n",
                one_line(
                    f"{refund.id}: {after.show(refund.amount)} of {refund.payment_id} "
                    f"({refund.status}). Remaining now {after.show(after.remaining)}."
                ),
            )
        )
        self.display = True
