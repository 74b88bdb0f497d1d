"""What the payment page (and its receipt) says of one payment, UI-free.

The API's payment object has its amount, status, description and what was refunded; it
does not say which token paid it, nor why a card was declined. This console's journal
does, for the payments taken from it: the request's source, and a refusal's answer (the
API's message and its decline code). The refunds listed are those sent from this
console: the API has no endpoint that lists a payment's refunds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.api.models import Payment, Refund
from console.entries import JournalEntry
from console.refunds import RefundFigures


@dataclass(frozen=True)
class PaymentFacts:
    """One payment as the API gives it, with what this console's journal adds."""

    payment: Payment
    refunds: tuple[JournalEntry, ...] = ()
    """The refunds of it sent from this console, newest first."""
    entry: JournalEntry | None = None
    """The journal's entry of the payment, when it was taken from this console."""
    refund: Refund | None = None
    """The refund the merchant looked up (Find with a refund ID), if any."""

    @classmethod
    def of(
        cls,
        payment: Payment,
        refunds: Sequence[JournalEntry],
        entry: JournalEntry | None,
        refund: Refund | None = None,
    ) -> PaymentFacts:
        return cls(payment, tuple(refunds), entry, refund)

    @property
    def figures(self) -> RefundFigures:
        """Paid, refunded so far, remaining."""
        return RefundFigures.of(self.payment, self.refunds)

    @property
    def from_console(self) -> bool:
        return self.entry is not None

    @property
    def source(self) -> str | None:
        """The payment token it was paid with (known when it was taken from here)."""
        return self.entry.source if self.entry is not None else None

    @property
    def decline_reason(self) -> str | None:
        """The API's message when it declined the card ("Your card has expired.")."""
        if self.payment.status != "failed" or self.entry is None:
            return None
        return self.entry.error

    @property
    def decline_code(self) -> str | None:
        """The API's decline code ("expired_card") of a failed payment."""
        if self.payment.status != "failed" or self.entry is None:
            return None
        return self.entry.decline_code
