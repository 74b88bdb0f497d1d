"""`ConfirmScreen`: a yes/no question answered with y, n or escape; its variants for a
request whose earlier attempt has an unknown outcome, and for a live refund (the amount
typed again)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from console import money
from console.safe_text import for_terminal, one_line
from console.widgets.footer import ConsoleFooter


class ConfirmScreen(ModalScreen[bool]):
    """Says exactly what will happen; dismisses with True (y) or False (n, escape).

    Subclasses may add widgets by overriding `compose_extra` (e.g. a typed
    confirmation) and refuse a "yes" by overriding `can_confirm`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes", id="confirm.yes", tooltip="Do what the dialog says"),
        Binding("n", "cancel", "No", id="confirm.no", tooltip="Change nothing"),
        Binding("escape", "cancel", "Cancel", id="confirm.cancel", tooltip="Change nothing"),
    ]

    CONFIRM_KEY = "y"
    """The key the confirm button names."""
    CANCEL_KEY = "n"

    def __init__(self, title: str, message: str, *, confirm_label: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Label(one_line(self.title_text), id="confirm-title", markup=False)
            yield Label(for_terminal(self.message), id="confirm-message", markup=False)
            yield from self.compose_extra()
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    f"{self.confirm_label} ({self.CONFIRM_KEY})",
                    variant="primary",
                    id="confirm-yes",
                )
                yield from self.compose_buttons()
                yield Button(f"No ({self.CANCEL_KEY})", id="confirm-no")
        yield ConsoleFooter()

    def compose_extra(self) -> ComposeResult:
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        """More buttons between yes and no."""
        yield from ()

    def can_confirm(self) -> bool:
        return True

    def action_confirm(self) -> None:
        if self.can_confirm():
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-yes":
            self.action_confirm()
        elif event.button.id == "confirm-new" and isinstance(self, ResendConfirmScreen):
            self.action_new()
        else:
            self.action_cancel()


class ResendConfirmScreen(ConfirmScreen):
    """An identical request has an unknown outcome: y sends it again with its idempotency
    key (settling it, never twice), `a` sends a separate, new one (`as_new` is then True)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "new", "Send as new", id="confirm.new", tooltip="A separate operation"),
    ]

    def __init__(self, title: str, message: str, *, confirm_label: str, new_label: str) -> None:
        super().__init__(title, message, confirm_label=confirm_label)
        self.new_label = new_label
        self.as_new = False

    def compose_buttons(self) -> ComposeResult:
        yield Button(f"{self.new_label} (a)", variant="warning", id="confirm-new")

    def action_new(self) -> None:
        self.as_new = True
        self.dismiss(True)


def resend_question(
    title: str, action: str, *, kind: str, verb: str, earlier_at: str
) -> ResendConfirmScreen:
    """The question when a `kind` ("payment") identical to `action` has an unknown
    outcome since `earlier_at`: `verb` ("Charge") sends it again with its key."""
    return ResendConfirmScreen(
        title,
        f"{action}\n\nAn identical {kind} of {earlier_at} has an unknown outcome. "
        f"{verb} sends it again with its idempotency key: if it went through, the API "
        f"answers with that {kind} instead of making it twice. "
        f"Press a for a separate, new {kind}.",
        confirm_label=verb,
        new_label=f"New {kind}",
    )


class _TypedAmount(Input):
    """The amount typed again: its Enter (which confirms) is shown in the footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Refund", id="confirm.enter", tooltip="Refund, once typed"),
    ]


class LiveRefundConfirmScreen(ConfirmScreen):
    """Live mode: the merchant types the amount again, then Enter confirms (the footer
    and the button say so: `y` would land in the amount field)."""

    CONFIRM_KEY = "enter"
    CANCEL_KEY = "esc"

    def __init__(self, title: str, message: str, amount: Decimal, currency: str) -> None:
        super().__init__(title, message, confirm_label="Refund")
        self.amount = amount
        self.currency = currency

    def compose_extra(self) -> ComposeResult:
        shown = money.quantize(self.amount, self.currency)
        yield Label(f"LIVE mode: type {shown} again, then Enter.", id="live-confirm-prompt")
        yield _TypedAmount(id="live-confirm-amount", restrict=r"[0-9.,]*")
        yield Label("", id="live-confirm-error")

    def on_mount(self) -> None:
        self.query_one("#live-confirm-amount", Input).focus()

    def can_confirm(self) -> bool:
        typed = self.query_one("#live-confirm-amount", Input).value
        try:
            matches = money.parse_amount(typed, self.currency) == self.amount
        except money.AmountError:
            matches = False
        if not matches:
            shown = money.quantize(self.amount, self.currency)
            self.query_one("#live-confirm-error", Label).update(
                f"Type exactly {shown} to confirm (escape cancels)."
            )
        return matches

    @on(Input.Submitted, "#live-confirm-amount")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()


def refund_question(
    message: str, amount: Decimal, currency: str, *, live: bool, earlier_at: str | None = None
) -> ConfirmScreen:
    """The confirmation of a refund `message`: settle the identical one whose outcome is
    unknown since `earlier_at`, else type the amount again (`live`), else y or n."""
    if earlier_at is not None:
        return resend_question(
            "Confirm refund", message, kind="refund", verb="Refund", earlier_at=earlier_at
        )
    if live:
        return LiveRefundConfirmScreen("Confirm live refund", message, amount, currency)
    return ConfirmScreen("Confirm refund", message, confirm_label="Refund")
