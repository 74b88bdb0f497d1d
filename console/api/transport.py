"""The transport: one HTTP attempt, read in full and classified; nothing is retried here.

`Transport.send` returns a `Reply` (a complete answer, whatever its status) or a `Failure`
(no complete answer, with its `kind`); it never raises for a network problem. Whatever
the server sent back is scrubbed of the API key before anyone sees it, and the key is
also kept out of httpx/httpcore log records (`REDACT_KEYS`).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

import httpx

from console import __version__
from console.api.errors import APIConnectionError, PaymentsError, ResponseFormatError
from console.wire.base_url import check_base_url

__all__ = [
    "MAX_RESPONSE_BYTES",
    "REDACT_KEYS",
    "USER_AGENT",
    "Failure",
    "FailureKind",
    "Reply",
    "Secret",
    "Transport",
    "normalize_base_url",
    "parse_retry_after",
]

# One logger for the whole client, as before it was split: users filter on this name.
logger = logging.getLogger("console.api.client")

USER_AGENT: Final = f"payments-console/{__version__}"
MAX_RESPONSE_BYTES: Final = 1024 * 1024
"""Largest response body read (1 MiB); API objects are a few hundred bytes."""

FailureKind = Literal["tls", "connect", "unsent", "lost", "cut_off", "undecodable", "too_large"]
"""How an attempt failed: before sending (tls, connect, unsent), after sending without an
answer (lost: dropped or timed out), or with an answer that could not be read."""
_NEVER_SENT: Final[frozenset[FailureKind]] = frozenset({"tls", "connect", "unsent"})
_CONNECT_ERRORS: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Secret:
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
        self.secrets: weakref.WeakSet[Secret] = weakref.WeakSet()
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        message = original = record.getMessage()
        for secret in list(self.secrets):
            message = secret.redact(message)
        if message is not original:
            record.msg, record.args = message, None
        return True


REDACT_KEYS: Final = _RedactKeys()


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete HTTP answer, body read in full; nothing the server sent can hold the key."""

    status: int
    body: bytes
    request_id: str | None
    retry_after: float | None
    content_type: str
    location: str | None

    @property
    def may_have_taken_effect(self) -> bool:
        """409: an earlier request with this key is still running; 5xx: the server may
        have done the work before failing. Any other status is a definitive answer."""
        return self.status == 409 or self.status >= 500

    @property
    def why(self) -> str:
        return f"HTTP {self.status}"


@dataclass(frozen=True, slots=True)
class Failure:
    """One attempt ended without a complete answer; `error` says so in a sentence."""

    kind: FailureKind
    error: PaymentsError

    @property
    def may_have_taken_effect(self) -> bool:
        return self.kind not in _NEVER_SENT

    @property
    def why(self) -> str:
        return self.error.message


def normalize_base_url(base_url: str) -> str:
    """Check a base URL by the one rule (`console.wire.base_url`) and return it ending in
    /v1, without a trailing slash (an IDN host punycoded).

    Raises ValueError (with a message naming the fix) before anything is sent.
    """
    checked = check_base_url(base_url)
    try:
        url = httpx.URL(checked)
    except httpx.InvalidURL:
        raise ValueError(f"'{checked}' is not a valid URL") from None
    path = url.path.rstrip("/")
    if path.rsplit("/", 1)[-1] != "v1":
        path += "/v1"
    # The rule again on what httpx will connect to: two parsers must agree on the host.
    return check_base_url(str(url.copy_with(path=path)))


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


class Transport:
    """Sends one request on a pooled httpx client and reads the whole answer.

    timeout: the longest one attempt may take, from sending to the last byte;
    max_response_bytes: a longer body is not read (a `too_large` failure).
    """

    def __init__(
        self, http: httpx.AsyncClient, secret: Secret, *, timeout: float, max_response_bytes: int
    ) -> None:
        self.http = http
        self.secret = secret
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.where = http.base_url.netloc.decode("ascii")

    async def send(
        self, method: str, path: str, content: bytes | None, headers: dict[str, str]
    ) -> Reply | Failure:
        """Send once and read the whole answer within the deadline."""
        started = time.perf_counter()
        status: int | None = None
        try:
            async with asyncio.timeout(self.timeout):
                request = self.http.build_request(method, path, content=content, headers=headers)
                response = await self.http.send(request, stream=True)
                status = response.status_code
                try:
                    body = await self._read_body(response)
                finally:
                    await response.aclose()
        except httpx.HTTPError as exc:
            return self._classify(exc, status)
        except TimeoutError:
            return self._connection(
                "lost", f"The payments server did not finish answering within {self.timeout:g} s."
            )
        if body is None:
            limit = _size(self.max_response_bytes)
            return self._unreadable(
                "too_large",
                response.status_code,
                f"was larger than the {limit} limit and was not read",
                request_id=self.secret.redact(_request_id(response) or "") or None,
            )
        # A server that echoes the key must not get it into an exception or a log line.
        request_id = _request_id(response)
        reply = Reply(
            response.status_code,
            self.secret.redact_bytes(body),
            None if request_id is None else self.secret.redact(request_id),
            parse_retry_after(response.headers.get("Retry-After")),
            response.headers.get("Content-Type", "").split(";")[0].strip().lower(),
            self.secret.redact(response.headers.get("Location", "")) or None,
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

    async def _read_body(self, response: httpx.Response) -> bytes | None:
        """The body, or None as soon as it is known to exceed the size limit."""
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def _classify(self, exc: httpx.HTTPError, status: int | None) -> Failure:
        """Name what went wrong; `status` is set when the headers had arrived."""
        # httpx's messages may end in a full stop; ours add one after the detail.
        detail = self.secret.redact(str(exc)).rstrip(".") or type(exc).__name__
        where = self.where
        if _is_tls_failure(exc):
            return self._connection(
                "tls", f"Could not open a secure connection to {where}: {detail}."
            )
        if isinstance(exc, _CONNECT_ERRORS):
            return self._connection(
                "connect", f"Could not connect to the payments server at {where}: {detail}."
            )
        if isinstance(exc, httpx.TimeoutException):
            return self._connection(
                "lost", f"The payments server at {where} did not answer within {self.timeout:g} s."
            )
        if status is not None:
            if isinstance(exc, httpx.DecodingError):
                return self._unreadable("undecodable", status, f"could not be decoded ({detail})")
            return self._unreadable("cut_off", status, f"was cut off before its end ({detail})")
        if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
            return self._connection(
                "lost", f"The connection to {where} was lost before a complete answer: {detail}."
            )
        # LocalProtocolError, UnsupportedProtocol, ProxyError...: nothing left this machine.
        return self._connection("unsent", f"The request to {where} could not be sent: {detail}.")

    @staticmethod
    def _connection(kind: FailureKind, message: str) -> Failure:
        reached = kind not in _NEVER_SENT
        return Failure(kind, APIConnectionError(message, may_have_reached_server=reached))

    @staticmethod
    def _unreadable(
        kind: FailureKind, status: int, what: str, *, request_id: str | None = None
    ) -> Failure:
        message = f"The server's answer (HTTP {status}) {what}."
        return Failure(kind, ResponseFormatError(message, status, request_id=request_id))


def _is_tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _request_id(response: httpx.Response) -> str | None:
    value: str | None = response.headers.get("Request-Id")
    return value


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
