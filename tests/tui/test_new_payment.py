"""Taking a payment: validation, confirmation, details, copy, declines, errors, unknown outcomes."""

from __future__ import annotations

import asyncio
from datetime import UTC
from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.api.client import PaymentsClient
from console.app import PaymentsConsoleApp
from console.config import Mode
from console.display import local_time
from console.journal import JournalEntry
from console.sandbox.faults import Faults
from console.screens.confirm import ConfirmScreen, ResendConfirmScreen
from console.screens.home import HomeScreen
from console.screens.new_payment import ASK, SANDBOX_SOURCE, NewPaymentScreen, validate_payment
from console.screens.payment_detail import PaymentDetailScreen
from console.screens.refund import RefundScreen
from console.widgets.currency import CurrencySelect, find_currency
from console.widgets.panels import ErrorPanel
from screenshots.scenarios import BASE_URL, SIZE, Harness, settle, take_payment
from tests.journal_lock import LockJournalOnRequest
from tests.tui.helpers import (
    field_error,
    gated_client,
    payments_in_sandbox,
    text_of,
    unreachable_client,
    wait_for_groups,
)


def form(screen: NewPaymentScreen) -> dict[str, str]:
    return screen.form_values()


async def test_create_confirm_details_copy(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "100", "tok_visa", "Order #1001", confirm=False)
        assert type(app.screen) is ConfirmScreen
        assert app.screen.message == "Charge USD 100.00 to tok_visa"
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
        text = str(app.screen.query_one(".payment-fields", Static).content)
        assert "pay_0001" in text
        assert "USD 100.00" in text
        assert "SUCCEEDED" in text
        assert "Order #1001" in text
        await pilot.press("c")
        assert app.clipboard == "pay_0001"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RefundScreen)
        assert app.screen.payment_id == "pay_0001"
    [entry] = harness.journal.recent()
    assert (entry.kind, entry.status, entry.payment_id) == ("payment", "succeeded", "pay_0001")


@pytest.mark.parametrize("key", ["n", "escape"])
async def test_cancelling_the_confirmation_sends_nothing(harness: Harness, key: str) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "100", "tok_visa", confirm=False)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, NewPaymentScreen)
        assert form(app.screen)["amount"] == "100"
    assert harness.journal.recent() == []
    assert payments_in_sandbox(harness) == 0


async def test_enter_on_the_last_field_submits(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"7.50", "enter", "tab", *"tok_amex", "enter", "T", "enter")
        await settle(pilot)  # the confirmation comes once the journal was looked up
        assert type(app.screen) is ConfirmScreen
        assert app.screen.message == "Charge USD 7.50 to tok_amex"


async def test_a_decline_shows_its_reason_and_keeps_the_form(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "12.00", "tok_chargeDeclinedInsufficientFunds", "Order #9")
        screen = app.screen
        assert isinstance(screen, NewPaymentScreen)
        panel = str(screen.query_one(ErrorPanel).content)
        assert "Payment declined" in panel
        assert "insufficient funds" in panel
        assert "pay_0001" in panel
        assert form(screen) == {
            "amount": "12.00",
            "currency": "USD",
            "source": "tok_chargeDeclinedInsufficientFunds",
            "description": "Order #9",
        }
        assert app.focused is screen.query_one("#source")
    [entry] = harness.journal.recent()
    assert (entry.status, entry.payment_id) == ("failed", "pay_0001")


@pytest.mark.parametrize(
    ("amount", "currency", "source", "field", "message"),
    [
        ("abc", "USD", "tok_visa", "amount", "Amount must be a number, like 19.99"),
        ("12.345", "USD", "tok_visa", "amount", "USD allows at most 2 decimal places"),
        ("10.5", "JPY", "tok_visa", "amount", "JPY has no minor unit: enter a whole amount"),
        ("0", "USD", "tok_visa", "amount", "Amount must be greater than zero"),
        ("", "USD", "tok_visa", "amount", "Enter an amount"),
        ("10", "USD", "", "source", "source is required (a payment token such as tok_visa)"),
        ("10", "XXX", "tok_visa", "currency", "XXX is not a currency payments can be made in"),
    ],
)
def test_each_field_gets_the_message_of_money_or_the_model(
    amount: str, currency: str, source: str, field: str, message: str
) -> None:
    request, errors = validate_payment(amount, currency, source, "")
    assert request is None
    assert errors == {field: message}


