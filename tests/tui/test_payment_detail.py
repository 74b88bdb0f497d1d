"""The payment page: the source token, a decline's reason and code, refunded so far as a
bar, the refunds sent from this console, and the receipt (ctrl+s)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from console.api.errors import CardError
from console.api.models import Payment, PaymentCreate
from console.paths import data_dir, exports_dir
from console.payment_facts import PaymentFacts
from console.receipts import receipt_name, receipt_text
from console.screens.payment_detail import PaymentDetailScreen
from console.widgets.payment import ELSEWHERE_NOTE, bar_cells
from screenshots.scenarios import SIZE, Harness, settle, take_payment
from tests.tui.helpers import text_of, with_activity

MOMENT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


async def open_page(pilot: Pilot[None], payment_id: str) -> PaymentDetailScreen:
    await pilot.app.push_screen(PaymentDetailScreen(payment_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PaymentDetailScreen)
    return screen


def fields(screen: PaymentDetailScreen) -> str:
    return str(screen.query_one(".payment-fields", Static).content)


async def test_the_page_has_the_source_the_refunded_bar_and_the_refunds_sent_here(
    harness: Harness,
) -> None:
    async with with_activity(harness) as (_app, pilot):
        screen = await open_page(pilot, "pay_0001")
        shown = fields(screen)
        assert "Payment ID    pay_0001  SUCCEEDED" in shown
        assert "Paid with     tok_visa" in shown
        assert f"Refunded      {'█' * 5}{'░' * 15} USD 25.00 of USD 100.00" in shown
        assert "Remaining     USD 75.00" in shown
        refunds = str(screen.query_one(".payment-refunds", Static).content)
        assert "Refunds sent from this console" in refunds
        assert "refund_0001   USD 25.00  SUCCEEDED" in refunds
        assert ELSEWHERE_NOTE in refunds


async def test_a_declined_payment_shows_the_apis_reason_and_code(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "12.00", "tok_chargeDeclinedExpiredCard")
        await pilot.press("escape")
        screen = await open_page(pilot, "pay_0001")
        shown = fields(screen)
        assert "pay_0001  FAILED" in shown
        assert "Declined      Your card has expired." in shown
        assert "Decline code  expired_card" in shown
        assert "Refunded" not in shown  # nothing was paid, so nothing to refund
        assert not screen.query_one(".payment-refunds").display


async def test_a_payment_taken_elsewhere_says_what_only_its_console_knows(
    harness: Harness,
) -> None:
    async with harness.client() as client:
        with pytest.raises(CardError) as declined:
            await client.create_payment(
                PaymentCreate(amount=Decimal("5"), currency="USD", source="tok_chargeDeclined")
            )
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert declined.value.payment_id is not None
        shown = fields(await open_page(pilot, declined.value.payment_id))
        assert "Paid with     — (not taken from this console)" in shown
        assert "Declined      the API gives no reason (not taken from this console)" in shown


@pytest.mark.parametrize(
    ("refunded", "cells"),
    [("0", 0), ("0.01", 1), ("25", 5), ("99.99", 19), ("100", 20), ("120", 20)],
)
def test_the_bar_shows_any_refund_and_full_only_when_all_was_refunded(
    refunded: str, cells: int
) -> None:
    assert bar_cells(Decimal(refunded), Decimal("100")) == cells


async def test_ctrl_s_writes_a_receipt_and_shows_where(harness: Harness) -> None:
    async with with_activity(harness) as (_app, pilot):
        screen = await open_page(pilot, "pay_0001")
        await pilot.press("ctrl+s")
        await settle(pilot)
        path = exports_dir() / "receipt-pay_0001.txt"
        assert text_of(screen, ".receipt-path") == f"Receipt written to {path}"
    receipt = path.read_text(encoding="utf-8")
    for line in (
        "Payment ID        pay_0001",
        "Status            SUCCEEDED",
        "Amount            USD 100.00",
        "Description       Order #1001",
        "Paid with         tok_visa",
        "Refunded          USD 25.00",
        "Remaining         USD 75.00",
        "  refund_0001  USD 25.00  SUCCEEDED  2026-03-02",
        "Profile           sandbox (SANDBOX: a rehearsal on the local sandbox, no money moved)",
    ):
        assert line in receipt
    entry = harness.journal.payment_entry("pay_0001")
    assert entry is not None and entry.idempotency_key not in receipt
    assert harness.sandbox().state.api_key not in receipt


async def test_a_receipt_that_cannot_be_written_is_said_plainly(harness: Harness) -> None:
    blocked = data_dir() / "exports"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the directory should be")
    async with with_activity(harness, notifications=True) as (app, pilot):
        screen = await open_page(pilot, "pay_0002")
        await pilot.press("ctrl+s")
        await settle(pilot)
        [shown] = [n for n in app._notifications if n.title == "No receipt"]
        assert shown.message.startswith(f"Cannot write the receipt in {blocked}: ")
        assert not screen.query_one(".receipt-path").display


def test_a_receipt_is_plain_safe_text_named_by_the_id_alone() -> None:
    payment = Payment(
        id="pay_../../x\x1b[2J",
        amount=Decimal("5.00"),
        currency="USD",
        status="succeeded",
        created_at=MOMENT,
        description="Order\x1b]52;c;aGk=\x07 7 sk_live_" + "a1B2" * 6,
        amount_refunded=Decimal("0"),
    )
    text = receipt_text(
        PaymentFacts(payment), profile="shop", mode="live", tz=UTC, written_at=MOMENT
    )
    assert "\x1b" not in text and "\x07" not in text
    assert "Order 7 sk_live_…a1B2" in text
    assert "Paid with         — (not taken from this console)" in text
    assert "Profile           shop (LIVE)" in text
    assert receipt_name(payment.id) == "receipt-pay_______x__2J.txt"
