"""Text from the API or the journal never reaches the terminal with control characters.

A payment's description, an ID, an error message or a status may hold an OSC 52 clipboard
write, a clear-screen sequence with a forged line after it, an 8-bit CSI, a carriage
return, or an API key someone pasted: every screen draws it through `safe_text`, so the
visible words stay, the controls go and the key shows masked.

Textual itself only drops BEL, BS, VT, FF and CR: ESC and the C1 controls would pass.
What is checked is what the screen's compositor would write (every visible cell,
notifications included) and the SVG screenshot of it.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from console.api.models import PaymentCreate
from console.app import PaymentsConsoleApp
from console.config import Profile
from console.error_text import describe_error
from console.screens.find_payment import FindPaymentScreen
from console.screens.history import HistoryScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.screens.refund import RefundScreen
from console.widgets.history_table import HistoryTable
from console.widgets.panels import ErrorPanel
from screenshots.scenarios import BASE_URL, SIZE, Harness, paste, settle
from tests.fake_keys import live_key
from tests.tui.helpers import open_screen

KEY = live_key("4eC39HqLyjWDarjtT1zd1234")
MASKED = "sk_live_…1234"
OSC_52 = "\x1b]52;c;aGVsbG8=\x07"
CLEAR_AND_FORGE = "\x1b[2J\x1b[HRefund approved"
C1_CSI = "\x9b31m"
HOSTILE = f"Order done{OSC_52} {CLEAR_AND_FORGE}{C1_CSI} \rkey {KEY}\x7f\x85\x1b"
"""What a hostile API (or a careless paste) puts in a description or an error message."""

FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 (but tab and newline), ESC among them, DEL and C1."""

PROFILE = "sandbox"


