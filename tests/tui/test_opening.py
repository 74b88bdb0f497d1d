"""`--sandbox` is usable at once: its profile is known before the loader is done, so the
badge shows and the new-payment form opens from the first frame; only the charge waits."""

from __future__ import annotations

import threading

from textual.widgets import Input, Label

from console.app import make_app
from console.config import Settings
from console.context import Opening, Services
from console.screens.confirm import ConfirmScreen
from console.screens.new_payment import NewPaymentScreen
from screenshots.scenarios import SIZE, Harness, profile, settle


async def test_the_form_opens_while_the_console_opens_and_the_charge_waits(
    harness: Harness,
) -> None:
    gate = threading.Event()

    def loader() -> Services:
        assert gate.wait(timeout=10), "the test never let the loader finish"
        return Services(Settings(), harness.journal, profile(), harness.client())

    app = make_app(loader=loader, opening=Opening("sandbox", "sandbox"), cursor_blink=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert not app.loaded
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, NewPaymentScreen)
            assert app.screen.query_one("#source", Input).value == "tok_visa"  # sandbox
            await pilot.press(*"12.50", "ctrl+s")
            await pilot.pause()
            progress = app.screen.query_one("#payment-progress-text", Label)
            assert str(progress.content) == "Waiting for the console to finish opening…"
            assert not isinstance(app.screen, ConfirmScreen)
            gate.set()
            await settle(pilot)
            assert app.loaded
            assert isinstance(app.screen, ConfirmScreen)
    finally:
        gate.set()
