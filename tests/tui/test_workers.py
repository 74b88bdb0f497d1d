"""Workers: each updates its screen after its `await`; an error it lets through is shown
(the console runs on), a worker replaced by a newer one of its group is no error, and an
answer for an ID the merchant no longer has typed is dropped."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from textual import work
from textual.pilot import Pilot
from textual.widgets import Input

from console.api.models import Payment, PaymentCreate
from console.app import PaymentsConsoleApp
from console.screens.base import ConsoleScreen
from console.screens.find_payment import FindPaymentScreen
from console.screens.refund import RefundScreen
from console.widgets.payment import PaymentDetails
from console.widgets.refund_form import RefundSummary
from screenshots.scenarios import SIZE, Harness, paste, settle
from tests.tui.helpers import gated_client, open_screen


class ProbeScreen(ConsoleScreen[None]):
    """A screen whose worker waits for `release`, then fails with `error` (if any)."""

    def __init__(self, error: Exception | None = None) -> None:
        super().__init__()
        self.error = error
        self.release = asyncio.Event()
        self.finished = 0

    @work(exclusive=True, group="probe", exit_on_error=False)
    async def probe(self) -> None:
        await self.release.wait()
        if self.error is not None:
            raise self.error
        self.finished += 1


def errors_shown(app: PaymentsConsoleApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == "error"]


async def pay(harness: Harness) -> Payment:
    async with harness.client() as client:
        request = PaymentCreate(amount=Decimal("100.00"), currency="USD", source="tok_visa")
        return await client.create_payment(request)


async def test_an_error_a_worker_lets_through_is_shown_and_the_console_runs_on(
    harness: Harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = ProbeScreen(RuntimeError("the screen went wrong"))
        await app.push_screen(screen)
        screen.probe()
        screen.release.set()
        await settle(pilot)
        assert errors_shown(app) == ["Unexpected error: RuntimeError: the screen went wrong"]
        assert app.is_running and app.screen is screen


async def test_a_worker_replaced_by_a_newer_one_is_no_error(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = ProbeScreen()
        await app.push_screen(screen)
        screen.probe()
        await pilot.pause()
        screen.probe()  # exclusive: the first one is cancelled
        await pilot.pause()
        screen.release.set()
        await settle(pilot)
        assert screen.finished == 1
        assert errors_shown(app) == []


async def type_id(pilot: Pilot[None], field: str, payment_id: str) -> None:
    pilot.app.screen.query_one(field, Input).value = ""
    await paste(pilot, payment_id)


async def test_find_payment_drops_an_answer_for_an_id_no_longer_typed(harness: Harness) -> None:
    payment = await pay(harness)
    client, transport = gated_client(harness)
    app = harness.app(client=client)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = await open_screen(pilot, FindPaymentScreen, "slash")
        await type_id(pilot, "#payment-id", payment.id)
        await pilot.press("enter")
        await pilot.press("enter")  # looked up again: the first lookup is cancelled
        await pilot.pause()
        await type_id(pilot, "#payment-id", "pay_0002")
        transport.gate.set()
        await settle(pilot)
        assert screen.facts is None
        assert not screen.query_one(PaymentDetails).display
        assert errors_shown(app) == []
        await pilot.press("enter")  # pay_0002 does not exist
        await settle(pilot)
        assert screen.facts is None
        await type_id(pilot, "#payment-id", payment.id)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.facts is not None and screen.facts.payment.id == payment.id
        assert screen.query_one(PaymentDetails).display


async def test_refund_drops_a_payment_loaded_for_an_id_no_longer_typed(harness: Harness) -> None:
    payment = await pay(harness)
    client, transport = gated_client(harness)
    app = harness.app(client=client)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = await open_screen(pilot, RefundScreen, "r")
        await type_id(pilot, "#refund-payment-id", payment.id)
        await pilot.press("enter")
        await pilot.pause()
        await type_id(pilot, "#refund-payment-id", "pay_0002")
        transport.gate.set()
        await settle(pilot)
        assert screen.figures is None
        assert not screen.query_one(RefundSummary).display
        assert screen.query_one("#refund-amount", Input).disabled
        assert errors_shown(app) == []
