"""The payment page: `c` copies its ID, `r` refunds it, ctrl+s writes its receipt.

`PaymentScreen` is what the payment page and Find share: the facts of the payment shown
and the receipt key. After a payment was just taken (the page is its result), escape goes
home and `a` takes another payment in the same currency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Label, LoadingIndicator, Static

from console.api.models import Payment
from console.error_text import describe_error
from console.paths import exports_dir, os_error_problem
from console.payment_facts import PaymentFacts
from console.receipts import receipt_text, write_receipt
from console.safe_text import one_line
from console.screens.base import ConsoleScreen
from console.widgets.panels import ErrorPanel
from console.widgets.payment import PaymentDetails

LOAD = "load-payment"
RECEIPT = "write-receipt"


async def fetch_facts(
    screen: ConsoleScreen[Any], payment_id: str, payment: Payment | None = None
) -> PaymentFacts:
    """The payment from the API (unless already given), with what the journal adds."""
    ctx = screen.ctx
    if payment is None:
        payment = await ctx.require_client().get_payment(payment_id)
    journal, shown_id = ctx.journal, payment.id
    refunds, entry = await asyncio.to_thread(
        lambda: (journal.refunds_for(shown_id), journal.payment_entry(shown_id))
    )
    return PaymentFacts.of(payment, refunds, entry)


def go_home(app: App[Any]) -> None:
    """Back to the home screen (the bottom of the stack) at once, whatever was between."""
    while len(app.screen_stack) > 1:
        app.pop_screen()


def receipt_binding(screen_id: str) -> Binding:
    """The receipt key of a `PaymentScreen`: each lists its own (the help shows a screen's
    own bindings, by their ids)."""
    return Binding(
        "ctrl+s",
        "receipt",
        "Receipt",
        id=f"{screen_id}.receipt",
        tooltip="Write a plain-text receipt to the downloads folder",
    )


class PaymentScreen(ConsoleScreen[None]):
    """A screen that shows a payment's page (`facts`, None until loaded)."""

    def __init__(self) -> None:
        super().__init__()
        self.facts: PaymentFacts | None = None

    @property
    def shown_payment_id(self) -> str | None:
        return self.facts.payment.id if self.facts is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "receipt":
            return self.facts is not None
        return True

    def is_shown(self) -> bool:
        """Still on the stack (a screen popped on the way home gets no reload)."""
        return self in self.app.screen_stack

    def show_facts(self, facts: PaymentFacts) -> None:
        self.facts = facts
        self.query_one(PaymentDetails).show(facts, self.ctx.display_tz)
        self.query_one(".receipt-path", Static).display = False
        self.refresh_bindings()

    def action_receipt(self) -> None:
        if self.facts is not None:
            self.write_receipt(self.facts)

    @work(exclusive=True, group=RECEIPT, exit_on_error=False)
    async def write_receipt(self, facts: PaymentFacts) -> None:
        """Write the receipt in a thread; say where it is, under the payment."""
        ctx = self.ctx
        profile = ctx.profile
        text = receipt_text(
            facts,
            profile=ctx.profile_name,
            mode=profile.mode if profile is not None else "",
            tz=ctx.display_tz,
            written_at=ctx.clock(),
        )
        directory = exports_dir()
        try:
            path = await asyncio.to_thread(write_receipt, text, directory, facts.payment.id)
        except OSError as error:
            problem = os_error_problem(error, Path(error.filename or directory))
            self.notify(
                f"Cannot write the receipt in {directory}: {problem}.",
                title="No receipt",
                severity="error",
            )
            return
        shown = self.query_one(".receipt-path", Static)
        shown.update(one_line(f"Receipt written to {path}"))
        shown.display = True


class PaymentDetailScreen(PaymentScreen):
    """Shows one payment; reloads it whenever it comes back into view (after a refund)."""

    SCREEN_TITLE = "Payment"

    BINDINGS: ClassVar[list[BindingType]] = [
        receipt_binding("payment_detail"),
        Binding(
            "escape",
            "home",
            "Home",
            id="payment_detail.home",
            tooltip="After a payment: back to the home screen",
        ),
        Binding(
            "a",
            "another",
            "Another payment",
            id="payment_detail.another",
            tooltip="After a payment: take another one, in the same currency",
        ),
    ]

    def __init__(
        self,
        payment_id: str,
        payment: Payment | None = None,
        *,
        another: Callable[[str], Screen[Any]] | None = None,
    ) -> None:
        """`another`, when the page is a payment's result: the form of another payment,
        given the currency (escape then goes home, `a` opens it)."""
        super().__init__()
        self.payment_id = payment_id
        self.another = another
        self._given = payment

    @property
    def shown_payment_id(self) -> str | None:
        return self.payment_id

    def compose_body(self) -> ComposeResult:
        yield ErrorPanel(id="detail-error")
        yield LoadingIndicator(id="detail-loading")
        yield PaymentDetails(id="detail")
        yield Static("", classes="receipt-path", markup=False)
        yield Label("", id="result-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(PaymentDetails).display = False
        self.query_one(".receipt-path").display = False
        self.query_one("#result-hint").display = False

    def on_screen_resume(self) -> None:
        given, self._given = self._given, None
        if self.is_shown():
            self.load(given)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "another" and self.console.read_only:
            return False
        if action in ("home", "another"):
            return self.another is not None  # otherwise escape is the app's Back
        return super().check_action(action, parameters)

    def action_home(self) -> None:
        go_home(self.app)

    def action_another(self) -> None:
        if self.another is not None and self.facts is not None:
            self.app.switch_screen(self.another(self.facts.payment.currency))

    @work(exclusive=True, group=LOAD, exit_on_error=False)
    async def load(self, payment: Payment | None) -> None:
        self.query_one("#detail-loading").display = True
        try:
            facts = await fetch_facts(self, self.payment_id, payment)
        except Exception as error:
            self.query_one("#detail-loading").display = False
            self.query_one(ErrorPanel).show_message(*describe_error(error))
            return
        self.query_one("#detail-loading").display = False
        self.query_one(ErrorPanel).clear()
        self.show_facts(facts)
        self.query_one(PaymentDetails).focus()
        if self.another is not None:
            hint = self.query_one("#result-hint", Label)
            hint.update(
                f"a takes another payment in {one_line(facts.payment.currency)} · escape goes home"
            )
            hint.display = True