def test_a_valid_form_is_a_request() -> None:
    request, errors = validate_payment("1,234.50", "EUR", " tok_visa ", "  ")
    assert errors == {}
    assert request is not None
    assert (str(request.amount), request.currency, request.source) == ("1234.50", "EUR", "tok_visa")
    assert request.description is None


async def test_validation_appears_under_the_field_as_you_type(harness: Harness) -> None:
    app = harness.app(mode="test")  # no source to start with, as in sandbox mode
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NewPaymentScreen)
        assert field_error(screen, "amount") == ""  # nothing shouted at an empty form
        await pilot.press(*"12.345")
        assert field_error(screen, "amount") == "USD allows at most 2 decimal places"
        assert field_error(screen, "source") == ""
        await pilot.press("backspace")
        assert field_error(screen, "amount") == ""
        screen.query_one(CurrencySelect).value = "JPY"
        await pilot.pause()
        assert field_error(screen, "amount") == "JPY has no minor unit: enter a whole amount"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewPaymentScreen)  # no confirmation for a bad form
        assert field_error(screen, "source").startswith("source is required")
        assert app.focused is screen.query_one("#amount", Input)


async def test_the_currency_select_is_searchable(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("tab", *"jpy")
        await pilot.pause()
        assert app.screen.query_one(CurrencySelect).value == "JPY"
        await pilot.press("enter", *"swiss", "enter")  # the open list searches names too
        await pilot.pause()
        assert app.screen.query_one(CurrencySelect).value == "CHF"
        assert isinstance(app.screen, NewPaymentScreen)  # "s" went to the search


@pytest.mark.parametrize(
    ("query", "code"),
    [("e", "EGP"), ("eu", "EUR"), ("gbp", "GBP"), ("yen", "JPY"), ("swiss", "CHF"), ("qq", None)],
)
def test_currency_search_prefers_codes_then_names(query: str, code: str | None) -> None:
    assert find_currency(query) == code


async def test_the_form_locks_while_the_request_runs(harness: Harness) -> None:
    client, transport = gated_client(harness)
    app = harness.app(client=client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "100", "tok_visa", confirm=False)
        await pilot.press("y")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NewPaymentScreen)
        assert screen.query_one("#payment-form").disabled
        assert screen.query_one("#payment-progress").display
        await pilot.press("ctrl+s", "enter")
        await wait_for_groups(pilot, ASK)  # not the payment: the gate holds it
        assert app.screen is screen  # no second confirmation
        transport.gate.set()
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
    assert transport.requests == 1
    assert payments_in_sandbox(harness) == 1


async def test_escape_while_charging_stays_until_the_outcome_is_known(harness: Harness) -> None:
    client, transport = gated_client(harness)
    app = harness.app(client=client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "100", "tok_visa", confirm=False)
        await pilot.press("y")
        await pilot.pause()
        screen = app.screen
        await pilot.press("escape", "slash", "h")
        await pilot.pause()
        # Leaving would cancel the request and leave its journal entry pending forever.
        assert app.screen is screen
        assert any("wait for its result" in n.message for n in app._notifications)
        transport.gate.set()
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    [entry] = harness.journal.recent()
    assert entry.status == "succeeded"


async def test_ctrl_q_while_charging_asks_to_be_pressed_again(harness: Harness) -> None:
    client, transport = gated_client(harness)
    app = harness.app(client=client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "100", "tok_visa", confirm=False)
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running
        assert any("ctrl+q again" in n.message for n in app._notifications)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
        transport.gate.set()


@pytest.mark.parametrize(
    ("client_kind", "title"),
    [("wrong_key", "API key not accepted"), ("unreachable", "Cannot reach the API")],
)
async def test_errors_are_plain_and_keep_the_form(
    harness: Harness, client_kind: str, title: str
) -> None:
    client = (
        harness.client(api_key="sk_test_not_the_right_key")
        if client_kind == "wrong_key"
        else unreachable_client()
    )
    app = harness.app(client=client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "5", "tok_visa")
        screen = app.screen
        assert isinstance(screen, NewPaymentScreen)
        assert str(screen.query_one(ErrorPanel).content).startswith(title)
        assert form(screen)["amount"] == "5"
        assert not screen.query_one("#payment-form").disabled
    [entry] = harness.journal.recent()
    assert entry.status == "failed"


