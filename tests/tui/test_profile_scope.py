"""Home and history show the current profile's operations only; a retry never crosses
profiles (another profile's operation went to another API, perhaps a live one)."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import DataTable, Static

from console.journal import Status
from console.screens.confirm import ConfirmScreen
from console.screens.history import HistoryScreen
from console.screens.home import HomeScreen
from console.widgets.history_table import HistoryTable
from screenshots.scenarios import SIZE, Harness, home_with_activity, profile, settle
from tests.tui.helpers import open_screen, payments_in_sandbox, text_of


def record_other_profile(harness: Harness) -> list[int]:
    """On profile demo-shop: a USD 7.00 payment that succeeded, a USD 8.00 unknown one."""
    ids = []
    for amount, status in (("7.00", "succeeded"), ("8.00", "unknown")):
        request = {"amount": Decimal(amount), "currency": "USD", "source": "tok_visa"}
        entry = harness.journal.record_pending(
            kind="payment",
            profile="demo-shop",
            idempotency_key=f"demo-shop-{amount}",
            request=request,
            now=harness.console_clock(),
            amount=Decimal(amount),
            currency="USD",
        )
        result: Status = status  # type: ignore[assignment]
        response = {"id": f"pay_demo_{amount}"} if status == "succeeded" else None
        harness.journal.record_result(
            entry,
            status=result,
            now=harness.console_clock(),
            response=response,
            error=None if response else "dropped",
        )
        ids.append(entry)
    return ids


def amounts(table: DataTable[object], column: int = 3) -> list[str]:
    return [str(table.get_row_at(row)[column]).strip() for row in range(table.row_count)]


async def test_home_and_history_show_the_current_profiles_operations(harness: Harness) -> None:
    record_other_profile(harness)
    app = harness.app()  # on profile sandbox
    async with app.run_test(size=SIZE) as pilot:
        await home_with_activity(pilot)  # five operations on profile sandbox
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert "USD 7.00" not in amounts(home.query_one("#recent", DataTable))
        assert home.query_one("#recent", DataTable).row_count == 5
        assert amounts(home.query_one("#unknown", DataTable)) == ["USD 19.99"]
        title = str(home.query_one("#unknown-title", Static).content)
        assert "1 operation with an unknown outcome" in title

        history = await open_screen(pilot, HistoryScreen, "h")
        assert history.query_one(HistoryTable).row_count == 5
        assert text_of(history, "#history-count") == "5 operations on profile sandbox, newest first"

        await app.use_client(profile("test"), harness.client())  # profile demo-shop
        await settle(pilot)
        assert amounts(history.query_one(HistoryTable)) == ["USD 8.00", "USD 7.00"]
        assert text_of(history, "#history-count") == (
            "2 operations on profile demo-shop, newest first"
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home
        assert amounts(home.query_one("#recent", DataTable)) == ["USD 8.00", "USD 7.00"]
        assert amounts(home.query_one("#unknown", DataTable)) == ["USD 8.00"]


async def test_an_operation_of_another_profile_is_not_retried(harness: Harness) -> None:
    """The retry was asked on profile sandbox; the profile changed before the answer."""
    app = harness.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await home_with_activity(pilot)
        [unknown] = app.ctx.journal.unknown()
        payments = payments_in_sandbox(harness)
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await app.use_client(profile("test"), harness.client())  # profile demo-shop
        await pilot.press("y")
        await settle(pilot)
        notices = [n for n in app._notifications if n.title == "Cannot retry"]
        assert [n.message for n in notices] == [
            f"Journal entry {unknown.id} was sent on profile sandbox, not on demo-shop, the "
            "profile in use: switch to profile sandbox to send it again"
        ]
        assert payments_in_sandbox(harness) == payments
        still = app.ctx.journal.get(unknown.id)
        assert still is not None and still.status == "unknown"
