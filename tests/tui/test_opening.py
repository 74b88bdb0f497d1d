"""`--sandbox` is usable at once: its profile is known before the loader is done, so the
badge shows and the new-payment form opens from the first frame; only the charge waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from textual.widgets import Input, Label

from console.app import PaymentsConsoleApp, make_app
from console.config import Settings
from console.context import Opening, Services
from console.screens.confirm import ConfirmScreen
from console.screens.new_payment import NewPaymentScreen
from console.widgets.panels import FormField
from screenshots.scenarios import SIZE, Harness, profile, settle
from tests.tui.helpers import field_error


@contextmanager
def opening_on_sandbox(harness: Harness) -> Iterator[tuple[PaymentsConsoleApp, threading.Event]]:
    """A console opening on the sandbox profile whose loader waits for the event."""
    gate = threading.Event()

    def loader() -> Services:
        assert gate.wait(timeout=10), "the test never let the loader finish"
        return Services(Settings(), harness.journal, profile(), harness.client())

    try:
        yield (
            make_app(loader=loader, opening=Opening("sandbox", "sandbox"), cursor_blink=False),
            gate,
        )
    finally:
        gate.set()


def badge(app: PaymentsConsoleApp) -> tuple[str, str]:
    return (
        str(app.screen.query_one("#header-profile", Label).content),
        str(app.screen.query_one("#header-mode", Label).content),
    )


async def test_a_known_profile_is_in_the_header_from_the_first_frame(harness: Harness) -> None:
    with opening_on_sandbox(harness) as (app, gate):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert not app.loaded
            assert badge(app) == ("profile sandbox", "SANDBOX")
            gate.set()
            assert await app.until_loaded() is app.ctx
            await settle(pilot)
            assert badge(app) == ("profile sandbox", "SANDBOX")


async def test_the_form_opens_while_the_console_opens_and_the_charge_waits(
    harness: Harness,
) -> None:
    with opening_on_sandbox(harness) as (app, gate):
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


async def test_the_loader_waits_for_the_screen_the_merchant_opens_first(
    harness: Harness,
) -> None:
    """`n` at the first frame: the form is drawn before the loader starts (its imports
    would share the interpreter with the form's), and typing while the console opens is
    checked once it has opened (pydantic is the loader's to import)."""
    started: list[bool] = []
    gate = threading.Event()

    def loader() -> Services:
        started.append(isinstance(app.screen, NewPaymentScreen))
        assert gate.wait(timeout=10), "the test never let the loader finish"
        return Services(Settings(), harness.journal, profile(), harness.client())

    app = make_app(loader=loader, opening=Opening("sandbox", "sandbox"), cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"1.234")
        await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, NewPaymentScreen)
        assert not app.loaded
        assert screen.query_one("#field-amount", FormField).error is None
        gate.set()
        await app.until_loaded()
        await settle(pilot)
        assert started == [True]
        assert field_error(pilot, "amount") == "USD allows at most 2 decimal places"
