"""Deterministic scenarios of the refund and history screens (settings: settings_first_run.py).

The same `Scenario`s as screenshots/scenarios.py (a fixed clock, sequential ids, UTC),
used by tests/tui/test_refund_history_settings_snapshots.py and by `make screenshots`.
Every request happens in `run_before`; the final key presses cause no IO.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from textual.pilot import Pilot

from console import operations
from console.api.models import RefundCreate
from console.app import PaymentsConsoleApp
from screenshots.scenarios import Scenario, seed_activity, settle


def _app(pilot: Pilot[Any]) -> PaymentsConsoleApp:
    app = pilot.app
    assert isinstance(app, PaymentsConsoleApp)
    return app


async def _refund_elsewhere(pilot: Pilot[Any], payment_id: str, amount: str | None) -> None:
    """A refund by another client on the same sandbox (not in the console's journal)."""
    request = RefundCreate(
        payment_id=payment_id, amount=None if amount is None else Decimal(amount)
    )
    await _app(pilot).ctx.require_client().create_refund(request)


# --- refund --------------------------------------------------------------------------


async def _refund_empty(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("r")
    await pilot.pause()


async def _refund_id(pilot: Pilot[Any], payment_id: str) -> None:
    """From home with activity: r, the ID, Enter (payment loaded, amount pre-filled)."""
    await settle(pilot)
    await seed_activity(_app(pilot))
    await pilot.press("r", *payment_id, "enter")
    await settle(pilot)


async def _refund_loaded(pilot: Pilot[Any]) -> None:
    await _refund_id(pilot, "pay_0001")


async def _refund_confirm(pilot: Pilot[Any]) -> None:
    await _refund_loaded(pilot)
    await pilot.press("enter")
    await settle(pilot)  # the confirmation comes once the journal was looked up


async def _refund_done(pilot: Pilot[Any]) -> None:
    await _refund_loaded(pilot)
    await pilot.press(*"30", "enter")
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)


async def _refund_race(pilot: Pilot[Any]) -> None:
    await _refund_loaded(pilot)
    await _refund_elsewhere(pilot, "pay_0001", "50.00")
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)


async def _refund_fully_refunded(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await seed_activity(_app(pilot))
    await _refund_elsewhere(pilot, "pay_0001", None)
    await pilot.press("r", *"pay_0001", "enter")
    await settle(pilot)


async def _refund_failed_payment(pilot: Pilot[Any]) -> None:
    await _refund_id(pilot, "pay_0003")


async def _refund_not_found(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("r", *"pay_9999", "enter")
    await settle(pilot)


# --- history -------------------------------------------------------------------------


@contextmanager
def _sequential_idempotency_keys() -> Iterator[None]:
    """Keys the history shows (shortened), the same on every run."""
    numbers = itertools.count(1)
    random_keys = operations.new_idempotency_key
    operations.new_idempotency_key = lambda: f"{next(numbers):08x}-5eed-4000-8000-000000000000"
    try:
        yield
    finally:
        operations.new_idempotency_key = random_keys


async def _history(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    with _sequential_idempotency_keys():
        await seed_activity(_app(pilot))
    await pilot.press("h")
    await settle(pilot)


async def _history_empty(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)


async def _history_filtered(pilot: Pilot[Any]) -> None:
    await _history(pilot)
    await pilot.press(*"usd")
    await pilot.pause(0.3)  # the filter's debounce
    await settle(pilot)
    await pilot.press("enter")  # to the table
    await pilot.pause()


REFUND_SCENARIOS = (
    Scenario("refund", "Refund from home: asks for the payment ID first", _refund_empty),
    Scenario(
        "refund_loaded",
        "Refund: the payment, refunded so far, the remaining amount pre-filled",
        _refund_loaded,
    ),
    Scenario(
        "refund_over",
        "Refund: more than remains is refused before sending",
        _refund_loaded,
        press=tuple("80"),
    ),
    Scenario(
        "refund_decimals",
        "Refund: more decimals than the currency has",
        _refund_loaded,
        press=tuple("10.005"),
    ),
    Scenario(
        "refund_confirm", "Refund: the confirmation names amount and payment", _refund_confirm
    ),
    Scenario(
        "refund_live_confirm",
        "Refund in live mode: the amount is typed again to confirm",
        _refund_confirm,
        press=tuple("75"),
        mode="live",
    ),
    Scenario("refund_done", "Refund sent: its ID and the new remaining amount", _refund_done),
    Scenario(
        "refund_race",
        "Refund: another client refunded meanwhile; the server's error, the form kept",
        _refund_race,
    ),
    Scenario(
        "refund_fully_refunded",
        "Refund: an already fully refunded payment",
        _refund_fully_refunded,
    ),
    Scenario("refund_failed_payment", "Refund: a failed payment", _refund_failed_payment),
    Scenario("refund_not_found", "Refund: an unknown payment ID", _refund_not_found),
)

HISTORY_SCENARIOS = (
    Scenario("history", "History: every operation, newest first", _history),
    Scenario("history_empty", "History before anything was sent", _history_empty),
    Scenario("history_filtered", "History filtered as you type", _history_filtered),
)

SCENARIOS = REFUND_SCENARIOS + HISTORY_SCENARIOS
