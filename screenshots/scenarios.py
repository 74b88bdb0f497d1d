"""Deterministic scenarios of the console against an in-process sandbox.

Shared by the snapshot tests (tests/tui/test_snapshots.py) and `make screenshots`
(screenshots/generate.py), so both show exactly the same states: a fixed clock, sequential
ids, UTC times and steady cursors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from textual import events
from textual.pilot import Pilot

from console.api.client import PaymentsClient
from console.api.errors import CardError
from console.api.models import PaymentCreate, RefundCreate
from console.app import PaymentsConsoleApp, make_app
from console.config import Mode, Profile, Settings
from console.context import Connector
from console.journal import Journal, Kind
from console.operations import OperationFailed, Operations
from console.sandbox.app import create_app
from console.sandbox.faults import Faults
from console.session import ClientFactory

SIZE = (100, 30)
START = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
BASE_URL = "http://127.0.0.1/v1"


class TickingClock:
    """Starts at START and moves 37 seconds at every reading."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=37)
        return self.now


class SequentialIds:
    """`pay_0001`, `pay_0002`, `refund_0001`, `req_0001`..."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, prefix: str) -> str:
        self.counts[prefix] += 1
        return f"{prefix}_{self.counts[prefix]:04d}"


def profile(mode: Mode = "sandbox", *, read_only: bool = False) -> Profile:
    return Profile(
        name="demo-shop" if mode != "sandbox" else "sandbox",
        base_url=BASE_URL,
        mode=mode,
        read_only=read_only,
    )


@dataclass
class Harness:
    """A sandbox on a file database, a journal and what builds clients and apps on them."""

    workdir: Path
    journal: Journal
    sandbox_clock: TickingClock = field(default_factory=TickingClock)
    console_clock: TickingClock = field(default_factory=TickingClock)
    ids: SequentialIds = field(default_factory=SequentialIds)
    sandboxes: list[Any] = field(default_factory=list)

    @property
    def db_path(self) -> Path:
        return self.workdir / "sandbox.db"

    def sandbox(self, faults: Faults | None = None) -> Any:
        """A sandbox app on the shared database (a new one per call, e.g. with faults)."""
        app = create_app(self.db_path, faults=faults, clock=self.sandbox_clock, id_factory=self.ids)
        self.sandboxes.append(app)
        return app

    def client(
        self, sandbox: Any | None = None, *, api_key: str | None = None, max_retries: int = 1
    ) -> PaymentsClient:
        sandbox = sandbox if sandbox is not None else self.sandbox()
        return PaymentsClient(
            BASE_URL,
            api_key or sandbox.state.api_key,
            transport=httpx.ASGITransport(app=sandbox),
            max_retries=max_retries,
            retry_delay=0.01,
            max_retry_delay=0.01,
        )

    def client_factory(self, profile: Profile, api_key: str) -> PaymentsClient:
        """Clients for profiles typed in the console, routed to the in-process sandbox."""
        return self.client(api_key=api_key)

    def connector(self) -> Connector:
        """What the first-run screen's "local sandbox" button calls."""

        async def connect() -> tuple[Profile, PaymentsClient]:
            return profile(), self.client()

        return connect

    def app(
        self,
        *,
        client: PaymentsClient | None = None,
        connected: bool = True,
        mode: Mode = "sandbox",
        connect: Connector | None = None,
        client_factory: ClientFactory | None = None,
        read_only: bool = False,
        keymap: dict[str, str] | None = None,
    ) -> PaymentsConsoleApp:
        chosen = profile(mode, read_only=read_only) if connected else None
        if connected and client is None:
            client = self.client()
        settings = Settings(
            profiles={chosen.name: chosen} if chosen else {},
            default_profile=chosen.name if chosen else None,
            keymap=keymap or {},
        )
        return make_app(
            client=client,
            journal=self.journal,
            settings=settings,
            profile=chosen,
            clock=self.console_clock,
            config_path=self.workdir / "config.toml",
            sandbox=self.connector(),
            connect=connect,
            client_factory=client_factory or self.client_factory,
            display_tz=UTC,
            cursor_blink=False,
        )

    def close(self) -> None:
        self.journal.close()
        for sandbox in self.sandboxes:
            sandbox.state.store.close()


def make_harness(workdir: Path) -> Harness:
    return Harness(workdir=workdir, journal=Journal(workdir / "journal.sqlite3", operator="alice"))


# --- driving the app -------------------------------------------------------------------


