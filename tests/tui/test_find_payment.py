"""Finding a payment: found (with its refunds), not found, wrong shape, 401, unreachable."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.display import payment_id_error
from console.screens.find_payment import FindPaymentScreen
from console.screens.refund import RefundScreen
from console.widgets.panels import ErrorPanel
from console.widgets.payment import PaymentDetails
from screenshots.scenarios import SIZE, Harness, paste, seed_activity, settle
from tests.tui.helpers import field_error, open_screen, text_of, unreachable_client


async def find(pilot: Pilot[None], payment_id: str) -> FindPaymentScreen:
    await pilot.press("slash")
    await pilot.pause()
    await paste(pilot, payment_id)
    return await open_screen(pilot, FindPaymentScreen, "enter")


async def test_found_shows_the_payment_and_the_refunds_this_console_sent(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await seed_activity(app)
        screen = await find(pilot, "pay_0001")
        fields = str(screen.query_one(".payment-fields", Static).content)
        refunds = str(screen.query_one(".payment-refunds", Static).content)
        for expected in (
            "pay_0001",
            "USD 100.00",
            "SUCCEEDED",
            "2026-03-02 14:31:51 UTC",  # the sandbox clock (it ticks on every reading)
            "Order #1001",
            "Refunded      USD 25.00 (remaining USD 75.00)",
        ):
            assert expected in fields
        assert "refund_0001" in refunds
        assert "USD 25.00" in refunds
        assert app.focused is screen.query_one(PaymentDetails)
        await pilot.press("c")
        assert app.clipboard == "pay_0001"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RefundScreen)
        assert app.screen.payment_id == "pay_0001"


async def test_coming_back_after_a_refund_shows_the_new_figures(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await seed_activity(app)
        screen = await find(pilot, "pay_0001")
        await open_screen(pilot, RefundScreen, "r")
        await pilot.press("backspace", *"30", "enter")
        await settle(pilot)  # the confirmation comes once the journal was looked up
        await pilot.press("y")
        await settle(pilot)
        assert "Remaining now USD 45.00" in text_of(app.screen, "#refund-result")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        fields = str(screen.query_one(".payment-fields", Static).content)
        assert "Refunded      USD 55.00 (remaining USD 45.00)" in fields
        assert "refund_0002" in str(screen.query_one(".payment-refunds", Static).content)
        assert app.focused is screen.query_one(PaymentDetails)


async def test_not_found_keeps_the_input_for_correction(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await find(pilot, "pay_9999")
        assert field_error(screen, "payment-id") == "Payment not found"
        assert screen.query_one("#payment-id", Input).value == "pay_9999"
        assert app.focused is screen.query_one("#payment-id")
        assert not screen.query_one(PaymentDetails).display
        await pilot.press("backspace")
        assert field_error(screen, "payment-id") == ""  # editing clears the old answer


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Enter a payment ID, like pay_12345"),
        ("12345", "Not a payment ID: they look like pay_12345"),
        ("pay_", "Not a payment ID: they look like pay_12345"),
        ("pay_12 3", "Not a payment ID: they look like pay_12345"),
        (" pay_0001 ", None),
    ],
)
def test_the_pay_shape_is_checked(text: str, problem: str | None) -> None:
    assert payment_id_error(text) == problem


async def test_a_wrong_shape_is_not_sent(harness: Harness) -> None:
    app = harness.app(client=unreachable_client())  # any request would fail loudly
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await find(pilot, "12345")
        assert field_error(screen, "payment-id") == "Not a payment ID: they look like pay_12345"
        assert not screen.query_one(ErrorPanel).display
        assert screen.query_one("#payment-id", Input).value == "12345"


@pytest.mark.parametrize(
    ("client_kind", "title"),
    [("wrong_key", "API key not accepted"), ("unreachable", "Cannot reach the API")],
)
async def test_lookup_errors_are_plain(harness: Harness, client_kind: str, title: str) -> None:
    client = (
        harness.client(api_key="sk_test_not_the_right_key")
        if client_kind == "wrong_key"
        else unreachable_client()
    )
    app = harness.app(client=client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await find(pilot, "pay_0001")
        assert str(screen.query_one(ErrorPanel).content).startswith(title)
        assert screen.query_one("#payment-id", Input).value == "pay_0001"
