"""Pilot tests of the refund workflow against an in-process sandbox."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from console.api.errors import CardError
from console.api.models import Payment, PaymentCreate, RefundCreate
from console.app import PaymentsConsoleApp
from console.display import local_time
from console.journal import JournalEntry
from console.sandbox.faults import Faults
from console.screens.confirm import ConfirmScreen, LiveRefundConfirmScreen, ResendConfirmScreen
from console.screens.find_payment import FindPaymentScreen
from console.screens.home import HomeScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.screens.refund import RefundScreen
from screenshots.scenarios import SIZE, Harness, settle
from tests.tui.helpers import (
    field_error,
    gated_client,
    open_screen,
    text_of,
    unreachable_client,
)


async def pay(harness: Harness, amount: str = "100.00", source: str = "tok_visa") -> Payment:
    """A payment made by another client (not in the console's journal)."""
    async with harness.client() as client:
        request = PaymentCreate(amount=Decimal(amount), currency="USD", source=source)
        return await client.create_payment(request)


async def refund_elsewhere(harness: Harness, payment_id: str, amount: str | None = None) -> None:
    """A refund made by another client."""
    async with harness.client() as client:
        await client.create_refund(
            RefundCreate(payment_id=payment_id, amount=None if amount is None else Decimal(amount))
        )


async def refunded(harness: Harness, payment_id: str) -> Decimal | None:
    async with harness.client() as client:
        return (await client.get_payment(payment_id)).amount_refunded


async def test_full_refund_from_home_is_r_id_enter_enter_y(harness: Harness) -> None:
    payment = await pay(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        await pilot.press("r", *payment.id, "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RefundScreen)
        assert pilot.app.screen.query_one("#refund-amount", Input).value == "100.00"
        await pilot.press("enter")
        await settle(pilot)  # the confirmation comes once the journal was looked up
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert not isinstance(pilot.app.screen, ResendConfirmScreen)
        assert text_of(pilot, "#confirm-message") == (
            "Refund USD 100.00 of pay_0001 (paid USD 100.00, refunded so far USD 0.00)"
        )
        await pilot.press("y")
        await settle(pilot)
        result = text_of(pilot, "#refund-result")
        assert "refund_0001" in result
        assert "Remaining now USD 0.00" in result
    (entry,) = harness.journal.refunds_for(payment.id)
    assert (entry.status, entry.amount, entry.object_id) == (
        "succeeded",
        Decimal("100.00"),
        "refund_0001",
    )
    assert await refunded(harness, payment.id) == Decimal("100.00")


async def use(app: PaymentsConsoleApp, client: object) -> None:
    """Swap the console's client (same profile), as if the network changed under it."""
    assert app.ctx.profile is not None
    await app.ctx.use_client(app.ctx.profile, client)  # type: ignore[arg-type]


async def open_refund(pilot: Pilot[None], payment_id: str) -> RefundScreen:
    """From home: r, the ID, Enter; returns the refund screen once the payment is loaded."""
    return await open_screen(pilot, RefundScreen, "r", *payment_id, "enter")


async def confirm(
    pilot: Pilot[None], question: type[ConfirmScreen] = ConfirmScreen, answer: str = "y"
) -> str:
    """Enter in the amount field, then `answer` to a `question` (exactly that type: a plain
    confirmation unless told); returns the confirmation's text."""
    await pilot.press("enter")
    await settle(pilot)  # the confirmation comes once the journal was looked up
    assert type(pilot.app.screen) is question
    message = text_of(pilot, "#confirm-message")
    await pilot.press(answer)
    await settle(pilot)
    return message


async def refund_with_unknown_outcome(
    harness: Harness, app: PaymentsConsoleApp, pilot: Pilot[None], payment_id: str
) -> JournalEntry:
    """USD 10.00 of `payment_id` through a sandbox that drops the answer after making the
    refund, then back on a working client; returns the refund's (unknown) journal entry."""
    await open_refund(pilot, payment_id)
    await pilot.press(*"10")
    await use(app, harness.client(harness.sandbox(Faults(drop_after_commit=1.0)), max_retries=0))
    await confirm(pilot)  # the refund is made, its answer lost
    assert text_of(pilot, "#refund-error").startswith("Outcome unknown")
    (entry,) = harness.journal.refunds_for(payment_id)
    assert entry.status == "unknown"
    assert await refunded(harness, payment_id) == Decimal("10.00")
    await use(app, harness.client())
    return entry


async def test_partial_refund_then_the_rest(harness: Harness) -> None:
    payment = await pay(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, payment.id)
        await pilot.press(*"30")  # typed over the pre-filled remaining amount
        assert screen.query_one("#refund-amount", Input).value == "30"
        assert await confirm(pilot) == (
            "Refund USD 30.00 of pay_0001 (paid USD 100.00, refunded so far USD 0.00)"
        )
        assert "Remaining now USD 70.00" in text_of(pilot, "#refund-result")
        assert screen.query_one("#refund-amount", Input).value == "70.00"
        assert await confirm(pilot) == (
            "Refund USD 70.00 of pay_0001 (paid USD 100.00, refunded so far USD 30.00)"
        )
        assert "Remaining now USD 0.00" in text_of(pilot, "#refund-result")
        assert screen.query_one("#refund-amount", Input).disabled
    amounts = [entry.amount for entry in harness.journal.refunds_for(payment.id)]
    assert amounts == [Decimal("70.00"), Decimal("30.00")]
    assert await refunded(harness, payment.id) == Decimal("100.00")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("150", "More than the USD 100.00 left to refund"),
        ("10.005", "USD allows at most 2 decimal places"),
        ("0", "Amount must be greater than zero"),
        ("", "Enter an amount"),
    ],
)
async def test_amount_refused_before_sending(harness: Harness, typed: str, message: str) -> None:
    payment = await pay(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, payment.id)
        await pilot.press("backspace", *typed)
        assert field_error(pilot, "refund-amount") == message
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen  # no confirmation
        assert screen.query_one("#refund-amount", Input).value == typed
    assert harness.journal.count() == 0


async def test_refund_by_another_client_meanwhile_gets_the_servers_error(
    harness: Harness,
) -> None:
    payment = await pay(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, payment.id)
        await refund_elsewhere(harness, payment.id, "40.00")  # another client, after loading
        await confirm(pilot)
        error = text_of(pilot, "#refund-error")
        assert "Invalid refund amount" in error
        assert "loaded again" in error
        assert screen.query_one("#refund-amount", Input).value == "100.00"  # kept
        assert "Remaining        USD 60.00" in text_of(pilot, "#refund-summary")
        assert field_error(pilot, "refund-amount") == ("More than the USD 60.00 left to refund")
    (entry,) = harness.journal.refunds_for(payment.id)
    assert entry.status == "failed"


async def test_fully_refunded_by_another_client_meanwhile(harness: Harness) -> None:
    payment = await pay(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        await open_refund(pilot, payment.id)
        await refund_elsewhere(harness, payment.id)
        await confirm(pilot)
        assert "has already been fully refunded" in text_of(pilot, "#refund-error")


async def test_nothing_to_refund_on_a_fully_refunded_payment(harness: Harness) -> None:
    payment = await pay(harness)
    await refund_elsewhere(harness, payment.id)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, payment.id)
        assert text_of(pilot, "#refund-error") == (
            "Nothing to refund\nPayment pay_0001 has already been fully refunded (USD 100.00)."
        )
        assert screen.query_one("#refund-amount", Input).disabled


async def test_nothing_to_refund_on_a_failed_payment(harness: Harness) -> None:
    with pytest.raises(CardError) as declined:
        await pay(harness, source="tok_chargeDeclined")
    assert declined.value.payment_id is not None
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, declined.value.payment_id)
        assert text_of(pilot, "#refund-error") == (
            "Nothing to refund\nPayment pay_0001 failed, so there is nothing to refund."
        )
        assert screen.query_one("#refund-amount", Input).disabled
        summary = text_of(pilot, "#refund-summary")
        assert "Declined         USD 100.00 on" in summary  # never "Paid": it was not
        assert "Paid" not in summary


