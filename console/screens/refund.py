"""Refund a payment from the keyboard.

From the home screen a full refund is `r`, the payment ID, Enter (loads the payment and
pre-fills the amount with what remains), Enter (asks for confirmation), `y`. A partial
amount is typed over the pre-filled one. Amounts are checked against the currency's
decimals and the remaining amount before anything is sent; in live mode the merchant
types the amount again to confirm. Refunds go through `Operations.create_refund`, so the
journal records them; a refund whose outcome is unknown is re-sent with its idempotency
key when the merchant confirms it again.

A new outcome replaces the old one: a refund sent hides the last error, an error (or a
mistake typed in the amount) hides the last "Refund sent". Once a refund was sent from
here, escape goes home.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, LoadingIndicator

from console import money
from console.api.errors import InvalidRequestError, NotFoundError
from console.api.models import Refund, RefundCreate
from console.display import local_time, payment_id_error
from console.error_text import describe_error
from console.outcomes import OperationFailed
from console.refunds import RefundFigures, check_refund_amount
from console.safe_text import one_line
from console.screens.base import ConsoleScreen
from console.screens.confirm import ResendConfirmScreen, refund_question
from console.screens.payment_detail import fetch_facts, go_home
from console.widgets.inputs import FirstInput
from console.widgets.panels import ErrorPanel, FormField
from console.widgets.refund_form import RefundResult, RefundSummary

LOAD = "refund-load"
ASK = "refund-ask"
SEND = "refund-send"

STALE_CODES = frozenset({"amount_invalid", "charge_already_refunded", "payment_failed"})
"""Server refusals that may mean the payment changed since it was loaded: reload it."""

AMOUNT_HINT = "Enter refunds all that remains; type a smaller amount for a partial one."


class RefundScreen(ConsoleScreen[None]):
    """Refund a payment: asks for its ID first when none is given."""

    SCREEN_TITLE = "Refund"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "submit",
            "Refund",
            id="refund.submit",
            tooltip="Check the amount and ask for confirmation (Enter in the amount field)",
        ),
        Binding(
            "ctrl+l",
            "reload",
            "Reload payment",
            id="refund.reload",
            tooltip="Fetch the payment again (refunded so far, remaining)",
        ),
        Binding(
            "escape",
            "home",
            "Home",
            id="refund.home",
            tooltip="After a refund sent from here: back to the home screen",
        ),
    ]

    def __init__(self, payment_id: str | None = None) -> None:
        super().__init__()
        self.payment_id = payment_id
        self.figures: RefundFigures | None = None
        self._sending = False
        self._sent_any = False
        self._load_error_shown = False
        """The error panel shows why the last load failed: a new load clears it."""

    @property
    def shown_payment_id(self) -> str | None:
        return self.figures.payment.id if self.figures is not None else None

    @property
    def leave_refusal(self) -> str | None:
        if self._sending:
            return "The refund is being sent: wait for its result before leaving this screen."
        return None

    def compose_body(self) -> ComposeResult:
        yield FormField(
            "Payment ID",
            FirstInput(
                value=self.payment_id or "", placeholder="e.g. pay_12345", id="refund-payment-id"
            ),
            name="refund-payment-id",
        )
        with Horizontal(id="refund-progress", classes="progress-row"):
            yield LoadingIndicator()
            yield Label("", id="refund-progress-text", markup=False)
        yield RefundSummary(id="refund-summary")
        yield FormField(
            "Amount to refund",
            Input(placeholder="e.g. 25.00", id="refund-amount", disabled=True),
            name="refund-amount",
        )
        yield Label(AMOUNT_HINT, id="refund-hint")
        yield ErrorPanel(id="refund-error")
        yield RefundResult(id="refund-result")

    def on_mount(self) -> None:
        self.query_one("#refund-progress").display = False
        self.query_one("#refund-hint").display = False
        self._field("refund-amount").display = False
        if self.payment_id:  # else the ID field has the focus (a FirstInput)
            self._load(self.payment_id, keep_amount=False)

    # --- loading the payment -----------------------------------------------------

    @on(Input.Submitted, "#refund-payment-id")
    def _id_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._load(event.value.strip(), keep_amount=False)

    @on(Input.Changed, "#refund-payment-id")
    def _id_changed(self, event: Input.Changed) -> None:
        self._field("refund-payment-id").set_error(None)
        if self.figures is not None and event.value.strip() != self.figures.payment.id:
            self._forget_payment()

    def action_reload(self) -> None:
        payment_id = self.query_one("#refund-payment-id", Input).value.strip()
        self._load(payment_id, keep_amount=True)

    def _load(self, payment_id: str, *, keep_amount: bool) -> None:
        problem = payment_id_error(payment_id)
        self._field("refund-payment-id").set_error(problem)
        if problem is not None:
            self._clear_outcome()
            self.query_one("#refund-payment-id", Input).focus()
            return
        if self._load_error_shown:
            self.query_one(ErrorPanel).clear()
            self._load_error_shown = False
        self._progress(f"Loading {payment_id}…")
        self.load(payment_id, keep_amount)

    @work(exclusive=True, group=LOAD, exit_on_error=False)
    async def load(self, payment_id: str, keep_amount: bool) -> None:
        """Fetch the payment and show it, unless the merchant typed another ID meanwhile."""
        try:
            facts = await fetch_facts(self, payment_id)
        except Exception as error:
            self._load_failed(error)
            return
        self._progress(None)
        if payment_id != self.query_one("#refund-payment-id", Input).value.strip():
            return  # the merchant typed another ID meanwhile: this answer is stale
        self.figures = facts.figures
        self.query_one(RefundSummary).show(self.figures, self.ctx.display_tz)
        self.refresh_bindings()
        if not keep_amount:
            self.query_one(ErrorPanel).clear()
        self._prepare_amount(keep_amount=keep_amount)

    def _load_failed(self, error: Exception) -> None:
        self._progress(None)
        if isinstance(error, NotFoundError):
            self._forget_payment()
            self._field("refund-payment-id").set_error("Payment not found")
        else:
            self._show_problem(*describe_error(error))
            self._load_error_shown = True
        if self.figures is None:
            self.query_one("#refund-payment-id", Input).focus()

    def _prepare_amount(self, *, keep_amount: bool) -> None:
        """Enable the amount field (pre-filled with what remains) or say why not."""
        assert self.figures is not None
        amount = self.query_one("#refund-amount", Input)
        field = self._field("refund-amount")
        field.query_one(".field-label", Label).update(f"Amount to refund ({self.figures.currency})")
        blocked = self.figures.blocked()
        amount.disabled = blocked is not None
        field.display = blocked is None
        self.query_one("#refund-hint").display = blocked is None
        if blocked is not None:
            if not keep_amount:
                amount.value = ""
            field.set_error(None)
            self._show_problem("Nothing to refund", blocked)
            self._load_error_shown = True
            self.query_one("#refund-payment-id", Input).focus()
            return
        if not keep_amount or not amount.value.strip():
            amount.value = self.figures.remaining_text()
        self._check_amount(amount.value)
        amount.focus()

    def _forget_payment(self) -> None:
        self.figures = None
        self.query_one(RefundSummary).hide()
        self.query_one(RefundResult).display = False
        self.query_one("#refund-amount", Input).disabled = True
        self.query_one("#refund-hint").display = False
        self._field("refund-amount").set_error(None)
        self._field("refund-amount").display = False
        self.refresh_bindings()

    # --- the amount --------------------------------------------------------------

    @on(Input.Changed, "#refund-amount")
    def _amount_changed(self, event: Input.Changed) -> None:
        if self.figures is not None and not event.input.disabled:
            self._check_amount(event.value, typed=True)

    def _check_amount(self, text: str, *, typed: bool = False) -> Decimal | None:
        """The amount typed, or None with the reason shown under the field; a mistake
        `typed` replaces the last outcome shown (a refund sent, an error)."""
        assert self.figures is not None
        try:
            amount = check_refund_amount(text, self.figures)
        except money.AmountError as exc:
            self._field("refund-amount").set_error(str(exc))
            self.query_one("#refund-hint").display = False
            self.query_one(RefundResult).display = False
            if typed:
                self._clear_outcome()
            return None
        self._field("refund-amount").set_error(None)
        self.query_one("#refund-hint").display = True
        return amount

    @on(Input.Submitted, "#refund-amount")
    def _amount_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return self.figures is not None and self.figures.blocked() is None
        if action == "home":
            return self._sent_any and not self._sending  # otherwise escape is the app's Back
        return True

    def action_home(self) -> None:
        go_home(self.app)

    def action_submit(self) -> None:
        """Check the amount, then ask for confirmation (a typed one in live mode)."""
        if self.figures is None or self._sending:
            return
        amount = self._check_amount(self.query_one("#refund-amount", Input).value)
        if amount is None:
            self.query_one("#refund-amount", Input).focus()
            return
        self.ask(self.figures, amount)

    @work(exclusive=True, group=ASK, exit_on_error=False)
    async def ask(self, figures: RefundFigures, amount: Decimal) -> None:
        """Confirm (a typed confirmation in live mode); when an identical refund has an
        unknown outcome, offer to settle it with its key or to send a new one."""
        ctx = self.ctx
        request = RefundCreate(payment_id=figures.payment.id, amount=amount)
        try:
            earlier = await ctx.operations().find_unsettled(request)
        except Exception as error:
            self.show_error(error)
            return
        message = figures.confirmation(amount)
        live = ctx.profile is not None and ctx.profile.mode == "live"
        when = None if earlier is None else local_time(earlier.created_at, ctx.display_tz)
        question = refund_question(message, amount, figures.currency, live=live, earlier_at=when)

        def typed_live(confirmed: bool | None) -> None:
            if confirmed:
                self._send(figures, request, None, fresh=True)

        def answered(confirmed: bool | None) -> None:
            if not confirmed:
                return
            if earlier is None:
                self._send(figures, request, None)
            elif not (isinstance(question, ResendConfirmScreen) and question.as_new):
                self._send(figures, request, earlier.idempotency_key)
            elif live:  # a new live refund still takes the typed confirmation
                self.app.push_screen(
                    refund_question(message, amount, figures.currency, live=True), typed_live
                )
            else:
                self._send(figures, request, None, fresh=True)

        self.app.push_screen(question, answered)

    # --- sending -----------------------------------------------------------------

    def _send(
        self, figures: RefundFigures, request: RefundCreate, key: str | None, *, fresh: bool = False
    ) -> None:
        """`fresh`: load the payment again first (an earlier refund's outcome is unknown, so
        the figures shown may miss it)."""
        assert request.amount is not None
        self._clear_outcome()
        self._progress(f"Refunding {figures.show(request.amount)} of {figures.payment.id}…")
        self._lock(True)
        self.send(figures, request, key, fresh)

    @work(exclusive=True, group=SEND, exit_on_error=False)
    async def send(
        self, figures: RefundFigures, request: RefundCreate, key: str | None, fresh: bool
    ) -> None:
        """Refund with `key` (an unknown attempt's), else a new one."""
        ctx = self.ctx
        try:
            if fresh:
                figures = (await fetch_facts(self, request.payment_id)).figures
            sent = await ctx.operations().create_refund(
                request, idempotency_key=key, currency=figures.currency, new=key is None
            )
        except Exception as error:
            self._progress(None)
            self._lock(False)
            self._send_failed(error)
            return
        self._progress(None)
        self._lock(False)
        self._refunded(figures, sent.result)
        self.warn_unrecorded("refund", sent.journal_error)

    def _refunded(self, figures: RefundFigures, refund: Refund) -> None:
        self._sent_any = True
        self.figures = after = figures.after(refund.amount)
        self.query_one(RefundSummary).show(after, self.ctx.display_tz)
        self._prepare_amount(keep_amount=False)
        self.query_one(ErrorPanel).clear()  # "Nothing to refund" is what the result says
        self.query_one(RefundResult).show(refund, after)
        self.refresh_bindings()

    def _send_failed(self, error: Exception) -> None:
        unknown = isinstance(error, OperationFailed) and error.outcome == "unknown"
        cause = error.cause if isinstance(error, OperationFailed) else error
        title, message = describe_error(error)
        message = message if message.endswith((".", "!", "?")) else f"{message}."
        if unknown:
            message += " Or press Enter to confirm the same refund again here."
        elif isinstance(cause, InvalidRequestError) and cause.code in STALE_CODES:
            message += " It may have changed meanwhile: it is loaded again to show what remains."
            self.action_reload()
        self._show_problem(title, message)
        self._load_error_shown = False
        self.query_one("#refund-amount", Input).focus()

    # --- helpers -----------------------------------------------------------------

    def _show_problem(self, title: str, message: str) -> None:
        """An error in the panel, instead of the last refund's result."""
        self.query_one(RefundResult).display = False
        self.query_one(ErrorPanel).show_message(title, message)

    def _clear_outcome(self) -> None:
        """Neither the last error nor the last refund's result: something new comes."""
        self.query_one(RefundResult).display = False
        self.query_one(ErrorPanel).clear()

    def _field(self, name: str) -> FormField:
        return self.query_one(f"#field-{name}", FormField)

    def _progress(self, text: str | None) -> None:
        self.query_one("#refund-progress").display = text is not None
        self.query_one("#refund-progress-text", Label).update(one_line(text or ""))

    def _lock(self, locked: bool) -> None:
        """No editing and no second submit while a refund is being sent."""
        self._sending = locked
        self.query_one("#refund-payment-id", Input).disabled = locked
        amount = self.query_one("#refund-amount", Input)
        amount.disabled = locked or self.figures is None or self.figures.blocked() is not None
        self.refresh_bindings()