def screen_text(app: PaymentsConsoleApp) -> str:
    """Every cell of the current screen as the compositor renders it, line by line."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def assert_safe(app: PaymentsConsoleApp, *visible: str) -> str:
    """No control character anywhere on screen (nor in its screenshot); `visible` is shown;
    the key only masked."""
    text = screen_text(app)
    found = FORBIDDEN.search(text)
    assert found is None, f"{found.group(0)!r} reached the screen: {text!r}"
    svg = app.export_screenshot()
    assert FORBIDDEN.search(svg.replace("\n", "").replace("\t", "")) is None
    for expected in visible:
        assert expected in text, f"{expected!r} not shown in {text!r}"
    assert KEY not in text and KEY not in svg
    return text


async def hostile_payment(harness: Harness) -> str:
    """A payment in the sandbox whose description is HOSTILE, as the API then serves it.

    Written into the sandbox's database: what matters is what comes back over the wire,
    whatever a client would have refused to send.
    """
    async with harness.client() as client:
        payment = await client.create_payment(
            PaymentCreate(
                amount=Decimal("100.00"), currency="USD", source="tok_visa", description="x"
            )
        )
    with sqlite3.connect(harness.db_path) as db:
        db.execute("UPDATE payments SET description = ? WHERE id = ?", (HOSTILE, payment.id))
    return payment.id


def journal_entry(
    harness: Harness,
    *,
    kind: Any = "payment",
    status: Any = "succeeded",
    payment_id: str | None = None,
    idempotency_key: str = "c0ffee00-0000-4000-8000-000000000001",
    response: dict[str, Any] | None = None,
    error: str | None = None,
) -> int:
    now = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    journal = harness.journal
    entry = journal.record_pending(
        kind=kind,
        profile=PROFILE,
        idempotency_key=idempotency_key,
        request={"amount": Decimal("5.00"), "currency": "USD"},
        now=now,
        payment_id=payment_id,
        amount=Decimal("5.00"),
        currency="USD",
    )
    journal.record_result(entry, status=status, now=now, response=response, error=error)
    return entry


async def notifications_shown(pilot: Pilot[Any]) -> None:
    """Toasts are mounted a few frames after `notify`."""
    for _ in range(3):
        await pilot.pause()


async def test_payment_detail_draws_a_hostile_description_and_refund_id_safely(
    harness: Harness,
) -> None:
    payment_id = await hostile_payment(harness)
    journal_entry(
        harness,
        kind="refund",
        payment_id=payment_id,
        response={"id": f"refund_{OSC_52}0001\x9b2J", "payment_id": payment_id},
    )
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(PaymentDetailScreen(payment_id))
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
        text = assert_safe(app, "Order done", "Refund approved", f"key {MASKED}", "refund_0001")
        assert "aGVsbG8" not in text  # the whole OSC 52 sequence went, not only its ESC
        fields = str(app.screen.query_one(".payment-fields", Static).content)
        assert FORBIDDEN.search(fields) is None


async def test_find_payment_draws_a_hostile_description_safely(harness: Harness) -> None:
    payment_id = await hostile_payment(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await paste(pilot, payment_id)
        await open_screen(pilot, FindPaymentScreen, "enter")
        assert_safe(app, payment_id, "Order done", "Refund approved", MASKED)


async def test_refund_summary_draws_a_hostile_description_safely(harness: Harness) -> None:
    payment_id = await hostile_payment(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(RefundScreen(payment_id=payment_id))
        await settle(pilot)
        assert_safe(app, "Order done", MASKED)


async def test_history_cells_from_the_journal_are_safe_and_a_pasted_key_shows_masked(
    harness: Harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        history = await open_screen(pilot, HistoryScreen, "h")
        # Journaled once history is open (home would draw them too; it is not under test).
        journal_entry(harness, kind="refund", status="failed", payment_id=KEY, error=HOSTILE)
        journal_entry(
            harness,
            payment_id=f"pay_{OSC_52}77\x9b2J\r",
            idempotency_key=f"\x1b[2Jab{C1_CSI}cdef-0000",
        )
        journal_entry(harness, payment_id="pay_[/]88[b]")  # markup is text, not a crash
        history.action_reload()
        await settle(pilot)
        history.query_one(HistoryTable).move_cursor(row=1)  # its key, whole, under the table
        await pilot.pause()
        assert_safe(
            app, MASKED, "pay_77", "abcdef-0000", "pay_[/]88[b]", "refund", "FAILED", "3 operations"
        )


async def test_home_shows_a_hostile_journal_error_safely(harness: Harness) -> None:
    journal_entry(harness, status="failed", error=HOSTILE)
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # no payment ID: the entry's error is shown
        await notifications_shown(pilot)
        assert_safe(app, "FAILED", "Nothing to open", "Order done", "Refund approved", MASKED)


async def test_every_notification_is_sanitized(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.notify(HOSTILE, title=f"Title {OSC_52}one")
        app.screen.notify(f"Second {CLEAR_AND_FORGE} [/]", title=f"Title{C1_CSI} two")
        await notifications_shown(pilot)
        assert_safe(app, "Title one", "Order done", MASKED, "Second", "Title two", "[/]")


async def test_error_panels_sanitize_title_and_message(harness: Harness) -> None:
    payment_id = await hostile_payment(harness)
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(PaymentDetailScreen(payment_id))
        await settle(pilot)
        panel = app.screen.query_one(ErrorPanel)
        panel.show_message(f"Server error{OSC_52}", HOSTILE)
        await pilot.pause()
        assert_safe(app, "Server error", "Order done", MASKED)
        panel.show_message(*describe_error(ValueError(f"Bad {C1_CSI}input {KEY}")))
        await pilot.pause()
        assert_safe(app, "Invalid input", "Bad input", MASKED)


async def test_a_profile_name_is_drawn_safely_in_the_header(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        hostile = Profile.model_construct(
            name=f"shop{OSC_52}\x9b2J", base_url=BASE_URL, mode="sandbox"
        )
        await app.use_client(hostile, harness.client())
        await settle(pilot)
        assert_safe(app, "profile shop ")
