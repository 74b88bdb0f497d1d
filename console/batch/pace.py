"""The pace of a batch: a 429 on any request holds every request of the batch for its
`Retry-After`, not only the one that got it (the client's retry policy then sends that
one again, with its key).

`PacedTransport` wraps the HTTP transport of the batch's client, so the hold applies to
every attempt, the client's own retries included; `paced_client_factory` builds such
clients for `console.session.connect` (the command line), `paced` one over the
connections of a client in use (the console's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from console.api.client import MAX_RETRY_AFTER, PaymentsClient, parse_retry_after
from console.hosts import is_loopback

if TYPE_CHECKING:
    from console.config import Profile
    from console.session import ClientFactory

DEFAULT_HOLD = 1.0
"""Seconds a 429 without a usable Retry-After holds the batch."""


@dataclass
class Pace:
    """When the batch may send again; `held` counts the 429s that held it."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    until: float = 0.0
    held: int = 0

    def hold(self, seconds: float | None) -> None:
        """A 429 said to wait `seconds` (None: it did not say)."""
        wait = DEFAULT_HOLD if seconds is None else min(max(seconds, 0.0), MAX_RETRY_AFTER)
        self.until = max(self.until, self.clock() + wait)
        self.held += 1

    async def wait(self) -> None:
        """Return once no 429 holds the batch (at once when none does)."""
        while (left := self.until - self.clock()) > 0:
            await self.sleep(left)


class PacedTransport(httpx.AsyncBaseTransport):
    """`inner`, each request sent once `pace` lets it, each 429 holding `pace`; closed
    with it unless `inner` is `shared` (another client's)."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, pace: Pace, *, shared: bool = False
    ) -> None:
        self.inner = inner
        self.pace = pace
        self.shared = shared

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.pace.wait()
        response = await self.inner.handle_async_request(request)
        if response.status_code == 429:
            self.pace.hold(parse_retry_after(response.headers.get("retry-after")))
        return response

    async def aclose(self) -> None:
        if not self.shared:
            await self.inner.aclose()


def paced(client: PaymentsClient, pace: Pace) -> PaymentsClient:
    """`client`'s twin keeping `pace`, over its connections (closing it leaves them open)."""
    return client.through(lambda inner: PacedTransport(inner, pace, shared=True))


def http_transport(base_url: str, concurrency: int) -> httpx.AsyncBaseTransport:
    """What `httpx.AsyncClient` would use (certificates always verified), with a
    keep-alive connection for each request in flight."""
    loopback = is_loopback(httpx.URL(base_url).host)
    return httpx.AsyncHTTPTransport(
        verify=True,
        trust_env=not loopback,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


def paced_client_factory(
    pace: Pace,
    concurrency: int,
    inner: Callable[[str], httpx.AsyncBaseTransport] | None = None,
) -> ClientFactory:
    """Clients whose every request goes through `pace`; `inner(base_url)` is the transport
    below it (default: `http_transport`; tests give an in-process sandbox's)."""

    def factory(profile: Profile, api_key: str) -> PaymentsClient:
        below = (inner or (lambda url: http_transport(url, concurrency)))(profile.base_url)
        return PaymentsClient(
            profile.base_url,
            api_key,
            timeout=profile.timeout,
            transport=PacedTransport(below, pace),
        )

    return factory
