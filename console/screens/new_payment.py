"""New payment: a validated form, a confirmation, then the payment's details."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, LoadingIndicator, Select

from console import money
from console.api.errors import CardError, InvalidRequestError
from console.display import local_time
from console.error_text import describe_error
from console.safe_text import KeyInFieldError, refuse_key
from console.screens.base import ConsoleScreen
from console.screens.confirm import ConfirmScreen, ResendConfirmScreen, resend_question
from console.widgets.currency import CurrencySelect
from console.widgets.inputs import FirstInput
from console.widgets.panels import ErrorPanel, FormField

if TYPE_CHECKING:
    from console.api.models import PaymentCreate

FIELDS = ("amount", "currency", "source", "description")
SEND = "create-payment"
ASK = "ask-payment"

SANDBOX_SOURCE = "tok_visa"
"""The source a sandbox profile's form starts with: a test token that succeeds."""


def validate_payment(
    amount: str, currency: str, source: str, description: str
) -> tuple[PaymentCreate | None, dict[str, str]]:
    """The request the form describes, or the message for each field that is wrong.

    Messages come from `console.money` (amount, currency), the wire model (source) and
    `safe_text.refuse_key` (an API key pasted into source or description).
    """
    # Loaded at the first keystroke, not before the form opens (it opens at once).
    from pydantic import ValidationError

    from console.api.models import PaymentCreate, field_errors

    errors: dict[str, str] = {}
    for name, value in (("source", source), ("description", description)):
        try:
            refuse_key(name, value)
        except KeyInFieldError as exc:
            errors[name] = str(exc)
    data: dict[str, Any] = {"currency": currency, "source": source}
    if description.strip():
        data["description"] = description
    try:
        code = money.normalize_currency(currency)
    except money.AmountError as exc:
        errors["currency"] = str(exc)
    else:
        try:
            data["amount"] = money.parse_amount(amount, code)
        except money.AmountError as exc:
            errors["amount"] = str(exc)
    try:
        request = PaymentCreate.model_validate(data)
    except ValidationError as exc:
        for field, message in field_errors(exc):
            if (field == "amount" and "amount" not in data) or field in errors:
                continue  # money's message (or the currency's) already says why
            errors.setdefault(field if field in FIELDS else "amount", message)
        return None, errors
    return (None if errors else request), errors


