"""Deterministic scenarios of the new-payment form, the payment page, refunds and Find.

The same `Scenario`s as screenshots/scenarios.py (a fixed clock, sequential ids, UTC):
`SCENARIOS` are snapshot at 80x24 and at 100x30 by tests/tui/test_payment_snapshots.py
and rendered by `make screenshots`; `NARROW` are states the other modules already snapshot
at 100x30, snapshot here at 80x24. Every request happens in `run_before`; the final key
presses cause no IO. After `seed_activity`: pay_0001 (USD 100.00, refund_0001 of 25.00
sent from here), pay_0002 (EUR 42.50) and pay_0003 (USD 5.00, declined).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.pilot import Pilot

from console.app import PaymentsConsoleApp
from console.screens.payment_detail import PaymentDetailScreen
from screenshots import refund_history_settings, scenarios
from screenshots.scenarios import Scenario, seed_activity, settle, take_payment

SIZES = ((80, 24), (100, 30))
NARROW_SIZE = (80, 24)

_REFUND = {scenario.name: scenario for scenario in refund_history_settings.SCENARIOS}


def _app(pilot: Pilot[Any]) -> PaymentsConsoleApp:
    app = pilot.app
    assert isinstance(app, PaymentsConsoleApp)
    return app


async def _refused_then_mistyped(pilot: Pilot[Any]) -> None:
    """The API refuses the source, then a new mistake in the amount replaces its banner."""
    await settle(pilot)
    await take_payment(pilot, "12.00", "tok_unknown")
    await pilot.press("shift+tab", "shift+tab")  # back to the amount
    await pilot.pause()


async def _page(payment_id: str, pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await seed_activity(_app(pilot))
    await pilot.app.push_screen(PaymentDetailScreen(payment_id))
    await settle(pilot)


async def _find_refund(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await seed_activity(_app(pilot))
    await pilot.press("slash", *"refund_0001", "enter")
    await settle(pilot)


SCENARIOS = (
    Scenario(
        "pay_form_error",
        "New payment: the API's refusal, replaced by a new mistake in the amount",
        _refused_then_mistyped,
        press=("end", *"5"),
    ),
    Scenario(
        "page_succeeded", "The payment page: paid with tok_mastercard", partial(_page, "pay_0002")
    ),
    Scenario(
        "page_failed",
        "The payment page of a declined card: the API's reason",
        partial(_page, "pay_0003"),
    ),
    Scenario(
        "page_refunded", "The payment page: refunded so far, as a bar", partial(_page, "pay_0001")
    ),
    Scenario(
        "refund_over_after_result",
        "Refund: more than remains, typed after a refund (the old result goes)",
        _REFUND["refund_done"].run_before,
        press=("backspace", *"99"),
    ),
    Scenario(
        "find_refund", "Find a refund: its payment's page, the refund picked out", _find_refund
    ),
)

NARROW = (
    scenarios.BY_NAME["new_payment"],
    scenarios.BY_NAME["payment_detail"],
    _REFUND["refund_loaded"],
    _REFUND["refund_done"],
)
"""The empty form, a payment's result, the refund form and a refund's result."""
