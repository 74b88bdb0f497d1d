"""Pilot tests of the refund workflow against an in-process sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, Static

from console.screens.confirm import ConfirmScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.screens.refund import LiveRefundConfirmScreen, RefundScreen
from tests.tui.sandboxed import Console, build_console


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    built = build_console(tmp_path)
    yield built
    await built.aclose()


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(pilot: Pilot[None], selector: str) -> str:
    widget = pilot.app.screen.query_one(selector)
    assert isinstance(widget, (Label, Static))
    return str(widget.render())


async def test_full_refund_from_home_is_r_id_enter_enter_y(console: Console) -> None:
    payment = await console.pay("100.00")
    async with console.app.run_test(size=(100, 30)) as pilot:
        await pilot.press("r", *payment.id, "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RefundScreen)
        assert pilot.app.screen.query_one("#refund-amount", Input).value == "100.00"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert text_of(pilot, "#confirm-message") == (
            "Refund USD 100.00 of pay_0001 (paid USD 100.00, refunded so far USD 0.00)"
        )
        await pilot.press("y")
        await settle(pilot)
        result = text_of(pilot, "#refund-result")
        assert "refund_0001" in result
        assert "Remaining now USD 0.00" in result
    (entry,) = console.journal.refunds_for(payment.id)
    assert (entry.status, entry.amount, entry.object_id) == (
        "succeeded",
        Decimal("100.00"),
        "refund_0001",
    )
    assert (await console.client().get_payment(payment.id)).refunded is True


async def open_refund(pilot: Pilot[None], payment_id: str) -> RefundScreen:
    """From home: r, the ID, Enter; returns the refund screen once the payment is loaded."""
    await pilot.press("r", *payment_id, "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RefundScreen)
    return screen


async def confirm(pilot: Pilot[None]) -> str:
    """Enter in the amount field, then `y`; returns the confirmation's text."""
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmScreen)
    message = text_of(pilot, "#confirm-message")
    await pilot.press("y")
    await settle(pilot)
    return message


def field_error(pilot: Pilot[None], name: str) -> str:
    return text_of(pilot, f"#{name}-error")


async def test_partial_refund_then_the_rest(console: Console) -> None:
    payment = await console.pay("100.00")
    async with console.app.run_test(size=(100, 30)) as pilot:
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
    amounts = [entry.amount for entry in console.journal.refunds_for(payment.id)]
    assert amounts == [Decimal("70.00"), Decimal("30.00")]
    assert (await console.client().get_payment(payment.id)).amount_refunded == Decimal("100.00")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "150",
            "USD 150.00 is more than the USD 100.00 that remains to refund "
            "(paid USD 100.00, refunded so far USD 0.00)",
        ),
        ("10.005", "USD allows at most 2 decimal places"),
        ("0", "Amount must be greater than zero"),
        ("", "Enter an amount"),
    ],
)
async def test_amount_refused_before_sending(console: Console, typed: str, message: str) -> None:
    payment = await console.pay("100.00")
    async with console.app.run_test(size=(100, 30)) as pilot:
        screen = await open_refund(pilot, payment.id)
        await pilot.press("backspace", *typed)
        assert field_error(pilot, "refund-amount") == message
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is screen  # no confirmation
        assert screen.query_one("#refund-amount", Input).value == typed
    assert console.journal.count() == 0


async def test_refund_by_another_client_meanwhile_gets_the_servers_error(
    console: Console,
) -> None:
    payment = await console.pay("100.00")
    async with console.app.run_test(size=(100, 30)) as pilot:
        screen = await open_refund(pilot, payment.id)
        await console.refund(payment.id, "40.00")  # another client, after loading
        await confirm(pilot)
        error = text_of(pilot, "#refund-error")
        assert "Invalid refund amount" in error
        assert "loaded again" in error
        assert screen.query_one("#refund-amount", Input).value == "100.00"  # kept
        assert "Remaining        USD 60.00" in text_of(pilot, "#refund-summary")
        assert field_error(pilot, "refund-amount").startswith(
            "USD 100.00 is more than the USD 60.00 that remains"
        )
    (entry,) = console.journal.refunds_for(payment.id)
    assert entry.status == "failed"


async def test_fully_refunded_by_another_client_meanwhile(console: Console) -> None:
    payment = await console.pay("100.00")
    async with console.app.run_test(size=(100, 30)) as pilot:
        await open_refund(pilot, payment.id)
        await console.refund(payment.id)
        await confirm(pilot)
        assert "has already been fully refunded" in text_of(pilot, "#refund-error")


async def test_nothing_to_refund_on_a_fully_refunded_payment(console: Console) -> None:
    payment = await console.pay("100.00")
    await console.refund(payment.id)
    async with console.app.run_test(size=(100, 30)) as pilot:
        screen = await open_refund(pilot, payment.id)
        assert text_of(pilot, "#refund-error") == (
            "Nothing to refund\nPayment pay_0001 has already been fully refunded (USD 100.00)."
        )
        assert screen.query_one("#refund-amount", Input).disabled


