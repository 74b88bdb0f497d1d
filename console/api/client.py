"""PaymentsClient: the one door to the Payment Processing API.

Async, one pooled `httpx.AsyncClient` per instance. Retries follow stripe-python's rules
(`console.api.retry`): connection failures, timeouts, 409 (idempotency key in use), 429
(after `Retry-After`, capped) and 5xx are retried up to `max_retries` times with
exponential backoff and jitter; TLS failures and every other 4xx never are. Each POST
carries one `Idempotency-Key` (a new uuid4 unless the caller gives one), reused on every
retry, so a retry can never charge or refund twice.

`base_url` may or may not end in `/v1`: when its last path segment is not `v1`, `/v1` is
appended (`https://api.example.com` and `https://api.example.com/v1` are the same API).
Plain `http://` is refused unless the host is loopback (127.0.0.0/8, ::1, localhost): the
one rule of `console.wire.base_url`, which the config checks profiles with too. A key the
caller gives is checked by `console.wire.idempotency` (1 to 255 printable ASCII characters,
no spaces) before anything is sent.

The layers: `transport` sends one attempt and reads it in full (at most
`max_response_bytes`, 1 MiB by default), `retry` decides whether and when to send again,
`mapping` turns requests into bytes and answers into models or exceptions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import httpx

from console.api import mapping, retry
from console.api.mapping import Model
from console.api.mapping import error_from_body as error_from_body
from console.api.retry import MAX_RETRY_AFTER as MAX_RETRY_AFTER
from console.api.retry import backoff_delay as backoff_delay
from console.api.transport import MAX_RESPONSE_BYTES as MAX_RESPONSE_BYTES
from console.api.transport import REDACT_KEYS, Failure, Reply, Secret, Transport
from console.api.transport import USER_AGENT as USER_AGENT
from console.api.transport import normalize_base_url as normalize_base_url
from console.api.transport import parse_retry_after as parse_retry_after
from console.hosts import is_loopback
from console.wire.models import Payment, PaymentCreate, Refund, RefundCreate

__all__ = ["MAX_RESPONSE_BYTES", "MAX_RETRY_AFTER", "USER_AGENT", "PaymentsClient"]

logger = logging.getLogger(__name__)


class PaymentsClient:
    """Async client of the Payment Processing API; use as `async with` or call aclose().

    verify=True always: certificates are checked against certifi's bundle (or SSL_CERT_FILE
    for non-loopback hosts). A custom `transport` (e.g. httpx.ASGITransport for an
    in-process sandbox) carries its own TLS settings.

    timeout: the longest one attempt may take, from sending to the last byte of the
    answer (also the read timeout between bytes); connect_timeout: the longest opening a
    connection may take. retry_delay / max_retry_delay: the backoff base and cap, in
    seconds (0.5 and 5 by default); sleep: awaited between attempts (tests record it).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_delay: float = 0.5,
        max_retry_delay: float = 5.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        if not api_key or any(ch.isspace() or not ch.isprintable() for ch in api_key):
            raise ValueError("The API key is empty or contains spaces or control characters")
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("Timeouts must be positive numbers of seconds")
        if max_retries < 0:
            raise ValueError("max_retries must be zero or more")
        if retry_delay < 0 or max_retry_delay < 0:
            raise ValueError("Retry delays must be zero or more seconds")
        if max_response_bytes <= 0:
            raise ValueError("max_response_bytes must be positive")
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep
        self._secret = Secret(api_key)
        REDACT_KEYS.secrets.add(self._secret)
        host = httpx.URL(self.base_url).host
        # Made here rather than by httpx (the same one), so that `through` can share it.
        if transport is None:
            transport = httpx.AsyncHTTPTransport(verify=True, trust_env=not is_loopback(host))
        self._http_transport = transport
        self._twin: Callable[[httpx.AsyncBaseTransport], PaymentsClient] = lambda below: (
            PaymentsClient(
                base_url,
                api_key,
                timeout=timeout,
                connect_timeout=connect_timeout,
                max_retries=max_retries,
                transport=below,
                retry_delay=retry_delay,
                max_retry_delay=max_retry_delay,
                max_response_bytes=max_response_bytes,
                sleep=sleep,
            )
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            verify=True,
            follow_redirects=False,
            # Proxy variables would send loopback (sandbox) traffic through a proxy.
            trust_env=not is_loopback(host),
            transport=transport,
        )
        self._transport = Transport(
            self._http, self._secret, timeout=timeout, max_response_bytes=max_response_bytes
        )

    def __repr__(self) -> str:
        return f"PaymentsClient(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def through(
        self, wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
    ) -> PaymentsClient:
        """A client like this one (its key, URL, timeouts and retries) whose every attempt
        goes through `wrap(t)`, `t` being this client's transport: the connections are
        shared, so the new client's transport must not close `t`."""
        return self._twin(wrap(self._http_transport))

    async def __aenter__(self) -> PaymentsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    # --- the API ------------------------------------------------------------------

    async def create_payment(
        self, payment: PaymentCreate, idempotency_key: str | None = None
    ) -> Payment:
        """POST /payments. A declined card raises CardError (with the failed payment_id)."""
        return await self._call("POST", "payments", Payment, payment.to_wire(), idempotency_key)

    async def get_payment(self, payment_id: str) -> Payment:
        """GET /payments/{id}."""
        return await self._call("GET", mapping.item_path("payments", payment_id), Payment)

    async def create_refund(
        self, refund: RefundCreate, idempotency_key: str | None = None
    ) -> Refund:
        """POST /refunds; without an amount, the whole remaining amount is refunded."""
        return await self._call("POST", "refunds", Refund, refund.to_wire(), idempotency_key)

    async def get_refund(self, refund_id: str) -> Refund:
        """GET /refunds/{id}."""
        return await self._call("GET", mapping.item_path("refunds", refund_id), Refund)

    # --- machinery ----------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        model: type[Model],
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Model:
        """Send until the retry policy stops, then map the last outcome.

        `maybe_done` remembers whether any attempt may have taken effect: it decides
        `outcome_unknown` (and `may_have_reached_server`) of the error raised at the end.
        """
        content, headers = mapping.encode(method, body, idempotency_key)
        maybe_done = False
        attempt = 0
        while True:
            outcome = await self._transport.send(method, path, content, headers)
            maybe_done = maybe_done or outcome.may_have_taken_effect
            if not retry.should_retry(outcome, attempt, self.max_retries):
                break
            await self._pause(method, path, outcome, attempt)
            attempt += 1
        if isinstance(outcome, Failure):
            raise mapping.final(outcome.error, maybe_done, method)
        if 200 <= outcome.status < 300:
            return mapping.parse(model, outcome, method)
        error = mapping.error_for(outcome, self.base_url)
        raise mapping.final(error, maybe_done and retry.transient(outcome.status), method)

    async def _pause(self, method: str, path: str, outcome: Reply | Failure, attempt: int) -> None:
        delay = retry.delay(outcome, attempt, self.retry_delay, self.max_retry_delay)
        logger.info(
            "Retrying %s /%s in %.2f s (retry %d of %d) after: %s",
            method,
            path,
            delay,
            attempt + 1,
            self.max_retries,
            outcome.why,
        )
        await self._sleep(delay)
