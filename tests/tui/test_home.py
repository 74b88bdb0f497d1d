"""Home: recent activity from the journal, opening a row, unknown outcomes shown first."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from console.screens.home import HomeScreen, describe_entry
from console.screens.payment_detail import PaymentDetailScreen
from screenshots.scenarios import SIZE, Harness, home_with_activity, seed_activity, settle


async def test_recent_activity_lists_the_journal_newest_first(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await home_with_activity(pilot)
        table = app.screen.query_one("#recent", DataTable)
        rows = [[str(cell).strip() for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[1:] for row in rows] == [
            ["payment", "—", "USD 19.99", "UNKNOWN"],
            ["payment", "pay_0003", "USD 5.00", "FAILED"],
            ["payment", "pay_0002", "EUR 42.50", "SUCCEEDED"],
            ["refund", "pay_0001", "USD 25.00", "SUCCEEDED"],
            ["payment", "pay_0001", "USD 100.00", "SUCCEEDED"],
        ]
        # The console clock ticks 37 s at every reading: the home screen's first load and
        # the journal lookup before the first payment read it before it is recorded.
        assert rows[-1][0] == "2026-03-02 14:31:51 UTC"
        unknown = app.screen.query_one("#unknown", DataTable)
        assert unknown.display and unknown.row_count == 1
        assert "1 operation with an unknown outcome" in str(
            app.screen.query_one("#unknown-title", Static).content
        )


async def test_enter_on_a_row_opens_its_payment(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await home_with_activity(pilot)
        table = app.screen.query_one("#recent", DataTable)
        table.focus()
        table.move_cursor(row=2)  # EUR 42.50
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)
        assert app.screen.payment_id == "pay_0002"
        assert "EUR 42.50" in str(app.screen.query_one(".payment-fields", Static).content)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_the_home_screen_follows_new_payments(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#recent", DataTable).row_count == 0
        await seed_activity(app)
        await pilot.press("slash", "escape")  # coming back to home reloads it
        await settle(pilot)
        assert app.screen.query_one("#recent", DataTable).row_count == 5


def test_entries_are_described_for_the_retry_confirmation(harness: Harness) -> None:
    entry_id = harness.journal.record_pending(
        kind="refund",
        profile="sandbox",
        idempotency_key="k",
        request={"payment_id": "pay_1"},
        now=harness.console_clock(),
        payment_id="pay_1",
    )
    entry = harness.journal.get(entry_id)
    assert entry is not None
    assert describe_entry(entry) == "full refund of pay_1"


async def test_many_unknown_outcomes_show_the_newest_and_count_them_all(harness: Harness) -> None:
    from decimal import Decimal

    from console.screens.home import UNKNOWN_LIMIT

    journal = harness.journal
    for number in range(UNKNOWN_LIMIT + 5):
        entry = journal.record_pending(
            kind="payment",
            profile="sandbox",
            idempotency_key=f"key-{number}",
            request={"amount": Decimal("1.00"), "currency": "USD", "source": "tok_visa"},
            now=harness.console_clock(),
            amount=Decimal("1.00"),
            currency="USD",
        )
        journal.record_result(entry, status="unknown", now=harness.console_clock(), error="dropped")
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#unknown", DataTable).row_count == UNKNOWN_LIMIT
        title = str(app.screen.query_one("#unknown-title", Static).content)
        assert f"{UNKNOWN_LIMIT + 5} operations with an unknown outcome" in title
        assert f"the newest {UNKNOWN_LIMIT} here" in title


async def test_a_retry_that_cannot_reach_the_api_leaves_it_unknown(harness: Harness) -> None:
    from decimal import Decimal

    from console.api.client import PaymentsClient

    journal = harness.journal
    entry = journal.record_pending(
        kind="payment",
        profile="sandbox",
        idempotency_key="key-lost",
        request={"amount": Decimal("3.00"), "currency": "USD", "source": "tok_visa"},
        now=harness.console_clock(),
        amount=Decimal("3.00"),
        currency="USD",
    )
    journal.record_result(entry, status="unknown", now=harness.console_clock(), error="dropped")
    down = PaymentsClient("http://127.0.0.1:9/v1", "sk_test_x1234567", max_retries=0)
    app = harness.app(client=down)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("u", "y")
        await settle(pilot)
        [notice] = app._notifications
        assert notice.title == "Outcome still unknown"
        assert "Could not connect" in notice.message
        assert isinstance(app.screen, HomeScreen)
        assert [e.id for e in app.screen.unknown] == [entry]  # still offered for `u`
    still = journal.get(entry)
    assert still is not None
    assert (still.status, still.idempotency_key) == ("unknown", "key-lost")
