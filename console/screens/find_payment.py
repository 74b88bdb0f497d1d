"""Find a payment by its ID."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, LoadingIndicator

from console.api.errors import NotFoundError
from console.api.models import Payment
from console.display import payment_id_error
from console.error_text import describe_error
from console.screens.base import ConsoleScreen
from console.screens.payment_detail import fetch_payment
from console.widgets.panels import ErrorPanel, FormField
from console.widgets.payment import PaymentDetails

LOOKUP = "find-payment"


class FindPaymentScreen(ConsoleScreen[None]):
    """Type an ID (its `pay_` shape is checked first), Enter fetches it.

    The payment shown is fetched again whenever the screen comes back into view (after
    a refund from here, say), as the payment detail screen does.
    """

    SCREEN_TITLE = "Find payment"

    def __init__(self) -> None:
        super().__init__()
        self.shown: Payment | None = None

    @property
    def shown_payment_id(self) -> str | None:
        return self.shown.id if self.shown is not None else None

    def compose_body(self) -> ComposeResult:
        yield FormField(
            "Payment ID", Input(placeholder="pay_...", id="payment-id"), name="payment-id"
        )
        with Horizontal(id="find-progress", classes="progress-row"):
            yield LoadingIndicator()
            yield Label("Looking it up…")
        yield ErrorPanel(id="find-error")
        yield PaymentDetails(id="found")

    def on_mount(self) -> None:
        self.query_one("#find-progress").display = False
        self.query_one(PaymentDetails).display = False
        self.query_one("#payment-id", Input).focus()

    def on_screen_resume(self) -> None:
        if self.shown is not None:
            self._start(self.shown.id, reload=True)

    @on(Input.Changed, "#payment-id")
    def _typed(self, event: Input.Changed) -> None:
        """Clear a message about the previous ID once the merchant edits it."""
        self.query_one(FormField).set_error(None)

    @on(Input.Submitted, "#payment-id")
    def _lookup(self, event: Input.Submitted) -> None:
        event.stop()
        problem = payment_id_error(event.value)
        self.query_one(FormField).set_error(problem)
        if problem is None:
            self._start(event.value.strip(), reload=False)

    def _start(self, payment_id: str, *, reload: bool) -> None:
        self.query_one(ErrorPanel).clear()
        self.query_one("#find-progress").display = True
        self.lookup(payment_id, reload)

    @work(exclusive=True, group=LOOKUP, exit_on_error=False)
    async def lookup(self, payment_id: str, reload: bool) -> None:
        """Fetch and show `payment_id`, unless the merchant typed another ID meanwhile."""
        try:
            payment, refunds = await fetch_payment(self, payment_id)
        except Exception as error:
            self._not_shown(error)
            return
        self.query_one("#find-progress").display = False
        if payment_id not in (
            self.query_one("#payment-id", Input).value.strip(),
            self.shown_payment_id,
        ):
            return  # the merchant typed another ID meanwhile: this answer is stale
        self.shown = payment
        details = self.query_one(PaymentDetails)
        details.show(payment, refunds, self.ctx.display_tz)
        if not reload:
            details.focus()
        self.refresh_bindings()

    def _not_shown(self, error: Exception) -> None:
        self.query_one("#find-progress").display = False
        self.shown = None
        self.query_one(PaymentDetails).display = False
        self.refresh_bindings()
        field = self.query_one(FormField)
        if isinstance(error, NotFoundError):
            field.set_error("Payment not found")
        else:
            self.query_one(ErrorPanel).show_message(*describe_error(error))
        self.query_one("#payment-id", Input).focus()