async def test_unknown_payment_keeps_the_id_for_correction(harness: Harness) -> None:
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, "pay_9999")
        assert field_error(pilot, "refund-payment-id") == "Payment not found"
        assert screen.query_one("#refund-payment-id", Input).value == "pay_9999"
        assert not screen.query_one("#refund-summary").display


async def test_a_malformed_id_is_refused_before_sending(harness: Harness) -> None:
    async with harness.app().run_test(size=SIZE) as pilot:
        await open_refund(pilot, "12345")
        assert (
            field_error(pilot, "refund-payment-id") == "Not a payment ID: they look like pay_12345"
        )


async def test_network_failure_keeps_the_amount(harness: Harness) -> None:
    payment = await pay(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, payment.id)
        await pilot.press(*"25.50")
        await use(app, unreachable_client())
        await confirm(pilot)
        error = text_of(pilot, "#refund-error")
        assert error.startswith("Cannot reach the API")
        assert "Nothing was sent" in error
        assert screen.query_one("#refund-amount", Input).value == "25.50"
        assert screen.query_one("#refund-amount", Input).has_focus
    (entry,) = harness.journal.refunds_for(payment.id)
    assert entry.status == "failed"


async def test_reloading_after_a_failed_load_clears_the_old_error(harness: Harness) -> None:
    payment = await pay(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await use(app, unreachable_client())
        screen = await open_refund(pilot, payment.id)
        assert text_of(pilot, "#refund-error").startswith("Cannot reach the API")
        client, transport = gated_client(harness)
        await use(app, client)
        await pilot.press("ctrl+l")
        await pilot.pause()
        # While the payment loads again, the old failure is not shown beside "Loading…".
        assert transport.requests == 1
        assert not screen.query_one("#refund-error").display
        assert screen.query_one("#refund-progress").display
        transport.gate.set()
        await settle(pilot)
        assert not screen.query_one("#refund-error").display
        assert screen.query_one("#refund-amount", Input).value == "100.00"


async def test_escape_while_refunding_stays_until_the_outcome_is_known(harness: Harness) -> None:
    payment = await pay(harness)
    client, transport = gated_client(harness)
    transport.gate.set()
    app = harness.app(client=client)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, payment.id)
        transport.gate.clear()
        await pilot.press("enter")
        await settle(pilot)  # the confirmation (no request is sent before it)
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen  # leaving would cancel the refund, its outcome lost
        transport.gate.set()
        await settle(pilot)
        assert "Refund sent" in text_of(pilot, "#refund-result")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
    (entry,) = harness.journal.refunds_for(payment.id)
    assert entry.status == "succeeded"


