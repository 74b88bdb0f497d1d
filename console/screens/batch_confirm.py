"""The questions of the batch screen: send the batch (y, or in live mode each currency's
total typed, as the command line asks at a terminal), and stop it while it is sent."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label

from console.batch.plan import Plan
from console.batch.summary import VERBS
from console.batch.totals import CurrencyTotal, total_lines, typed_total_error
from console.config import Profile
from console.screens.confirm import ConfirmScreen


class TypedTotalsConfirmScreen(ConfirmScreen):
    """Live mode: the merchant types each currency's total, then Enter (or y) sends."""

    def __init__(self, title: str, message: str, totals: dict[str, CurrencyTotal]) -> None:
        super().__init__(title, message, confirm_label="Send")
        self.totals = totals

    def compose_extra(self) -> ComposeResult:
        yield Label("LIVE mode: type each currency's total, then Enter.", id="batch-live-prompt")
        for code in self.totals:
            yield Input(placeholder=f"{code} total", id=f"batch-total-{code}", classes="total")
        yield Label("", id="batch-live-error")

    def on_mount(self) -> None:
        self.query(".total").first(Input).focus()

    def can_confirm(self) -> bool:
        for code, total in self.totals.items():
            field = self.query_one(f"#batch-total-{code}", Input)
            problem = typed_total_error(field.value, code, total)
            if problem is not None:
                self.query_one("#batch-live-error", Label).update(f"{problem} (escape cancels).")
                field.focus()
                return False
        return True

    @on(Input.Submitted, ".total")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(".total").results(Input))
        if event.input is inputs[-1]:
            self.action_confirm()
        else:
            inputs[inputs.index(event.input) + 1].focus()


def send_question(plan: Plan, profile: Profile) -> ConfirmScreen:
    """What sending `plan` on `profile` moves, asked as the mode asks it."""
    verb = VERBS[plan.kind][0]
    mode = "LIVE: real money" if profile.mode == "live" else profile.mode.upper()
    lines = "\n".join(f"  {line}" for line in total_lines(plan.totals)) or "  (no amounts)"
    message = (
        f"{verb.capitalize()} {plan.to_send:,} of {plan.rows:,} rows from {plan.path.name}"
        f" on profile {profile.name} ({mode}):\n{lines}\n\nEach row is journaled, then sent"
        " with its own idempotency key: none can happen twice."
    )
    title = f"Send this batch of {plan.kind}?"
    if profile.mode == "live" and plan.totals:
        return TypedTotalsConfirmScreen(title, message, plan.totals)
    return ConfirmScreen(title, message, confirm_label="Send")


def stop_question(in_flight: int, left: int) -> ConfirmScreen:
    """Stop the batch being sent (leaving the screen, or quitting)?"""

    def rows(count: int) -> str:
        return f"{count:,} row{'s' if count != 1 else ''}"

    message = (
        f"The {rows(in_flight)} in flight finish, then the batch stops: {rows(left)}"
        f" {'stay' if left != 1 else 'stays'} unsent. It can be resumed: b opens it again"
        " (or run the same file from the command line)."
    )
    return ConfirmScreen("Stop the batch?", message, confirm_label="Stop")
