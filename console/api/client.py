"""PaymentsClient: the one door to the Payment Processing API.

Async, one pooled `httpx.AsyncClient` per instance. Retries follow stripe-python's rules:
connection failures, timeouts, 409 (idempotency key in use), 429 (after `Retry-After`,
capped) and 5xx are retried up to `max_retries` times with exponential backoff and jitter;
TLS failures and every other 4xx never are. Each POST carries one `Idempotency-Key`
(a uuid4 unless the caller gives one), reused on every retry, so a retry can never charge
or refund twice.

`base_url` may or may not end in `/v1`: when its last path segment is not `v1`, `/v1` is
appended (`https://api.example.com` and `https://api.example.com/v1` are the same API).
Plain `http://` is refused unless the host is loopback (127.0.0.0/8, ::1, localhost).

Bodies are written with `money.dumps` (exact decimals) and read with `money.loads`
(`parse_float=Decimal`) into the shared pydantic models. A response body is streamed
and reading stops past `max_response_bytes` (1 MiB by default).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import ssl
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from console import __version__, money
from console.api.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CardError,
    ForbiddenError,
    IdempotencyError,
    InvalidRequestError,
    NotFoundError,
    PaymentsError,
    RateLimitError,
    ResponseFormatError,
)
from console.api.models import ErrorBody, Payment, PaymentCreate, Refund, RefundCreate, describe
from console.hosts import is_loopback

__all__ = ["MAX_RESPONSE_BYTES", "MAX_RETRY_AFTER", "USER_AGENT", "PaymentsClient"]

logger = logging.getLogger(__name__)

USER_AGENT: Final = f"payments-console/{__version__}"
MAX_RESPONSE_BYTES: Final = 1024 * 1024
"""Largest response body read (1 MiB); API objects are a few hundred bytes."""
MAX_RETRY_AFTER: Final = 20.0
"""Longest `Retry-After` honoured, in seconds; a longer one is waited only this long."""
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255
RETRIED_STATUSES: Final = frozenset({409, 429})
"""Besides every 5xx."""

_HOST: Final = re.compile(r"[A-Za-z0-9.-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
"""A DNS name (IDNs arrive as punycode), an IPv4 address, or an IPv6 address."""
_Model = TypeVar("_Model", bound=BaseModel)
_RESOURCE_NAMES: Final = {Payment: "payment", Refund: "refund"}


class _Secret:
    """Holds the API key; its repr and str never show it."""

    __slots__ = ("__weakref__", "_value")

    def __init__(self, value: str) -> None:
        self._value = value

    def redact(self, text: str) -> str:
        """Text that came from elsewhere (e.g. echoed by a server), without the secret."""
        return text.replace(self._value, "[redacted]") if self._value in text else text

    def redact_bytes(self, data: bytes) -> bytes:
        secret = self._value.encode()
        return data.replace(secret, b"[redacted]") if secret in data else data

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


class _RedactKeys(logging.Filter):
    """Removes the keys of live clients from httpx/httpcore records.

    httpcore logs response headers at DEBUG, so a server echoing the key would otherwise
    get it into a log. Keys are held weakly: a client that is dropped stops being tracked.
    """

    LOGGERS: Final = (
        "httpx",
        "httpcore.connection",
        "httpcore.http11",
        "httpcore.http2",
        "httpcore.proxy",
        "httpcore.socks",
    )

    def __init__(self) -> None:
        super().__init__()
        self.secrets: weakref.WeakSet[_Secret] = weakref.WeakSet()
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        message = original = record.getMessage()
        for secret in list(self.secrets):
            message = secret.redact(message)
        if message is not original:
            record.msg, record.args = message, None
        return True


_REDACT_KEYS: Final = _RedactKeys()


@dataclass(frozen=True, slots=True)
class _Reply:
    """A complete HTTP answer, body read in full; nothing the server sent can hold the key."""

    status: int
    body: bytes
    request_id: str | None
    retry_after: float | None
    content_type: str
    location: str | None


class _AttemptFailed(Exception):
    """One attempt ended without a complete answer."""

    def __init__(self, error: PaymentsError, *, retryable: bool, maybe_done: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable
        self.maybe_done = maybe_done


def normalize_base_url(base_url: str) -> str:
    """Check a base URL and return it ending in /v1, without a trailing slash.

    Raises ValueError (with a message naming the fix) before anything is sent.
    """
    try:
        url = httpx.URL(base_url.strip())
    except httpx.InvalidURL as exc:
        raise ValueError(f"The API base URL is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https"):
        raise ValueError(
            "The API base URL must start with https:// (for example https://api.example.com/v1)"
        )
    if not _HOST.fullmatch(url.raw_host.decode("ascii")):
        raise ValueError("The API base URL has no valid host name")
    if url.userinfo:
        raise ValueError("The API base URL must not contain a user name or password")
    if url.query or url.fragment:
        raise ValueError("The API base URL must not contain a query string or fragment")
    if url.scheme == "http" and not is_loopback(url.host):
        raise ValueError(
            f"Plain http:// is allowed only for this machine (127.0.0.1, ::1, localhost); "
            f"use https:// for {url.host}"
        )
    path = url.path.rstrip("/")
    if path.rsplit("/", 1)[-1] != "v1":
        path += "/v1"
    return str(url.copy_with(path=path))


def backoff_delay(retry: int, base: float, cap: float) -> float:
    """Delay before retry number `retry` (0-based): base x 2^retry, at most cap, jittered.

    "Equal jitter": a random point in the upper half of the exponential step, so clients
    that failed together spread out but never retry sooner than half the step.
    """
    step = min(cap, base * 2.0**retry)
    return step / 2 + random.uniform(0, step / 2)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _is_tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


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
        self._secret = _Secret(api_key)
        _REDACT_KEYS.secrets.add(self._secret)
        host = httpx.URL(self.base_url).host
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

    def __repr__(self) -> str:
        return f"PaymentsClient(base_url={self.base_url!r}, max_retries={self.max_retries})"

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
        return await self._call(
            "POST", "payments", Payment, body=payment.to_wire(), idempotency_key=idempotency_key
        )

    async def get_payment(self, payment_id: str) -> Payment:
        """GET /payments/{id}."""
        return await self._call("GET", f"payments/{_path_id(payment_id, 'payment')}", Payment)

    async def create_refund(
        self, refund: RefundCreate, idempotency_key: str | None = None
    ) -> Refund:
        """POST /refunds; without an amount, the whole remaining amount is refunded."""
        return await self._call(
            "POST", "refunds", Refund, body=refund.to_wire(), idempotency_key=idempotency_key
        )

    async def get_refund(self, refund_id: str) -> Refund:
        """GET /refunds/{id}."""
        return await self._call("GET", f"refunds/{_path_id(refund_id, 'refund')}", Refund)

    # --- machinery ----------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        model: type[_Model],
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> _Model:
        headers: dict[str, str] = {}
        content: bytes | None = None
        if method == "POST":
            headers["Idempotency-Key"] = _idempotency_key(idempotency_key)
            headers["Content-Type"] = "application/json"
            content = money.dumps(body).encode()
        maybe_done = False
        retry = 0
        while True:
            try:
                reply = await self._attempt(method, path, content, headers)
            except _AttemptFailed as failed:
                maybe_done = maybe_done or failed.maybe_done
                if failed.retryable and retry < self.max_retries:
                    await self._pause(method, path, retry, None, failed.error.message)
                    retry += 1
                    continue
                raise self._final(failed.error, maybe_done, method) from None
            retryable = reply.status in RETRIED_STATUSES or reply.status >= 500
            maybe_done = maybe_done or reply.status == 409 or reply.status >= 500
            if retryable and retry < self.max_retries:
                wait = None
                if reply.status == 429:
                    wait = reply.retry_after
                await self._pause(method, path, retry, wait, f"HTTP {reply.status}")
                retry += 1
                continue
            break
        if 200 <= reply.status < 300:
            return self._parse(model, reply, method)
        error = self._error(reply)
        raise self._final(error, maybe_done and retryable, method)

    async def _attempt(
        self, method: str, path: str, content: bytes | None, headers: dict[str, str]
    ) -> _Reply:
        """Send once and read the whole answer within the deadline."""
        started = time.perf_counter()
        status: int | None = None
        try:
            async with asyncio.timeout(self.timeout):
                request = self._http.build_request(method, path, content=content, headers=headers)
                response = await self._http.send(request, stream=True)
                status = response.status_code
                try:
                    body = await self._read_body(response)
                finally:
                    await response.aclose()
        except httpx.HTTPError as exc:
            raise self._transport_failure(exc, status) from None
        except TimeoutError:
            raise _AttemptFailed(
                APIConnectionError(
                    f"The payments server did not finish answering within {self.timeout:g} s.",
                    may_have_reached_server=True,
                ),
                retryable=True,
                maybe_done=True,
            ) from None
        # A server that echoes the key must not get it into an exception or a log line.
        request_id = _request_id(response)
        reply = _Reply(
            response.status_code,
            self._secret.redact_bytes(body),
            None if request_id is None else self._secret.redact(request_id),
            parse_retry_after(response.headers.get("Retry-After")),
            response.headers.get("Content-Type", "").split(";")[0].strip().lower(),
            self._secret.redact(response.headers.get("Location", "")) or None,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.1f ms (request_id=%s)",
                method,
                response.request.url.path,
                reply.status,
                (time.perf_counter() - started) * 1000,
                reply.request_id,
            )
        return reply

    async def _read_body(self, response: httpx.Response) -> bytes:
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise self._too_large(response)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise self._too_large(response)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, response: httpx.Response) -> _AttemptFailed:
        error = ResponseFormatError(
            f"The server's answer (HTTP {response.status_code}) was larger than the "
            f"{_size(self.max_response_bytes)} limit and was not read.",
            response.status_code,
            request_id=self._secret.redact(_request_id(response) or "") or None,
        )
        return _AttemptFailed(error, retryable=False, maybe_done=True)

    def _transport_failure(self, exc: httpx.HTTPError, status: int | None) -> _AttemptFailed:
        """Classify a failed attempt; `status` is set when the headers had arrived."""
        detail = self._secret.redact(str(exc)) or type(exc).__name__
        where = httpx.URL(self.base_url).netloc.decode("ascii")
        if _is_tls_failure(exc):
            message = f"Could not open a secure connection to {where}: {detail}."
            return _AttemptFailed(
                APIConnectionError(message, may_have_reached_server=False),
                retryable=False,
                maybe_done=False,
            )
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
            message = f"Could not connect to the payments server at {where}: {detail}."
            return _AttemptFailed(
                APIConnectionError(message, may_have_reached_server=False),
                retryable=True,
                maybe_done=False,
            )
        if isinstance(exc, httpx.TimeoutException):
            message = f"The payments server at {where} did not answer within {self.timeout:g} s."
            return _AttemptFailed(
                APIConnectionError(message, may_have_reached_server=True),
                retryable=True,
                maybe_done=True,
            )
        if status is not None:
            if isinstance(exc, httpx.DecodingError):
                error = ResponseFormatError(
                    f"The server's answer (HTTP {status}) could not be decoded ({detail}).",
                    status,
                )
                return _AttemptFailed(error, retryable=False, maybe_done=True)
            error = ResponseFormatError(
                f"The server's answer (HTTP {status}) was cut off before its end ({detail}).",
                status,
            )
            return _AttemptFailed(error, retryable=True, maybe_done=True)
        if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
            message = f"The connection to {where} was lost before a complete answer: {detail}."
            return _AttemptFailed(
                APIConnectionError(message, may_have_reached_server=True),
                retryable=True,
                maybe_done=True,
            )
        # LocalProtocolError, UnsupportedProtocol, ProxyError...: nothing left this machine.
        message = f"The request to {where} could not be sent: {detail}."
        return _AttemptFailed(
            APIConnectionError(message, may_have_reached_server=False),
            retryable=False,
            maybe_done=False,
        )

    async def _pause(
        self, method: str, path: str, retry: int, retry_after: float | None, why: str
    ) -> None:
        delay = backoff_delay(retry, self.retry_delay, self.max_retry_delay)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        logger.info(
            "Retrying %s /%s in %.2f s (retry %d of %d) after: %s",
            method,
            path,
            delay,
            retry + 1,
            self.max_retries,
            why,
        )
        await self._sleep(delay)

    def _final(self, error: PaymentsError, maybe_done: bool, method: str) -> PaymentsError:
        """The error to raise, knowing whether any attempt may have taken effect."""
        if isinstance(error, APIConnectionError):
            if maybe_done and not error.may_have_reached_server:
                # This attempt never left, but an earlier one may have been processed.
                error = APIConnectionError(
                    error.message.removesuffix(".")
                    + "; an earlier attempt may have reached the server.",
                    may_have_reached_server=True,
                    request_id=error.request_id,
                )
        else:
            error.outcome_unknown = maybe_done
        if error.outcome_unknown and method == "POST":
            error.message += (
                " The request may have been processed: look it up, or retry it with the"
                " same idempotency key (that can never apply it twice)."
            )
        return error

    def _parse(self, model: type[_Model], reply: _Reply, method: str) -> _Model:
        """The model from a 2xx answer; unreadable, it is a ResponseFormatError whose outcome
        is unknown (the server did say it succeeded)."""
        name = _RESOURCE_NAMES.get(model, model.__name__)
        try:
            return model.model_validate(self._json(reply, f"a {name}"))
        except ResponseFormatError as exc:
            error = exc
        except ValidationError as exc:
            error = ResponseFormatError(
                f"The server's answer was not a valid {name} ({describe(exc)}).",
                reply.status,
                request_id=reply.request_id,
            )
        raise self._final(error, True, method)

    def _json(self, reply: _Reply, expected: str) -> Any:
        stripped = reply.body.lstrip()
        if reply.content_type == "text/html" or stripped[:1] == b"<":
            what = "an HTML page"
        elif not stripped:
            what = "an empty body"
        else:
            try:
                return money.loads(reply.body)
            except (ValueError, RecursionError):  # bad JSON or UTF-8, NaN, absurd nesting
                what = "text that is not valid JSON"
        raise ResponseFormatError(
            f"The server answered HTTP {reply.status} with {what} instead of {expected}.",
            reply.status,
            request_id=reply.request_id,
        )

    def _error(self, reply: _Reply) -> PaymentsError:
        """The exception for an error status."""
        if 300 <= reply.status < 400:
            target = f" to {reply.location}" if reply.location else ""
            return APIError(
                f"The server answered with a redirect (HTTP {reply.status}){target}, which the "
                f"client does not follow: check the API base URL ({self.base_url}).",
                reply.status,
                request_id=reply.request_id,
            )
        try:
            data = self._json(reply, "an error description")
            body = ErrorBody.model_validate(data)
        except ResponseFormatError as exc:
            return exc
        except ValidationError as exc:
            return ResponseFormatError(
                f"The server answered HTTP {reply.status} with an error of an unexpected shape "
                f"({describe(exc)}).",
                reply.status,
                request_id=reply.request_id,
            )
        return error_from_body(
            reply.status,
            body,
            request_id=body.request_id or reply.request_id,
            retry_after=reply.retry_after,
        )


def error_from_body(
    status: int,
    body: ErrorBody,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> PaymentsError:
    """Map an error status and its body to the matching exception."""
    message = body.error.strip() or f"The payments server answered HTTP {status}."
    args = (message, status, body.code, request_id)
    if status == 400:
        if body.code == "idempotency_error":
            return IdempotencyError(*args, param=body.param)
        return InvalidRequestError(*args, param=body.param)
    if status == 401:
        return AuthenticationError(*args, param=body.param)
    if status == 402:
        return CardError(
            *args, param=body.param, decline_code=body.decline_code, payment_id=body.payment_id
        )
    if status == 403:
        return ForbiddenError(*args, param=body.param)
    if status == 404:
        return NotFoundError(*args, param=body.param)
    if status == 409:
        return IdempotencyError(*args, param=body.param)
    if status == 429:
        return RateLimitError(*args, param=body.param, retry_after=retry_after)
    return APIError(*args, param=body.param)


def _idempotency_key(given: str | None) -> str:
    if given is None:
        return str(uuid.uuid4())
    if not given or len(given) > MAX_IDEMPOTENCY_KEY_LENGTH or not given.isprintable():
        raise ValueError(
            f"An idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters"
        )
    return given


def _path_id(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"A {what} id is required")
    return quote(value, safe="")


def _request_id(response: httpx.Response) -> str | None:
    value: str | None = response.headers.get("Request-Id")
    return value


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
