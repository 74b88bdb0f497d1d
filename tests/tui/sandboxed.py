"""A console wired to an in-process sandbox, with deterministic ids and a fixed clock.

Used by the refund, history and settings tests (pilot and snapshot): `build_console`
returns the app (from `make_app`), its journal, and a way to act on the same sandbox as
"another client" (a payment made elsewhere, a refund racing the console's).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from console.api.client import PaymentsClient
from console.api.models import Payment, PaymentCreate, Refund, RefundCreate
from console.app import PaymentsConsoleApp, make_app
from console.config import Mode, Profile, Settings
from console.journal import Journal
from console.sandbox.app import create_app

if TYPE_CHECKING:
    from fastapi import FastAPI

BASE_URL = "http://127.0.0.1/v1"
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict (never on disk)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None


def counting_ids() -> Callable[[str], str]:
    """'pay_0001', 'refund_0001', 'req_0001'... one counter per prefix."""
    counters: dict[str, Iterator[int]] = {}

    def new_id(prefix: str) -> str:
        counter = counters.setdefault(prefix, itertools.count(1))
        return f"{prefix}_{next(counter):04d}"

    return new_id


def ticking_clock(start: datetime = FIXED_NOW) -> Callable[[], datetime]:
    """A clock that advances one second per call, so journal order reads naturally."""
    ticks = itertools.count()

    def now() -> datetime:
        return start + timedelta(seconds=next(ticks))

    return now


class FlakyTransport(httpx.AsyncBaseTransport):
    """The sandbox behind a network that fails on demand.

    `refuse` fails every request before it is sent (server unreachable); `drop_posts`
    lets that many POSTs reach the sandbox and then loses their answers.
    """

    def __init__(self, sandbox: FastAPI) -> None:
        self.inner = httpx.ASGITransport(sandbox)
        self.refuse = False
        self.drop_posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.refuse:
            raise httpx.ConnectError("connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and self.drop_posts > 0:
            self.drop_posts -= 1
            await response.aread()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


@dataclass
class Console:
    app: PaymentsConsoleApp
    sandbox: FastAPI
    journal: Journal
    settings: Settings
    profile: Profile
    config_path: Path
    clients: list[PaymentsClient] = field(default_factory=list)
    network: FlakyTransport | None = None
    """The transport of the console's own client (not of the other clients)."""

    @property
    def api_key(self) -> str:
        key: str = self.sandbox.state.api_key
        return key

    def client(
        self, api_key: str | None = None, transport: httpx.AsyncBaseTransport | None = None
    ) -> PaymentsClient:
        """A client on this sandbox, closed by `aclose` (the console's own or another's)."""
        client = PaymentsClient(
            BASE_URL,
            api_key if api_key is not None else self.api_key,
            max_retries=0,
            transport=transport or httpx.ASGITransport(self.sandbox),
        )
        self.clients.append(client)
        return client

    def client_factory(self, profile: Profile, api_key: str) -> PaymentsClient:
        return self.client(api_key)

    async def pay(self, amount: str, currency: str = "USD", source: str = "tok_visa") -> Payment:
        """A payment made by another client (not in the console's journal)."""
        request = PaymentCreate(amount=Decimal(amount), currency=currency, source=source)
        return await self.client().create_payment(request)

    async def refund(self, payment_id: str, amount: str | None = None) -> Refund:
        """A refund made by another client."""
        request = RefundCreate(
            payment_id=payment_id, amount=None if amount is None else Decimal(amount)
        )
        return await self.client().create_refund(request)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
        self.journal.close()
        self.sandbox.state.store.close()


def build_console(
    tmp_path: Path,
    *,
    mode: Mode = "sandbox",
    journal: Journal | None = None,
    settings: Settings | None = None,
    connected: bool = True,
) -> Console:
    """The console on a fresh sandbox (tmp database), a tmp journal and a tmp config path."""
    sandbox = create_app(
        tmp_path / "sandbox.db", clock=ticking_clock(FIXED_NOW), id_factory=counting_ids()
    )
    profile = Profile(name="shop", base_url=BASE_URL, mode=mode)
    settings = settings or Settings(profiles={"shop": profile}, default_profile="shop")
    console = Console(
        app=None,  # type: ignore[arg-type]  # set just below, it needs the factory
        sandbox=sandbox,
        journal=journal or Journal(tmp_path / "journal.sqlite3"),
        settings=settings,
        profile=profile,
        config_path=tmp_path / "config.toml",
    )
    console.network = FlakyTransport(sandbox)
    console.app = make_app(
        client=console.client(transport=console.network) if connected else None,
        journal=console.journal,
        settings=settings,
        profile=profile if connected else None,
        clock=ticking_clock(FIXED_NOW + timedelta(hours=1)),
        config_path=console.config_path,
        client_factory=console.client_factory,
    )
    console.app.ctx.display_tz = UTC
    return console
