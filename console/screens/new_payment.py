"""New payment: a validated form, a confirmation, then the payment's details."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, LoadingIndicator, Select

from console import money, operations
from console.api.errors import CardError, InvalidRequestError, PaymentsError
from console.api.models import Payment, PaymentCreate, field_errors
from console.screens.confirm import ConfirmScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.widgets.base import ConsoleScreen
from console.widgets.currency import CurrencySelect
from console.widgets.panels import ErrorPanel, FormField

FIELDS = ("amount", "currency", "source", "description")
SEND = "create-payment"


def validate_payment(
    amount: str, currency: str, source: str, description: str
) -> tuple[PaymentCreate | None, dict[str, str]]:
    """The request the form describes, or the message for each field that is wrong.

    Messages come from `console.money` (amount, currency) and the wire model (source).
    """
    errors: dict[str, str] = {}
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
            if field == "amount" and "amount" not in data:
                continue  # money's message (or the currency's) already says why
            errors.setdefault(field if field in FIELDS else "amount", message)
        return None, errors
    return (None if errors else request), errors


class NewPaymentScreen(ConsoleScreen[None]):
    """Amount, currency, source and description; ctrl+s (or Enter on the last field) sends."""

    SCREEN_TITLE = "New payment"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Charge", id="new_payment.submit", tooltip="Review and send"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.touched: set[str] = set()
        self.busy = False
        self.unknown_attempt: operations.Attempt[PaymentCreate] | None = None

    def compose_body(self) -> ComposeResult:
        currency = self.ctx.profile.currency if self.ctx.profile is not None else "USD"
        with VerticalScroll(id="payment-form"):
            yield ErrorPanel(id="payment-error")
            with Horizontal(id="amount-row"):
                yield FormField("Amount", Input(placeholder="100.00", id="amount"), name="amount")
                yield FormField(
                    "Currency", CurrencySelect(currency, id="currency"), name="currency"
                )
            yield FormField(
                "Source (payment token)", Input(placeholder="tok_visa", id="source"), name="source"
            )
            yield FormField(
                "Description (optional)",
                Input(placeholder="Order #12345", id="description"),
                name="description",
            )
        with Horizontal(id="payment-progress", classes="progress-row"):
            yield LoadingIndicator()
            yield Label("", id="payment-progress-text")

    def on_mount(self) -> None:
        self.query_one("#payment-progress").display = False
        self.query_one("#amount", Input).focus()

    # --- validation as you type --------------------------------------------------

    def form_values(self) -> dict[str, str]:
        currency = self.query_one(CurrencySelect).value
        values = {
            name: self.query_one(f"#{name}", Input).value for name in FIELDS if name != "currency"
        }
        values["currency"] = currency if isinstance(currency, str) else ""
        return values

    def check(self) -> PaymentCreate | None:
        """Validate; show the messages of the fields touched so far."""
        request, errors = validate_payment(**self.form_values())
        for name in FIELDS:
            shown = errors.get(name) if name in self.touched else None
            self.query_one(f"#field-{name}", FormField).set_error(shown)
        return request if not errors else None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.input.id in FIELDS:
            self.touched.add(event.input.id)
            self.check()

    @on(Select.Changed)
    def _currency_changed(self) -> None:
        self.touched.add("currency")
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
        action = (
            f"Charge {money.format_amount(request.amount, request.currency)} to {request.source}"
        )
        retrying = self.unknown_attempt is not None and self.unknown_attempt.request == request
        if retrying:
            action += (
                "\n\nThe last attempt has an unknown outcome: this sends it again with the "
                "same idempotency key, so it cannot charge twice."
            )
        self.app.push_screen(
            ConfirmScreen("Take this payment?", action, confirm_label="Charge"),
            lambda confirmed: self._confirmed(request, confirmed),
        )

    def _confirmed(self, request: PaymentCreate, confirmed: bool | None) -> None:
        if not confirmed:
            return
        self._lock(request)
        self.send(request)

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
    async def send(self, request: PaymentCreate) -> Payment:
        ctx = self.ctx
        key = operations.idempotency_key_for(request, self.unknown_attempt)
        try:
            return await operations.create_payment(
                ctx.require_client(),
                ctx.journal,
                ctx.profile_name,
                request,
                clock=ctx.clock,
                idempotency_key=key,
            )
        except PaymentsError as exc:
            if exc.outcome_unknown:
                self.unknown_attempt = operations.Attempt(request, key)
            raise

    def work_succeeded(self, group: str, result: Any) -> None:
        payment: Payment = result
        self.app.switch_screen(PaymentDetailScreen(payment.id, payment))
        self.app.notify(
            f"{money.format_amount(payment.amount, payment.currency)} charged",
            title="Payment succeeded",
        )

    def work_failed(self, group: str, error: BaseException) -> None:
        self._unlock()
        if isinstance(error, PaymentsError) and not error.outcome_unknown:
            self.unknown_attempt = None
        self.query_one(ErrorPanel).show_error(error)
        if isinstance(error, CardError):
            self.query_one("#source").focus()
        elif isinstance(error, InvalidRequestError) and error.param in FIELDS:
            self.query_one(f"#field-{error.param}", FormField).set_error(str(error))
            self.query_one(f"#{error.param}").focus()
        else:
            self._focus_first_invalid(default="amount")

    def _focus_first_invalid(self, default: str | None = None) -> None:
        for name in FIELDS:
            if self.query_one(f"#field-{name}", FormField).has_class("-invalid"):
                self.query_one(f"#{name}").focus()
                return
        if default is not None:
            self.query_one(f"#{default}").focus()
