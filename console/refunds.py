"""Refund arithmetic, UI-free: what was paid, what was refunded so far, what remains.

`RefundFigures` says it of one payment; `check_refund_amount` refuses, before anything
is sent, an amount the currency does not allow or one above what remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from console import money
from console.api.models import Payment
from console.display import amount_text
from console.entries import JournalEntry
from console.safe_text import one_line


@dataclass(frozen=True)
class RefundFigures:
    """A payment and how much of it was refunded.

    `refunded` is the API's `amount_refunded`; an API that does not give it falls back to
    the refunds this console's journal recorded as succeeded (`from_journal` is then True).
    """

    payment: Payment
    refunded: Decimal
    from_journal: bool = False

    @classmethod
    def of(cls, payment: Payment, journal_refunds: Sequence[JournalEntry]) -> RefundFigures:
        if payment.amount_refunded is not None:
            return cls(payment, payment.amount_refunded)
        refunded = sum(
            (
                entry.amount
                for entry in journal_refunds
                if entry.status == "succeeded" and entry.amount is not None
            ),
            Decimal(0),
        )
        return cls(payment, refunded, from_journal=True)

    @property
    def currency(self) -> str:
        return self.payment.currency

    @property
    def remaining(self) -> Decimal:
        """What can still be refunded: nothing of a payment that did not succeed."""
        if self.payment.status != "succeeded":
            return Decimal(0)
        return max(self.payment.amount - self.refunded, Decimal(0))

    def after(self, refunded_now: Decimal) -> RefundFigures:
        """The figures once a refund of `refunded_now` succeeded."""
        return RefundFigures(self.payment, self.refunded + refunded_now, self.from_journal)

    def show(self, amount: Decimal) -> str:
        """An amount of this payment's currency as the merchant reads it: 'USD 50.00'."""
        return one_line(amount_text(amount, self.currency))

    def blocked(self) -> str | None:
        """Why nothing can be refunded at all (a failed or fully refunded payment), or None."""
        payment = self.payment
        shown_id = one_line(payment.id)
        if payment.status == "failed":
            return f"Payment {shown_id} failed, so there is nothing to refund."
        if payment.status != "succeeded":
            return (
                f"Payment {shown_id} is {one_line(payment.status)}: "
                "only a succeeded payment is refunded."
            )
        if self.remaining <= 0:
            return (
                f"Payment {shown_id} has already been fully refunded ({self.show(self.refunded)})."
            )
        return None

    def remaining_text(self) -> str:
        """The remaining amount as the amount field is pre-filled with it: '100.00'."""
        return format(money.quantize(self.remaining, self.currency), "f")

    def confirmation(self, amount: Decimal) -> str:
        """'Refund USD 50.00 of pay_123 (paid USD 100.00, refunded so far USD 0.00)'."""
        return (
            f"Refund {self.show(amount)} of {one_line(self.payment.id)} "
            f"(paid {self.show(self.payment.amount)}, "
            f"refunded so far {self.show(self.refunded)})"
        )


def check_refund_amount(text: str, figures: RefundFigures) -> Decimal:
    """The amount typed, checked against the currency's decimals and what remains.

    Raises `money.AmountError` with a sentence for the merchant.
    """
    blocked = figures.blocked()
    if blocked is not None:
        raise money.AmountError(blocked)
    amount = money.parse_amount(text, figures.currency)
    if amount > figures.remaining:
        raise money.AmountError(f"More than the {figures.show(figures.remaining)} left to refund")
    return amount