async def test_nothing_to_refund_on_a_failed_payment(console: Console) -> None:
    from console.api.errors import CardError

    with pytest.raises(CardError) as declined:
        await console.pay("100.00", source="tok_chargeDeclined")
    assert declined.value.payment_id is not None
    async with console.app.run_test(size=(100, 30)) as pilot:
        screen = await open_refund(pilot, declined.value.payment_id)
        assert text_of(pilot, "#refund-error") == (
            "Nothing to refund\nPayment pay_0001 failed, so there is nothing to refund."
        )
        assert screen.query_one("#refund-amount", Input).disabled


async def test_unknown_payment_keeps_the_id_for_correction(console: Console) -> None:
    async with console.app.run_test(size=(100, 30)) as pilot:
        screen = await open_refund(pilot, "pay_9999")
        assert field_error(pilot, "refund-payment-id") == "Payment not found"
        assert screen.query_one("#refund-payment-id", Input).value == "pay_9999"
        assert not screen.query_one("#refund-summary").display


async def test_a_malformed_id_is_refused_before_sending(console: Console) -> None:
    async with console.app.run_test(size=(100, 30)) as pilot:
        await open_refund(pilot, "12345")
        assert field_error(pilot, "refund-payment-id").startswith("A payment ID starts with pay_")


async def test_network_failure_keeps_the_amount(console: Console) -> None:
    payment = await console.pay("100.00")
    assert console.network is not None
    async with console.app.run_test(size=(100, 30)) as pilot:
        screen = await open_refund(pilot, payment.id)
        await pilot.press(*"25.50")
        console.network.refuse = True
        await confirm(pilot)
        error = text_of(pilot, "#refund-error")
        assert error.startswith("Cannot reach the API")
        assert "Nothing was sent" in error
        assert screen.query_one("#refund-amount", Input).value == "25.50"
        assert screen.query_one("#refund-amount", Input).has_focus
    (entry,) = console.journal.refunds_for(payment.id)
    assert entry.status == "failed"


async def test_unknown_outcome_is_sent_again_with_the_same_key(console: Console) -> None:
    payment = await console.pay("100.00")
    assert console.network is not None
    async with console.app.run_test(size=(100, 30)) as pilot:
        await open_refund(pilot, payment.id)
        await pilot.press(*"10")
        console.network.drop_posts = 1  # the refund is made, its answer lost
        await confirm(pilot)
        assert text_of(pilot, "#refund-error").startswith("Outcome unknown")
        (entry,) = console.journal.refunds_for(payment.id)
        assert entry.status == "unknown"
        await confirm(pilot)  # the same refund again
        assert "Remaining now USD 90.00" in text_of(pilot, "#refund-result")
    (again,) = console.journal.refunds_for(payment.id)  # the same entry, settled
    assert (again.id, again.status) == (entry.id, "succeeded")
    assert (await console.client().get_payment(payment.id)).amount_refunded == Decimal("10.00")


async def test_live_mode_asks_to_type_the_amount_again(tmp_path: Path) -> None:
    console = build_console(tmp_path, mode="live")
    try:
        payment = await console.pay("100.00")
        async with console.app.run_test(size=(100, 30)) as pilot:
            await open_refund(pilot, payment.id)
            await pilot.press(*"50", "enter")
            await pilot.pause()
            question = pilot.app.screen
            assert isinstance(question, LiveRefundConfirmScreen)
            await pilot.press("y", *"5", "enter")  # y alone does not confirm in live mode
            await pilot.pause()
            assert pilot.app.screen is question
            assert text_of(pilot, "#live-confirm-error") == (
                "Type exactly 50.00 to confirm this refund (escape cancels)."
            )
            await pilot.press("backspace", *"50.00", "enter")
            await settle(pilot)
            assert isinstance(pilot.app.screen, RefundScreen)
            assert "Remaining now USD 50.00" in text_of(pilot, "#refund-result")
    finally:
        await console.aclose()


async def test_cancelled_confirmation_sends_nothing(console: Console) -> None:
    payment = await console.pay("100.00")
    async with console.app.run_test(size=(100, 30)) as pilot:
        screen = await open_refund(pilot, payment.id)
        await pilot.press("enter", "n")
        await settle(pilot)
        assert pilot.app.screen is screen
    assert console.journal.count() == 0


async def test_refund_from_the_payment_details(console: Console) -> None:
    payment = await console.pay("80.00")
    async with console.app.run_test(size=(100, 30)) as pilot:
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
        await pilot.press("escape")
        await settle(pilot)
        assert "USD 80.00 (remaining USD 0.00)" in str(
            pilot.app.screen.query_one(".payment-fields", Static).render()
        )