async def test_an_unknown_outcome_is_recorded_and_a_retry_charges_once(harness: Harness) -> None:
    dropping = harness.client(harness.sandbox(Faults(drop_after_commit=1.0)), max_retries=0)
    app = harness.app(client=dropping)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "19.99", "tok_amex", "Order #1004")
        screen = app.screen
        assert isinstance(screen, NewPaymentScreen)
        assert str(screen.query_one(ErrorPanel).content).startswith("Outcome unknown")
        [entry] = harness.journal.unknown()
        assert payments_in_sandbox(harness) == 1  # it did reach the server

        assert app.ctx.profile is not None
        await app.use_client(app.ctx.profile, harness.client())  # the sandbox recovers
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#unknown").display
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert entry.idempotency_key[-8:] in app.screen.message
        await pilot.press("y")
        await settle(pilot)
        assert not app.screen.query_one("#unknown").display
    assert harness.journal.unknown() == []
    settled = harness.journal.get(entry.id)
    assert settled is not None and settled.status == "succeeded"
    assert payments_in_sandbox(harness) == 1


async def pay_with_unknown_outcome(
    harness: Harness, app: PaymentsConsoleApp, pilot: Pilot[None]
) -> JournalEntry:
    """USD 19.99 to tok_amex through a sandbox that drops the answer after charging, then
    back on a working client (the form still filled in); returns the unknown entry."""
    dropping = harness.client(harness.sandbox(Faults(drop_after_commit=1.0)), max_retries=0)
    assert app.ctx.profile is not None
    await app.use_client(app.ctx.profile, dropping)
    await settle(pilot)
    await take_payment(pilot, "19.99", "tok_amex")
    assert isinstance(app.screen, NewPaymentScreen)
    assert str(app.screen.query_one(ErrorPanel).content).startswith("Outcome unknown")
    [entry] = harness.journal.unknown()
    assert payments_in_sandbox(harness) == 1  # it did reach the server
    await app.use_client(app.ctx.profile, harness.client())  # the sandbox recovers
    return entry


async def resubmit(pilot: Pilot[None], entry: JournalEntry) -> ResendConfirmScreen:
    """ctrl+s on the same form: the question offers to settle `entry`."""
    await pilot.press("ctrl+s")
    await settle(pilot)  # the journal is looked up before the question
    question = pilot.app.screen
    assert isinstance(question, ResendConfirmScreen)
    assert question.message.startswith(
        "Charge USD 19.99 to tok_amex\n\n"
        f"An identical payment of {local_time(entry.created_at, UTC)} has an unknown outcome."
    )
    return question