async def settle(pilot: Pilot[Any]) -> None:
    """Let every worker finish and the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def paste(pilot: Pilot[Any], text: str) -> None:
    """Paste `text` into the focused field, as a terminal delivers a paste."""
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def take_payment(
    pilot: Pilot[Any], amount: str, source: str, description: str = "", *, confirm: bool = True
) -> None:
    """From a screen without a focused text field: n, fill the form, ctrl+s (and y).

    The amount is typed key by key; the token and description are pasted. The
    confirmation appears once the journal was looked up (a worker), so it is waited for.
    """
    await pilot.press("n")
    await pilot.pause()
    await pilot.press(*amount, "enter", "tab")
    await paste(pilot, source)
    await pilot.press("enter")
    if description:
        await paste(pilot, description)
    await pilot.press("ctrl+s")
    await settle(pilot)
    if confirm:
        await pilot.press("y")
        await settle(pilot)


async def seed_activity(app: PaymentsConsoleApp) -> None:
    """Two payments (one partly refunded), a decline, and an operation with unknown outcome
    (sent as by an earlier run: the profile may be read-only now)."""
    ctx = app.ctx
    operations = Operations(ctx.require_client(), ctx.journal, ctx.profile_name, ctx.clock)

    async def pay(amount: str, currency: str, source: str, description: str) -> str:
        request = PaymentCreate(
            amount=Decimal(amount), currency=currency, source=source, description=description
        )
        sent = await operations.create_payment(request)
        return sent.result.id

    first = await pay("100.00", "USD", "tok_visa", "Order #1001")
    await operations.create_refund(RefundCreate(payment_id=first, amount=Decimal("25.00")))
    await pay("42.50", "EUR", "tok_mastercard", "Order #1002")
    try:
        await pay("5.00", "USD", "tok_chargeDeclined", "Order #1003")
    except OperationFailed as failed:
        if not isinstance(failed.cause, CardError):
            raise
    request = PaymentCreate(
        amount=Decimal("19.99"), currency="USD", source="tok_amex", description="Order #1004"
    )
    entry = ctx.journal.record_pending(
        kind="payment",
        profile=ctx.profile_name,
        idempotency_key="c0ffee00-0000-4000-8000-000000001004",
        request=request.to_wire(),
        now=ctx.clock(),
        amount=request.amount,
        currency="USD",
    )
    ctx.journal.record_result(
        entry,
        status="unknown",
        now=ctx.clock(),
        error="The connection closed before the API answered; the request may have gone through.",
    )


def seed_days(journal: Journal, profile: str = "sandbox") -> None:
    """The thirteen days before START's: payments in USD, EUR and JPY, and a USD refund
    every few days, written to the journal as the console records them, so that the
    home's sparklines of net volume have a history."""
    takings = (
        ("USD", Decimal("37.00"), 4),
        ("EUR", Decimal("23.00"), 3),
        ("JPY", Decimal(1900), 2),
    )
    for back in range(13, 0, -1):
        day = START - timedelta(days=back, hours=5)
        for currency, unit, count in takings:
            for number in range(count - (back % 5 == 0)):
                amount = unit * (1 + (back * 7 + number * 3) % 9)
                at = day + timedelta(minutes=41 * number + len(currency))
                name = f"d{back:02d}{currency}{number}"
                record_settled(journal, "payment", name, at, amount, currency, profile=profile)
        if back % 4 == 1:
            at = day + timedelta(hours=3)
            refund = f"d{back:02d}refund"
            record_settled(journal, "refund", refund, at, Decimal("30.00"), "USD", profile=profile)


def record_settled(
    journal: Journal,
    kind: Kind,
    name: str,
    at: datetime,
    amount: Decimal,
    currency: str,
    *,
    profile: str = "sandbox",
    payment_id: str | None = None,
) -> None:
    """One succeeded operation, recorded and answered at `at`: a payment `pay_<name>`,
    or a refund `refund_<name>` of `payment_id` (default `pay_<name>`)."""
    payment_id = payment_id or f"pay_{name}"
    request: dict[str, Any] = {"amount": amount, "currency": currency, "source": "tok_visa"}
    if kind == "refund":
        request = {"payment_id": payment_id, "amount": amount}
    entry = journal.record_pending(
        kind=kind,
        profile=profile,
        idempotency_key=f"{name}-0000-4000-8000-000000000000",
        request=request,
        now=at,
        payment_id=payment_id if kind == "refund" else None,
        amount=amount,
        currency=currency,
    )
    answer = {"id": payment_id if kind == "payment" else f"refund_{name}", "amount": amount}
    journal.record_result(entry, status="succeeded", now=at, response=answer)


# --- the scenarios -----------------------------------------------------------------------

RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    """One state of the console: how to reach it, and keys typed last (no IO after them)."""

    name: str
    description: str
    run_before: RunBefore
    press: tuple[str, ...] = ()
    connected: bool = True
    mode: Mode = "sandbox"
    read_only: bool = False

    async def prepare(self, pilot: Pilot[Any]) -> None:
        """Everything before the final key presses: a first pause, then the scenario."""
        await pilot.pause()
        await self.run_before(pilot)


async def _home_empty(pilot: Pilot[Any]) -> None:
    await settle(pilot)


async def home_with_activity(pilot: Pilot[Any]) -> None:
    """Home, once `seed_activity` ran and the screen reloaded (g)."""
    await settle(pilot)
    await seed_activity(pilot.app)  # type: ignore[arg-type]
    await pilot.press("g")
    await settle(pilot)


async def home_with_figures(pilot: Pilot[Any]) -> None:
    """Home with two weeks of takings in three currencies (`seed_days`), then today's
    activity (`seed_activity`, an unknown outcome among it)."""
    await settle(pilot)
    seed_days(pilot.app.ctx.journal)  # type: ignore[attr-defined]
    await home_with_activity(pilot)


async def _retry_confirm(pilot: Pilot[Any]) -> None:
    await home_with_activity(pilot)
    await pilot.press("u")
    await pilot.pause()


async def _new_payment(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("n")
    await pilot.pause()


async def _new_payment_currency(pilot: Pilot[Any]) -> None:
    await _new_payment(pilot)
    await pilot.press(*"250", "tab", *"jp", "enter")  # picks JPY, then opens the list
    await pilot.pause()


async def _confirm(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await take_payment(pilot, "100", "tok_visa", "Order #1001", confirm=False)


async def _paid(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await take_payment(pilot, "100", "tok_visa", "Order #1001")


async def _declined(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await take_payment(pilot, "12.00", "tok_chargeDeclinedInsufficientFunds", "Order #1005")


async def _find(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("slash")
    await pilot.pause()


async def _found(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await seed_activity(pilot.app)  # type: ignore[arg-type]
    await _find(pilot)
    await pilot.press(*"pay_0001", "enter")
    await settle(pilot)


async def _not_found(pilot: Pilot[Any]) -> None:
    await _find(pilot)
    await pilot.press(*"pay_9999", "enter")
    await settle(pilot)


async def _help(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("f1")
    await pilot.pause()


SCENARIOS = (
    Scenario("home_empty", "Home, nothing sent yet", _home_empty),
    Scenario("home", "Home with recent activity and an unknown outcome", home_with_activity),
    Scenario(
        "home_figures",
        "Home: today's figures per currency and 14 days of net volume",
        home_with_figures,
    ),
    Scenario("home_retry_confirm", "Retrying an operation with unknown outcome", _retry_confirm),
    Scenario("home_live", "The LIVE badge of a live-mode profile", _home_empty, mode="live"),
    Scenario(
        "home_read_only",
        "A read-only profile: READ-ONLY beside the mode, no key that pays or refunds",
        home_with_activity,
        read_only=True,
    ),
    Scenario("home_test", "The TEST badge of a test-mode profile", _home_empty, mode="test"),
    Scenario("new_payment", "New payment, empty form", _new_payment),
    Scenario(
        "new_payment_invalid",
        "Validation as you type: too many decimals, no source",
        _new_payment,
        press=(*"12.345", "tab", "tab", "t", "backspace"),
    ),
    Scenario(
        "new_payment_currency",
        "Searching the currency select",
        _new_payment_currency,
        press=tuple("swiss"),
    ),
    Scenario("new_payment_confirm", "The confirmation before charging", _confirm),
    Scenario("payment_detail", "A payment just taken", _paid),
    Scenario("new_payment_declined", "A declined card; the form keeps what was typed", _declined),
    Scenario("find_payment", "Find payment, empty", _find),
    Scenario("find_payment_bad_id", "An ID of the wrong shape", _find, press=(*"12345", "enter")),
    Scenario("find_payment_found", "A payment found, with its refunds", _found),
    Scenario("find_payment_not_found", "Payment not found", _not_found),
    Scenario("first_run", "First run: no profile and no key", _home_empty, connected=False),
    Scenario("help", "Every key binding", _help),
    Scenario("help_filtered", "The help, filtered as you type", _help, press=tuple("receipt")),
)

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def build(scenario: Scenario, harness: Harness) -> PaymentsConsoleApp:
    return harness.app(
        connected=scenario.connected, mode=scenario.mode, read_only=scenario.read_only
    )
