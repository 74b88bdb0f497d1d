"""Finding a payment or a refund: found (with its refunds), not found, wrong shape, 401,
unreachable; the ID field keeps the focus for the next ID."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.api.models import RefundCreate
from console.display import NO_ID, NOT_AN_ID, object_id_error
from console.screens.find_payment import FindPaymentScreen
from console.screens.refund import RefundScreen
from console.widgets.panels import ErrorPanel
from console.widgets.payment import PaymentDetails
from screenshots.scenarios import SIZE, Harness, paste, seed_activity, settle
from tests.tui.helpers import field_error, open_screen, unreachable_client, with_activity

SIZES = [(80, 24), (100, 30)]


async def find(pilot: Pilot[None], object_id: str) -> FindPaymentScreen:
    await pilot.press("slash")
    await pilot.pause()
    await paste(pilot, object_id)
    return await open_screen(pilot, FindPaymentScreen, "enter")


def shown(screen: FindPaymentScreen, part: str = "fields") -> str:
    return str(screen.query_one(f".payment-{part}", Static).content)


def id_field(screen: FindPaymentScreen) -> Input:
    return screen.query_one("#payment-id", Input)


async def test_found_shows_the_payment_and_the_refunds_this_console_sent(harness: Harness) -> None:
    async with with_activity(harness) as (app, pilot):
        screen = await find(pilot, "pay_0001")
        for expected in (
            "pay_0001  SUCCEEDED",
            "USD 100.00",
            "2026-03-02 14:31:51 UTC",  # the sandbox clock (it ticks on every reading)
            "Order #1001",
            "USD 25.00 of USD 100.00",
            "Remaining     USD 75.00",
        ):
            assert expected in shown(screen)
        assert "refund_0001   USD 25.00" in shown(screen, "refunds")
        await pilot.press("tab")  # from the ID field to the payment: c and r act on it
        assert app.focused is screen.query_one(PaymentDetails)
        await pilot.press("c")
        assert app.clipboard == "pay_0001"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RefundScreen)
        assert app.screen.payment_id == "pay_0001"


@pytest.mark.parametrize("size", SIZES)
async def test_the_next_id_is_typed_over_the_last_one_firing_no_shortcut(
    harness: Harness, size: tuple[int, int]
) -> None:
    async with with_activity(harness, size) as (app, pilot):
        screen = await find(pilot, "pay_0001")
        field = id_field(screen)
        assert app.focused is field
        assert field.selected_text == "pay_0001"
        await pilot.press(*"pay_ch", "backspace", "backspace", *"0002", "enter")  # c, h typed
        await settle(pilot)
        assert app.screen is screen  # h opened no history
        assert app.clipboard != "pay_0001"  # c copied nothing
        assert "pay_0002  SUCCEEDED" in shown(screen)
        assert field.selected_text == "pay_0002"


async def test_slash_always_goes_back_to_the_id_field(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await seed_activity(app)
        screen = await find(pilot, "pay_0001")
        await pilot.press("tab")
        assert app.focused is screen.query_one(PaymentDetails)
        await pilot.press("slash", *"pay_0002")  # typed at once: the focus is set first
        assert app.focused is id_field(screen)
        assert id_field(screen).value == "pay_0002"
        await pilot.press("slash", "slash")  # in the field too: its text selected, no "/"
        assert id_field(screen).selected_text == "pay_0002"


async def test_a_refund_id_opens_its_payment_with_the_refund_picked_out(
    harness: Harness,
) -> None:
    async with with_activity(harness) as (app, pilot):
        screen = await find(pilot, "refund_0001")
        assert shown(screen).startswith("Refund        refund_0001  USD 25.00  SUCCEEDED\n")
        assert "Payment ID    pay_0001  SUCCEEDED" in shown(screen)
        assert screen.shown_payment_id == "pay_0001"  # c copies, r refunds the payment
        await pilot.press("tab", "c")
        assert app.clipboard == "pay_0001"


async def test_coming_back_after_a_refund_elsewhere_shows_the_new_figures(
    harness: Harness,
) -> None:
    async with with_activity(harness) as (app, pilot):
        screen = await find(pilot, "pay_0001")
        await pilot.press("tab")
        await open_screen(pilot, RefundScreen, "r")
        await pilot.press("backspace", *"30", "enter")
        await settle(pilot)  # the confirmation comes once the journal was looked up
        await pilot.press("n")  # not sent from here: escape goes back, not home
        await settle(pilot)
        await app.ctx.require_client().create_refund(  # as another client, meanwhile
            RefundCreate(payment_id="pay_0001", amount=Decimal("30"))
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert "USD 55.00 of USD 100.00" in shown(screen)
        assert "Remaining     USD 45.00" in shown(screen)


@pytest.mark.parametrize(
    ("object_id", "message"),
    [("pay_9999", "Payment not found"), ("refund_9999", "Refund not found")],
)
async def test_not_found_keeps_the_input_for_correction(
    harness: Harness, object_id: str, message: str
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await find(pilot, object_id)
        assert field_error(screen, "payment-id") == message
        assert id_field(screen).value == object_id
        assert app.focused is id_field(screen)
        assert not screen.query_one(PaymentDetails).display
        await pilot.press("end", "backspace")
        assert field_error(screen, "payment-id") == ""  # editing clears the old answer


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", NO_ID),
        ("hello", NOT_AN_ID),
        ("12345", NOT_AN_ID),
        ("pay_", NOT_AN_ID),
        ("refund_", NOT_AN_ID),
        ("pay_12 3", NOT_AN_ID),
        ("pay_1/../x", NOT_AN_ID),
        (" pay_0001 ", None),
        ("refund_0001", None),
    ],
)
def test_one_id_rule_for_find_and_the_clis_get(text: str, problem: str | None) -> None:
    assert object_id_error(text) == problem


async def test_a_wrong_shape_is_not_sent(harness: Harness) -> None:
    app = harness.app(client=unreachable_client())  # any request would fail loudly
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await find(pilot, "hello")
        assert field_error(screen, "payment-id") == NOT_AN_ID
        assert not screen.query_one(ErrorPanel).display
        assert id_field(screen).value == "hello"


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
        assert id_field(screen).value == "pay_0001"
