"""Refund a payment from the keyboard (issue 7)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label


class RefundScreen(Screen[None]):
    """Refund a payment: asks for its ID first when none is given."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="refund.back")
    ]

    def __init__(self, payment_id: str | None = None) -> None:
        super().__init__()
        self.payment_id = payment_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Refund a payment", id="refund-title")
        yield Input(value=self.payment_id or "", placeholder="pay_...", id="refund-payment-id")
        yield Footer()
