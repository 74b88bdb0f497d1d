"""A payment's details: `c` copies its ID, `r` refunds it."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.widgets import LoadingIndicator

from console.api.models import Payment
from console.error_text import describe_error
from console.journal import JournalEntry
from console.screens.base import ConsoleScreen
from console.widgets.panels import ErrorPanel
from console.widgets.payment import PaymentDetails

LOAD = "load-payment"


async def fetch_payment(
    screen: ConsoleScreen[Any], payment_id: str, payment: Payment | None = None
) -> tuple[Payment, list[JournalEntry]]:
    """The payment from the API (unless already given) and this console's refunds of it."""
    ctx = screen.ctx
    if payment is None:
        payment = await ctx.require_client().get_payment(payment_id)
    refunds = await asyncio.to_thread(ctx.journal.refunds_for, payment.id)
    return payment, refunds


class PaymentDetailScreen(ConsoleScreen[None]):
    """Shows one payment; reloads it whenever it comes back into view (after a refund)."""

    SCREEN_TITLE = "Payment"

    def __init__(self, payment_id: str, payment: Payment | None = None) -> None:
        super().__init__()
        self.payment_id = payment_id
        self._given = payment

    @property
    def shown_payment_id(self) -> str | None:
        return self.payment_id

    def compose_body(self) -> ComposeResult:
        yield ErrorPanel(id="detail-error")
        yield LoadingIndicator(id="detail-loading")
        yield PaymentDetails(id="detail")

    def on_mount(self) -> None:
        self.query_one(PaymentDetails).display = False

    def on_screen_resume(self) -> None:
        given, self._given = self._given, None
        self.load(given)

    @work(exclusive=True, group=LOAD, exit_on_error=False)
    async def load(self, payment: Payment | None) -> None:
        self.query_one("#detail-loading").display = True
        try:
            payment, refunds = await fetch_payment(self, self.payment_id, payment)
        except Exception as error:
            self.query_one("#detail-loading").display = False
            self.query_one(ErrorPanel).show_message(*describe_error(error))
            return
        self.query_one("#detail-loading").display = False
        self.query_one(ErrorPanel).clear()
        details = self.query_one(PaymentDetails)
        details.show(payment, refunds, self.ctx.display_tz)
        details.focus()
