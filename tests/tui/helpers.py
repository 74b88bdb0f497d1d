"""Small helpers shared by the TUI tests."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from console.api.client import PaymentsClient
from console.app import PaymentsConsoleApp
from screenshots.scenarios import BASE_URL, SIZE, Harness, paste, seed_activity, settle

ScreenT = TypeVar("ScreenT", bound=Screen[Any])


async def open_screen(pilot: Pilot[Any], screen_type: type[ScreenT], *keys: str) -> ScreenT:
    """Press `keys`, let the workers finish, and return the screen then shown (a `screen_type`)."""
    await pilot.press(*keys)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, screen_type)
    return screen


@asynccontextmanager
async def with_activity(
    harness: Harness, size: tuple[int, int] = SIZE, **options: Any
) -> AsyncIterator[tuple[PaymentsConsoleApp, Pilot[None]]]:
    """The console running at `size`, settled, `seed_activity`'s payments and refunds in
    its journal (`options`: more of `run_test`'s)."""
    app = harness.app()
    async with app.run_test(size=size, **options) as pilot:
        await settle(pilot)
        await seed_activity(app)
        yield app, pilot


async def until_opened(pilot: Pilot[Any]) -> None:
    """Until the console's loader is done, or failed (it starts once the first screen has
    been still for a moment: `console.app.LOADER_GRACE`)."""
    app = pilot.app
    for _ in range(200):
        if getattr(app, "loaded", True) or getattr(app, "load_error", None) is not None:
            return
        await pilot.pause(0.05)
    raise AssertionError("the console never finished opening")


async def wait_for_groups(pilot: Pilot[Any], *groups: str) -> None:
    """Let the workers of `groups` finish (others, e.g. a request held by a gate, may run on)."""
    await pilot.pause()
    workers = [worker for worker in pilot.app.workers if worker.group in groups]
    if workers:  # (an empty list would mean every worker)
        await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()


def text_of(where: Pilot[Any] | DOMNode, selector: str) -> str:
    """The text a widget shows, looked up in a screen (or a pilot's current screen)."""
    node = where.app.screen if isinstance(where, Pilot) else where
    return str(node.query_one(selector).render())


def field_error(where: Pilot[Any] | DOMNode, name: str) -> str:
    """The message on the error line of field `name` ("" when there is none)."""
    return text_of(where, f"#{name}-error")


async def fill(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Focus an input and replace its text by a paste, as a merchant pastes a URL or a key."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    await paste(pilot, text)


def payments_in_sandbox(harness: Harness) -> int:
    with sqlite3.connect(harness.db_path) as db:
        return int(db.execute("SELECT count(*) FROM payments").fetchone()[0])


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unreachable_client() -> PaymentsClient:
    return PaymentsClient(
        f"http://127.0.0.1:{closed_port()}/v1", "sk_test_unreachable", max_retries=0
    )


class GatedTransport(httpx.AsyncBaseTransport):
    """Holds every request until `gate` is set, then hands it to the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        await self.gate.wait()
        return await self.inner.handle_async_request(request)


def gated_client(harness: Harness) -> tuple[PaymentsClient, GatedTransport]:
    sandbox = harness.sandbox()
    transport = GatedTransport(httpx.ASGITransport(app=sandbox))
    client = PaymentsClient(BASE_URL, sandbox.state.api_key, transport=transport)
    return client, transport