async def test_resubmitting_after_an_unknown_outcome_settles_it_with_its_key(
    harness: Harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        entry = await pay_with_unknown_outcome(harness, app, pilot)
        await resubmit(pilot, entry)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
        assert app.screen.payment_id == "pay_0001"  # the payment the lost answer was about
    [settled] = harness.journal.recent()
    assert (settled.id, settled.idempotency_key, settled.status, settled.payment_id) == (
        entry.id,
        entry.idempotency_key,
        "succeeded",
        "pay_0001",
    )
    assert payments_in_sandbox(harness) == 1


async def test_a_after_an_unknown_outcome_makes_a_separate_payment(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        entry = await pay_with_unknown_outcome(harness, app, pilot)
        await resubmit(pilot, entry)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
        assert app.screen.payment_id == "pay_0002"
    new, old = harness.journal.recent()
    assert (old.id, old.status) == (entry.id, "unknown")  # only its own key settles it
    assert (new.status, new.payment_id) == ("succeeded", "pay_0002")
    assert new.idempotency_key != entry.idempotency_key
    assert payments_in_sandbox(harness) == 2


async def test_n_after_an_unknown_outcome_sends_nothing(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        entry = await pay_with_unknown_outcome(harness, app, pilot)
        await resubmit(pilot, entry)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewPaymentScreen)
    [still] = harness.journal.recent()
    assert (still.id, still.status) == (entry.id, "unknown")
    assert payments_in_sandbox(harness) == 1


async def test_a_different_payment_after_an_unknown_outcome_is_a_plain_confirmation(
    harness: Harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        entry = await pay_with_unknown_outcome(harness, app, pilot)
        amount = app.screen.query_one("#amount", Input)
        amount.focus()
        amount.value = "20.00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen) is ConfirmScreen  # not an identical request
        assert app.screen.message == "Charge USD 20.00 to tok_amex"
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
    new, old = harness.journal.recent()
    assert (old.id, old.status) == (entry.id, "unknown")
    assert (new.status, new.amount) == ("succeeded", Decimal("20.00"))
    assert payments_in_sandbox(harness) == 2


async def test_a_locked_journal_when_the_answer_arrives_shows_the_payment_and_never_twice(
    harness: Harness,
) -> None:
    locker = LockJournalOnRequest(harness.sandbox(), harness.journal.path)
    sandbox_key = harness.sandbox().state.api_key
    client = PaymentsClient(BASE_URL, sandbox_key, transport=locker, max_retries=0)
    app = harness.app(client=client)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await take_payment(pilot, "12.00", "tok_visa")
        locker.release()
        assert isinstance(app.screen, PaymentDetailScreen)  # the answer is shown...
        assert app.screen.payment_id == "pay_0001"
        [warning] = [n for n in app._notifications if n.title == "Journal not updated"]
        assert "could not record the result" in warning.message
        [entry] = harness.journal.recent()
        assert entry.status == "pending"  # ...though the journal could not record it
        await app.use_client(app.ctx.profile, harness.client())  # type: ignore[arg-type]
        await pilot.press("escape")
        await settle(pilot)
        # Taking the same payment again offers to settle it, and settles it with its key.
        await take_payment(pilot, "12.00", "tok_visa", confirm=False)
        assert isinstance(app.screen, ResendConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
        assert app.screen.payment_id == "pay_0001"
    [settled] = harness.journal.recent()
    assert (settled.id, settled.status) == (entry.id, "succeeded")
    assert payments_in_sandbox(harness) == 1


async def test_the_first_key_typed_as_the_form_appears_is_not_lost(harness: Harness) -> None:
    """The amount field has the focus as soon as it is drawn, before the rest of the form
    (the currency list) is mounted: "12.34" typed then is not "2.34"."""
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = NewPaymentScreen()
        app.push_screen(screen)
        while not (screen.query("#amount") and screen.query_one("#amount").is_mounted):
            await asyncio.sleep(0)
        assert not screen.is_mounted  # the form is still being mounted
        await pilot.press(*"12.34")
        await pilot.pause()
        assert form(screen)["amount"] == "12.34"


@pytest.mark.parametrize(("mode", "source"), [("sandbox", SANDBOX_SOURCE), ("test", "")])
async def test_placeholders_are_hints_and_a_sandbox_form_starts_with_a_source(
    harness: Harness, mode: Mode, source: str
) -> None:
    app = harness.app(mode=mode)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NewPaymentScreen)
        for name in ("amount", "source", "description"):
            assert screen.query_one(f"#{name}", Input).placeholder.startswith("e.g. ")
        assert form(screen)["source"] == source  # a value, not a dim placeholder
        await pilot.press(*"10", "ctrl+s")
        await settle(pilot)
        if source:
            assert isinstance(app.screen, ConfirmScreen)
            assert app.screen.message == "Charge USD 10.00 to tok_visa"
        else:
            assert field_error(screen, "source").startswith("source is required")


async def test_a_new_mistake_replaces_the_apis_refusal(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "12.00", "tok_unknown")
        screen = app.screen
        assert isinstance(screen, NewPaymentScreen)
        panel = screen.query_one(ErrorPanel)
        assert str(panel.content).startswith("Request refused")
        amount = screen.query_one("#amount", Input)
        amount.focus()
        await pilot.press("end", "5")  # 12.005: a different error
        assert field_error(screen, "amount") == "USD allows at most 2 decimal places"
        assert not panel.display  # the old banner is not left above it


async def test_after_a_payment_escape_goes_home_not_back_through_older_ones(
    harness: Harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await take_payment(pilot, "10", "tok_visa")
        assert isinstance(app.screen, PaymentDetailScreen)
        await take_payment(pilot, "20", "tok_visa")  # n on the first payment's page
        assert isinstance(app.screen, PaymentDetailScreen)
        assert app.screen.payment_id == "pay_0002"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert len(app.screen_stack) == 1


async def test_a_on_the_result_takes_another_payment_in_the_same_currency(
    harness: Harness,
) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(CurrencySelect).value = "EUR"
        await pilot.press(*"42.50", "ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        result = app.screen
        assert isinstance(result, PaymentDetailScreen)
        assert "a takes another payment in EUR" in text_of(result, "#result-hint")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, NewPaymentScreen)
        assert form(app.screen)["currency"] == "EUR"
        assert form(app.screen)["amount"] == ""
        await pilot.press(*"7", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.message == "Charge EUR 7.00 to tok_visa"
