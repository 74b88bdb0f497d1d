"""Find a payment by its ID, or a refund (shown on its payment's page) by its own."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Label, LoadingIndicator, Static

from console.api.errors import NotFoundError
from console.display import is_refund_id, object_id_error
from console.error_text import describe_error
from console.payment_facts import PaymentFacts
from console.screens.payment_detail import PaymentScreen, fetch_facts, receipt_binding
from console.widgets.inputs import IdInput
from console.widgets.panels import ErrorPanel, FormField
from console.widgets.payment import PaymentDetails

LOOKUP = "find-payment"

HINT = "Enter looks it up · tab to the payment: c copies its ID, r refunds it"


class FindPaymentScreen(PaymentScreen):
    """Type an ID (its shape is checked first), Enter fetches it: a payment, or a refund
    and its payment. The ID field keeps the focus, its text selected, so the next ID is
    typed straight over it; `/` goes back to it from anywhere on the screen.

    The payment shown is fetched again whenever the screen comes back into view (after
    a refund from here, say), as the payment detail screen does.
    """

    SCREEN_TITLE = "Find payment"

    BINDINGS: ClassVar[list[BindingType]] = [
        receipt_binding("find_payment"),
        Binding(
            "slash",
            "new_search",
            "New ID",
            id="find_payment.new_search",
            tooltip="Back to the ID field, its text selected",
            key_display="/",
            priority=True,
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.looked_up: str | None = None
        """The ID of what is shown (a payment's, or a refund's): reloads use it."""

    def compose_body(self) -> ComposeResult:
        yield FormField(
            "Payment or refund ID",
            IdInput(placeholder="e.g. pay_12345 or refund_12345", id="payment-id"),
            name="payment-id",
        )
        yield Label(HINT, id="find-hint")
        with Horizontal(id="find-progress", classes="progress-row"):
            yield LoadingIndicator()
            yield Label("Looking it up…")
        yield ErrorPanel(id="find-error")
        yield PaymentDetails(id="found")
        yield Static("", classes="receipt-path", markup=False)

    def on_mount(self) -> None:
        self.query_one("#find-progress").display = False
        self.query_one(PaymentDetails).display = False
        self.query_one(".receipt-path").display = False

    def on_screen_resume(self) -> None:
        if self.looked_up is not None and self.is_shown():
            self._start(self.looked_up, reload=True)

    def action_new_search(self) -> None:
        """The ID field, its text selected; focused at once (not after a refresh, as
        `focus()` does), so the key typed next goes into it."""
        field = self.query_one("#payment-id", IdInput)
        self.set_focus(field)
        field.select_all()

    @on(IdInput.Changed, "#payment-id")
    def _typed(self, event: IdInput.Changed) -> None:
        """Clear a message about the previous ID once the merchant edits it."""
        self.query_one(FormField).set_error(None)

    @on(IdInput.Submitted, "#payment-id")
    def _lookup(self, event: IdInput.Submitted) -> None:
        event.stop()
        problem = object_id_error(event.value)
        self.query_one(FormField).set_error(problem)
        if problem is None:
            self._start(event.value.strip(), reload=False)
        else:
            self.query_one(ErrorPanel).clear()  # the message under the field replaces it
            self.action_new_search()

    def _start(self, object_id: str, *, reload: bool) -> None:
        self.query_one(ErrorPanel).clear()
        self.query_one("#find-progress").display = True
        self.lookup(object_id, reload)

    @work(exclusive=True, group=LOOKUP, exit_on_error=False)
    async def lookup(self, object_id: str, reload: bool) -> None:
        """Fetch and show `object_id`, unless the merchant typed another ID meanwhile."""
        try:
            facts = await self._fetch(object_id)
        except Exception as error:
            self._not_shown(object_id, error)
            return
        self.query_one("#find-progress").display = False
        if object_id not in (self.query_one("#payment-id", IdInput).value.strip(), self.looked_up):
            return  # the merchant typed another ID meanwhile: this answer is stale
        self.looked_up = object_id
        self.show_facts(facts)
        if not reload:
            self.action_new_search()

    async def _fetch(self, object_id: str) -> PaymentFacts:
        """A payment's facts; for a refund ID, its payment's, the refund among them."""
        if not is_refund_id(object_id):
            return await fetch_facts(self, object_id)
        refund = await self.ctx.require_client().get_refund(object_id)
        facts = await fetch_facts(self, refund.payment_id)
        return PaymentFacts.of(facts.payment, facts.refunds, facts.entry, refund)

    def _not_shown(self, object_id: str, error: Exception) -> None:
        self.query_one("#find-progress").display = False
        self.looked_up = self.facts = None
        self.query_one(PaymentDetails).display = False
        self.query_one(".receipt-path").display = False
        self.refresh_bindings()
        field = self.query_one(FormField)
        if isinstance(error, NotFoundError):
            field.set_error("Refund not found" if is_refund_id(object_id) else "Payment not found")
        else:
            self.query_one(ErrorPanel).show_message(*describe_error(error))
        self.action_new_search()