async def test_unknown_outcome_is_sent_again_with_the_same_key(harness: Harness) -> None:
    payment = await pay(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        entry = await refund_with_unknown_outcome(harness, app, pilot, payment.id)
        message = await confirm(pilot, ResendConfirmScreen)  # the same refund again: y
        assert message.startswith(
            "Refund USD 10.00 of pay_0001 (paid USD 100.00, refunded so far USD 0.00)\n\n"
            f"An identical refund of {local_time(entry.created_at, UTC)} has an unknown outcome."
        )
        assert "Remaining now USD 90.00" in text_of(pilot, "#refund-result")
    (again,) = harness.journal.refunds_for(payment.id)  # the same entry, settled
    assert (again.id, again.idempotency_key, again.status) == (
        entry.id,
        entry.idempotency_key,
        "succeeded",
    )
    assert await refunded(harness, payment.id) == Decimal("10.00")


async def test_an_unknown_refund_can_be_sent_as_a_new_one(harness: Harness) -> None:
    payment = await pay(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        entry = await refund_with_unknown_outcome(harness, app, pilot, payment.id)
        await confirm(pilot, ResendConfirmScreen, answer="a")  # a separate, new refund
        assert "refund_0002: USD 10.00 of pay_0001 (succeeded)" in text_of(pilot, "#refund-result")
    new, old = harness.journal.refunds_for(payment.id)
    assert (old.id, old.status) == (entry.id, "unknown")  # only its own key settles it
    assert (new.status, new.object_id) == ("succeeded", "refund_0002")
    assert new.idempotency_key != entry.idempotency_key
    assert await refunded(harness, payment.id) == Decimal("20.00")


async def test_the_remaining_amount_after_a_new_refund_is_the_apis(harness: Harness) -> None:
    payment = await pay(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await refund_with_unknown_outcome(harness, app, pilot, payment.id)
        await confirm(pilot, ResendConfirmScreen, answer="a")
        assert await refunded(harness, payment.id) == Decimal("20.00")
        assert "Remaining now USD 80.00" in text_of(pilot, "#refund-result")


async def test_live_mode_asks_to_type_the_amount_again(harness: Harness) -> None:
    payment = await pay(harness)
    async with harness.app(mode="live").run_test(size=SIZE) as pilot:
        await open_refund(pilot, payment.id)
        await pilot.press(*"50", "enter")
        await settle(pilot)  # the confirmation comes once the journal was looked up
        question = pilot.app.screen
        assert isinstance(question, LiveRefundConfirmScreen)
        await pilot.press("y", *"5", "enter")  # y alone does not confirm in live mode
        await pilot.pause()
        assert pilot.app.screen is question
        assert text_of(pilot, "#live-confirm-error") == (
            "Type exactly 50.00 to confirm (escape cancels)."
        )
        await pilot.press("backspace", *"50.00", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RefundScreen)
        assert "Remaining now USD 50.00" in text_of(pilot, "#refund-result")


async def test_cancelled_confirmation_sends_nothing(harness: Harness) -> None:
    payment = await pay(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, payment.id)
        await pilot.press("enter")
        await settle(pilot)
        question = pilot.app.screen
        assert isinstance(question, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert pilot.app.screen is screen
    assert harness.journal.count() == 0


async def test_refund_from_the_payment_details(harness: Harness) -> None:
    payment = await pay(harness, "80.00")
    async with harness.app().run_test(size=SIZE) as pilot:
        await pilot.app.push_screen(PaymentDetailScreen(payment.id))
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RefundScreen)
        assert screen.query_one("#refund-amount", Input).has_focus
        assert await confirm(pilot) == (
            "Refund USD 80.00 of pay_0001 (paid USD 80.00, refunded so far USD 0.00)"
        )
        await pilot.press("escape")  # after a refund: home, not back to the old page
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
        assert len(pilot.app.screen_stack) == 1


async def test_a_new_mistake_hides_the_last_refund_sent(harness: Harness) -> None:
    payment = await pay(harness)
    async with harness.app().run_test(size=SIZE) as pilot:
        screen = await open_refund(pilot, payment.id)
        await pilot.press(*"30")
        await confirm(pilot)
        assert screen.query_one("#refund-result").display
        await pilot.press("backspace", *"99")  # more than the USD 70.00 left
        assert field_error(pilot, "refund-amount") == "More than the USD 70.00 left to refund"
        assert not screen.query_one("#refund-result").display  # the old "Refund sent" went


async def test_after_a_refund_escape_goes_home(harness: Harness) -> None:
    payment = await pay(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *payment.id, "enter")  # find, then r on its page
        await settle(pilot)
        await pilot.press("tab")
        await open_screen(pilot, RefundScreen, "r")
        await pilot.press("escape")  # nothing sent yet: back to Find
        await settle(pilot)
        assert isinstance(app.screen, FindPaymentScreen)  # the payment still has the focus
        await open_screen(pilot, RefundScreen, "r")
        await confirm(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert len(app.screen_stack) == 1