class NewPaymentScreen(ConsoleScreen[None]):
    """Amount, currency, source and description; ctrl+s (or Enter on the last field) sends.

    The placeholders are hints ("e.g. tok_visa"), never values; a sandbox profile's form
    starts with a real source, `SANDBOX_SOURCE`. `currency` (None: the profile's) is the
    previous payment's when the merchant takes another one from its result.
    """

    SCREEN_TITLE = "New payment"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Charge", id="new_payment.submit", tooltip="Review and send"),
    ]

    def __init__(self, currency: str | None = None) -> None:
        super().__init__()
        self.currency = currency
        self.touched: set[str] = set()
        self.busy = False
        self._check_waits = False

    def compose_body(self) -> ComposeResult:
        mode, currency = self._profile_defaults()
        currency = self.currency or currency
        source = SANDBOX_SOURCE if mode == "sandbox" else ""
        with VerticalScroll(id="payment-form"):
            yield ErrorPanel(id="payment-error")
            with Horizontal(id="amount-row"):
                yield FormField(
                    "Amount", FirstInput(placeholder="e.g. 100.00", id="amount"), name="amount"
                )
                yield FormField(
                    "Currency", CurrencySelect(currency, id="currency"), name="currency"
                )
            yield FormField(
                "Source (payment token)",
                Input(source, placeholder="e.g. tok_visa", id="source"),
                name="source",
            )
            yield FormField(
                "Description (optional)",
                Input(placeholder="e.g. Order #12345", id="description"),
                name="description",
            )
        with Horizontal(id="payment-progress", classes="progress-row"):
            yield LoadingIndicator()
            yield Label("", id="payment-progress-text", markup=False)

    def _profile_defaults(self) -> tuple[str | None, str]:
        """The profile's mode and currency: the context's, or while the console is still
        opening, the profile it opens on (this form opens at once, `registry` early)."""
        console = self.console
        if console.loaded:
            profile = self.ctx.profile
            return (profile.mode, profile.currency) if profile else (None, "USD")
        opening = console.opening
        return (opening.mode, opening.currency) if opening else (None, "USD")

    def on_mount(self) -> None:
        self.query_one("#payment-progress").display = False

    # --- validation as you type --------------------------------------------------

    def form_values(self) -> dict[str, str]:
        currency = self.query_one(CurrencySelect).value
        values = {
            name: self.query_one(f"#{name}", Input).value for name in FIELDS if name != "currency"
        }
        values["currency"] = currency if isinstance(currency, str) else ""
        return values

    def check(self) -> PaymentCreate | None:
        """Validate; show the messages of the fields touched so far. A message that was
        not there before replaces the last error above the form (a new error, not both)."""
        request, errors = validate_payment(**self.form_values())
        for name in FIELDS:
            shown = errors.get(name) if name in self.touched else None
            field = self.query_one(f"#field-{name}", FormField)
            if shown is not None and shown != field.error:
                self.query_one(ErrorPanel).clear()
            field.set_error(shown)
        return request if not errors else None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id in FIELDS:
            self.touched.add(event.input.id)
            self.check_soon()

    @on(Select.Changed)
    def _currency_changed(self) -> None:
        self.touched.add("currency")
        self.check_soon()

    def check_soon(self) -> None:
        """Validate now, or while the console is still opening, once it has opened.

        The validation's imports (pydantic, the wire models) are among the loader's, in
        its thread: importing them here at the same moment would wait for the loader and
        hold the form's first frames and the merchant's first keystrokes."""
        if self.console.loaded:
            self.check()
        elif not self._check_waits:
            self._check_waits = True
            self.check_once_opened()

    @work(group="check", exit_on_error=False)
    async def check_once_opened(self) -> None:
        await self.console.until_loaded()
        self._check_waits = False
        self.check()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "description":
            self.action_submit()
        else:
            self.focus_next()

    # --- submitting ---------------------------------------------------------------

    @property
    def leave_refusal(self) -> str | None:
        if self.busy:
            return "The payment is being sent: wait for its result before leaving this screen."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return not self.busy
        return True

    def action_submit(self) -> None:
        if self.busy:
            return
        self.touched.update(FIELDS)
        request = self.check()
        if request is None:
            self._focus_first_invalid()
            return
        self.ask(request)

    @work(exclusive=True, group=ASK, exit_on_error=False)
    async def ask(self, request: PaymentCreate) -> None:
        """Confirm; when an identical payment has an unknown outcome, offer to settle it
        (the journal is read in a thread: a locked journal never freezes the console).
        A console still opening is waited for, visibly."""
        try:
            if not self.console.loaded:
                self._waiting(True)
                await self.console.until_loaded()
                self._waiting(False)
            earlier = await self.ctx.operations().find_unsettled(request)
        except Exception as error:
            self.show_error(error)
            return
        action = (
            f"Charge {money.format_amount(request.amount, request.currency)} to {request.source}"
        )
        if earlier is None:
            question = ConfirmScreen("Take this payment?", action, confirm_label="Charge")
        else:
            when = local_time(earlier.created_at, self.ctx.display_tz)
            question = resend_question(
                "Take this payment?", action, kind="payment", verb="Charge", earlier_at=when
            )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                as_new = isinstance(question, ResendConfirmScreen) and question.as_new
                key = None if earlier is None or as_new else earlier.idempotency_key
                self._lock(request)
                self.send(request, key)

        self.app.push_screen(question, answered)

    def _waiting(self, waiting: bool) -> None:
        self.query_one("#payment-progress").display = waiting
        self.query_one("#payment-progress-text", Label).update(
            "Waiting for the console to finish opening…" if waiting else ""
        )

    def _lock(self, request: PaymentCreate) -> None:
        self.busy = True
        self.query_one(ErrorPanel).clear()
        self.query_one("#payment-form").disabled = True
        self.query_one("#payment-progress").display = True
        self.query_one("#payment-progress-text", Label).update(
            f"Charging {money.format_amount(request.amount, request.currency)} to {request.source}…"
        )
        self.refresh_bindings()

    def _unlock(self) -> None:
        self.busy = False
        self.query_one("#payment-form").disabled = False
        self.query_one("#payment-progress").display = False
        self.refresh_bindings()

    @work(exclusive=True, group=SEND, exit_on_error=False)
    async def send(self, request: PaymentCreate, idempotency_key: str | None) -> None:
        """Pay with `idempotency_key` (an unknown attempt's), else a new one."""
        try:
            sent = await self.ctx.operations().create_payment(
                request, idempotency_key=idempotency_key, new=idempotency_key is None
            )
        except Exception as error:
            self._failed(error)
            return
        payment = sent.result
        from console.screens.payment_detail import PaymentDetailScreen

        self.app.switch_screen(PaymentDetailScreen(payment.id, payment, another=NewPaymentScreen))
        self.app.notify(
            f"{money.format_amount(payment.amount, payment.currency)} charged",
            title="Payment succeeded",
        )
        self.warn_unrecorded("payment", sent.journal_error)

    def _failed(self, error: Exception) -> None:
        self._unlock()
        self.query_one(ErrorPanel).show_message(*describe_error(error))
        from console.outcomes import OperationFailed

        cause = error.cause if isinstance(error, OperationFailed) else error
        if isinstance(cause, CardError):
            self.query_one("#source").focus()
        elif isinstance(cause, InvalidRequestError) and cause.param in FIELDS:
            self.query_one(f"#field-{cause.param}", FormField).set_error(str(cause))
            self.query_one(f"#{cause.param}").focus()
        else:
            self._focus_first_invalid(default="amount")

    def _focus_first_invalid(self, default: str | None = None) -> None:
        for name in FIELDS:
            if self.query_one(f"#field-{name}", FormField).has_class("-invalid"):
                self.query_one(f"#{name}").focus()
                return
        if default is not None:
            self.query_one(f"#{default}").focus()
