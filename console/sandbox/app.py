"""The sandbox's FastAPI application: `create_app(db_path, faults=..., clock=..., id_factory=...)`.

Request bodies are read raw and parsed with `money.loads`, so amounts are Decimals from
the first byte; responses are written with `money.dumps`, with exactly the currency's
decimals. Every answer carries a Request-Id header, and every error body the same id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Message, Receive, Scope, Send

from console import money
from console.clock import Clock
from console.sandbox import openapi, tokens
from console.sandbox.errors import ApiError, invalid_refund_amount
from console.sandbox.faults import FaultInjector, Faults
from console.sandbox.store import IdempotencySlot, IdFactory, Outcome, Store, random_id
from console.wire.idempotency import MAX_KEY_LENGTH, check_key
from console.wire.models import PaymentCreate, RefundCreate, describe, field_errors

API_KEY_ENV = "PAYMENTS_SANDBOX_API_KEY"
"""Names one more accepted API key besides the one generated and kept in the database."""

LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_", "pk_live_")
MAX_IDEMPOTENCY_KEY_LENGTH = MAX_KEY_LENGTH
MAX_BODY_BYTES = openapi.MAX_BODY_BYTES
"""A POST body larger than this is refused with 413 (a payment is a few hundred bytes)."""
MAX_DESCRIPTION_LENGTH = openapi.MAX_DESCRIPTION_LENGTH
"""Characters of a payment's description, so every stored payment stays readable."""
BODY_TIMEOUT_SECONDS = 10.0
"""A POST body must arrive whole within this long of its head, or the answer is 408."""

_log = logging.getLogger("uvicorn.error")
"""Where uvicorn logs connection events; `payments-console sandbox` shows it at INFO."""

_REQUEST_ID = "sandbox.request_id"
_DROP = "sandbox.drop"

ModelT = TypeVar("ModelT", bound=BaseModel)


class MoneyJSONResponse(Response):
    """JSON written by `money.dumps`: Decimals as exact numbers, floats refused."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return money.dumps(content).encode()


class SandboxApp(FastAPI):
    """FastAPI plus the wrapping every answer needs: Request-Id and dropped connections."""

    new_id: IdFactory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        scope[_REQUEST_ID] = self.new_id("req")

        head = scope["method"] == "HEAD"

        async def send_with_request_id(message: Message) -> None:
            if scope.get(_DROP):
                return
            if message["type"] == "http.response.start":
                request_id = (b"request-id", scope[_REQUEST_ID].encode())
                message["headers"] = [*message.get("headers", ()), request_id]
            elif head and message["type"] == "http.response.body":
                # The GET's status and headers (Content-Length included), no body; uvicorn
                # drops it too, but an in-process client would read it.
                message = {**message, "body": b""}
            await send(message)

        await super().__call__(scope, receive, send_with_request_id)
        if scope.get(_DROP):
            await _drop_connection(send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            openapi.finish(super().openapi())
        assert self.openapi_schema is not None
        return self.openapi_schema


async def _drop_connection(send: Send) -> None:
    """Close the client's connection without an answer, as a crash after commit would.

    Under uvicorn, whose `send` is bound to the request cycle that owns the transport,
    the transport is closed: the client sees the server disconnect before any status
    line. In process (httpx.ASGITransport) there is no socket, so the equivalent httpx
    error is raised to the caller instead.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        close()
        # Let the server notice the lost connection, so it does not answer a 500 instead.
        for _ in range(3):
            await anyio.sleep(0)
        return
    import httpx

    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


def create_app(
    db_path: str | Path = ":memory:",
    *,
    faults: Faults | None = None,
    clock: Clock | None = None,
    id_factory: IdFactory | None = None,
) -> FastAPI:
    """The sandbox API on a SQLite database (":memory:" or a file, created when missing).

    `app.state.api_key` is the database's test key; env PAYMENTS_SANDBOX_API_KEY names
    one more accepted key. `id_factory("pay")` makes ids such as "pay_..." (also "refund"
    and "req"); `clock()` returns aware datetimes. Faults default to none; they are read
    on every request, so changing `app.state.faults` takes effect at once.
    """
    store = Store(db_path, clock=clock, id_factory=id_factory)
    faults = faults or Faults()
    sandbox = _Sandbox(store, FaultInjector(faults), os.environ.get(API_KEY_ENV))
    app = SandboxApp(
        title="Payment Processing API (sandbox)",
        version="1.0.0",
        description="A faithful, stateful sandbox of the Payment Processing API."
        " Amounts are exact JSON numbers with the currency's decimals.",
        default_response_class=MoneyJSONResponse,
        # "/v1/payments/" is a 404 like any unknown URL, never a 307 to a Location built
        # from the request's Host header.
        redirect_slashes=False,
    )
    app.new_id = id_factory or random_id
    app.state.api_key = store.api_key
    app.state.store = store
    app.state.faults = faults  # read on every request: a test may change them while serving

    @app.post(
        "/v1/payments",
        operation_id="create_payment",
        summary="Create a payment",
        status_code=201,
        responses=openapi.CREATE_PAYMENT,
        openapi_extra=openapi.post_extra("PaymentCreate"),
    )
    async def create_payment(request: Request) -> Response:
        return await sandbox.post(request, _parse_payment, store.create_payment)

    @app.get(
        "/v1/payments/{payment_id}",
        operation_id="get_payment",
        summary="Retrieve a payment",
        responses=openapi.GET_PAYMENT,
        openapi_extra=openapi.get_extra("payment_id", "The payment's id (pay_...)."),
    )
    async def get_payment(request: Request) -> Response:
        return await sandbox.get(request, store.get_payment, "payment_id")

    app.add_api_route(
        "/v1/payments/{payment_id}", get_payment, methods=["HEAD"], include_in_schema=False
    )

    @app.post(
        "/v1/refunds",
        operation_id="create_refund",
        summary="Refund a payment, fully or partly",
        status_code=201,
        responses=openapi.CREATE_REFUND,
        openapi_extra=openapi.post_extra("RefundCreate"),
    )
    async def create_refund(request: Request) -> Response:
        return await sandbox.post(request, _parse_refund, store.create_refund)

    @app.get(
        "/v1/refunds/{refund_id}",
        operation_id="get_refund",
        summary="Retrieve a refund",
        responses=openapi.GET_REFUND,
        openapi_extra=openapi.get_extra("refund_id", "The refund's id (refund_...)."),
    )
    async def get_refund(request: Request) -> Response:
        return await sandbox.get(request, store.get_refund, "refund_id")

    app.add_api_route(
        "/v1/refunds/{refund_id}", get_refund, methods=["HEAD"], include_in_schema=False
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            error = ApiError(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.url.path}",
                headers={"Allow": _allowed_methods(app, request.scope)},
            )
        elif exc.status_code == 404:
            hint = ""
            if request.url.path.endswith("/") and request.url.path != "/":
                hint = ": drop the trailing slash"
            error = ApiError(
                404,
                "resource_missing",
                f"Unrecognized request URL ({request.method} {request.url.path}){hint}",
            )
        else:
            error = ApiError(exc.status_code, "parameter_invalid", str(exc.detail))
        return _error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return _error_response(request, ApiError(400, "parameter_invalid", str(exc)))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        error = ApiError(
            500, "api_error", "The sandbox failed while handling this request; retry it."
        )
        return _error_response(request, error)

    return app


def _allowed_methods(app: FastAPI, scope: Scope) -> str:
    """The Allow header of a 405: every method of every route on the path (GET, HEAD)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def _error_response(request: Request, error: ApiError) -> Response:
    request_id: str = request.scope[_REQUEST_ID]
    return MoneyJSONResponse(error.body(request_id), error.status, headers=error.headers)


def _stored_response(outcome: Outcome, *, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(outcome.body, outcome.status, headers, media_type="application/json")


def _mask(key: str) -> str:
    """Enough of an unknown key to recognise it, never enough to use it."""
    return f"…{key[-4:]}" if len(key) >= 16 else "…"


class _Sandbox:
    """Admission (auth, rate limit, injected failures), idempotency and execution."""

    def __init__(self, store: Store, faults: FaultInjector, extra_key: str | None) -> None:
        self.store = store
        self.faults = faults
        keys = [store.api_key] + ([extra_key] if extra_key else [])
        # Rate windows are per API key, keyed by a hash, never by the key. Idempotency keys
        # belong to the account (`store.account`), which every one of these keys opens.
        self.scopes = {key: hashlib.sha256(key.encode()).hexdigest()[:32] for key in keys}

    def admit(self, request: Request) -> str:
        """Check the API key and the injected faults; the key's rate scope on success."""
        header = request.headers.get("authorization")
        if not header:
            raise _unauthorized(
                "invalid_api_key",
                "No API key provided. Send it as 'Authorization: Bearer sk_test_...'.",
            )
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise _unauthorized(
                "invalid_api_key", "Send the API key as 'Authorization: Bearer sk_test_...'."
            )
        if key.startswith(LIVE_KEY_PREFIXES):
            raise _unauthorized(
                "livemode_key",
                "This is a sandbox: it only accepts test keys (sk_test_...), never a live key.",
            )
        scope = self.scopes.get(key)
        if scope is None:
            raise _unauthorized("invalid_api_key", f"Invalid API key provided: {_mask(key)}")
        retry_after = self.faults.retry_after(scope)
        if retry_after is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests: this sandbox allows {self.faults.faults.rate_limit}"
                f" per second per API key. Retry after {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )
        if self.faults.should_fail():
            raise ApiError(
                500,
                "api_error",
                "Simulated server error (fault injection): nothing was done. Retry the request.",
            )
        return scope

    async def delay(self) -> None:
        if self.faults.latency_seconds:
            await anyio.sleep(self.faults.latency_seconds)

    async def get(
        self, request: Request, fetch: Callable[[str], dict[str, Any]], parameter: str
    ) -> Response:
        # The id comes from path_params, not a FastAPI parameter: that saves FastAPI's
        # per-request parameter solving on the hottest path (see bench/sandbox.py).
        try:
            self.admit(request)
            await self.delay()
            return MoneyJSONResponse(fetch(request.path_params[parameter]))
        except ApiError as error:
            return _error_response(request, error)

    async def post(
        self,
        request: Request,
        parse: Callable[[bytes], ModelT],
        execute: Callable[[ModelT, str, IdempotencySlot | None], Outcome],
    ) -> Response:
        request_id: str = request.scope[_REQUEST_ID]
        slot = None
        try:
            self.admit(request)
            key = _idempotency_key(request)
            _check_content_type(request)
            body = parse(await _read_body(request))
            if key is not None:
                slot = IdempotencySlot(
                    self.store.account, request.url.path, key, _fingerprint(body)
                )
                stored = self.store.reserve(slot, request_id)
                if stored is not None:
                    request.scope[_REQUEST_ID] = stored.request_id
                    return _stored_response(stored, replayed=True)
        except ApiError as error:
            return _error_response(request, error)
        except ClientDisconnect:
            # One line, not a traceback: nothing was done, and no one is left to answer.
            _log.info(
                "%s %s: the client disconnected before sending the whole body; nothing done.",
                request.method,
                request.url.path,
            )
            return Response(status_code=400)
        try:
            await self.delay()
        except BaseException:
            if slot is not None:
                self.store.release(slot, request_id)
            raise
        try:
            outcome = execute(body, request_id, slot)
        except ApiError as error:  # the key was no longer this request's (never expected)
            return _error_response(request, error)
        if self.faults.should_drop():
            request.scope[_DROP] = True
        return _stored_response(outcome)


def _idempotency_key(request: Request) -> str | None:
    """The request's one Idempotency-Key header, if any (two of them are refused)."""
    keys = request.headers.getlist("idempotency-key")
    if not keys:
        return None
    if len(keys) > 1:
        raise ApiError(
            400,
            "parameter_invalid",
            "Send one Idempotency-Key header, not several.",
            "Idempotency-Key",
        )
    (key,) = keys
    try:
        return check_key(key)
    except ValueError as exc:
        raise ApiError(400, "parameter_invalid", str(exc), "Idempotency-Key") from None


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def _fingerprint(body: BaseModel) -> str:
    """What makes two request bodies "the same": equal fields, equal amounts (1.0 == 1.00)."""
    fields = {
        name: value.normalize() if isinstance(value, Decimal) else value
        for name, value in sorted(body.model_dump(mode="python").items())
    }
    return hashlib.sha256(money.dumps(fields).encode()).hexdigest()


def _too_large() -> ApiError:
    return ApiError(
        413,
        "request_too_large",
        f"The request body is larger than {MAX_BODY_BYTES:,} bytes, the sandbox's limit",
    )


async def _read_body(request: Request) -> bytes:
    """The whole body, refused (413) as soon as it is known to exceed MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()  # before reading any of it
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large()
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(
            408,
            "request_timeout",
            f"The request body did not arrive within {BODY_TIMEOUT_SECONDS:g} s"
            f" ({size:,} of {declared or 'an unknown number of'} bytes came)",
            headers={"Connection": "close"},
        ) from None
    return b"".join(chunks)


def _check_content_type(request: Request) -> None:
    """A body must be JSON: no Content-Type is taken as JSON, any other type is a 415."""
    content_type = request.headers.get("content-type")
    if content_type is None:
        return
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    raise ApiError(
        415,
        "unsupported_media_type",
        f"The body must be JSON, sent with 'Content-Type: application/json', not {media_type!r}"
        " (curl -d sends application/x-www-form-urlencoded unless told otherwise)",
        "Content-Type",
    )


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook: a key given twice is an error, never "the last one wins"."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise ApiError(400, "parameter_missing", "The request body is empty: send a JSON object")
    try:
        data = json.loads(
            raw,
            # Integers as Decimals too: int() refuses more than 4,300 digits, and such a
            # body is valid JSON whose amount is merely too large.
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except _DuplicateKey as exc:
        raise ApiError(
            400,
            "parameter_invalid",
            f"The request body gives the key {exc.key!r} more than once: send it once",
            exc.key,
        ) from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "parameter_invalid",
            f"The request body is not valid JSON: {exc.msg} (line {exc.lineno},"
            f" column {exc.colno})",
        ) from None
    except UnicodeDecodeError:
        raise ApiError(
            400, "parameter_invalid", "The request body is not UTF-8 text: send UTF-8 JSON"
        ) from None
    except RecursionError:
        raise ApiError(
            400, "parameter_invalid", "The request body is nested too deeply to read"
        ) from None
    except ValueError as exc:  # NaN, Infinity: JSON has no such numbers
        raise ApiError(
            400, "parameter_invalid", f"The request body is not valid JSON: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "parameter_invalid", "The request body must be a JSON object")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


_NUMBER = "a number"
_STRING = "a string"
_FIELD_TYPES = {
    "amount": _NUMBER,
    "currency": _STRING,
    "description": _STRING,
    "payment_id": _STRING,
}
"""What each field must be, checked before the model so the message names the problem
("amount must be a number, not null"). A source of another type is an invalid source."""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return _NUMBER
    if isinstance(value, str):
        return _STRING
    return "an array" if isinstance(value, list) else "an object"


def _check_types(data: dict[str, Any], *, nullable: tuple[str, ...]) -> None:
    for field, expected in _FIELD_TYPES.items():
        if field not in data or (data[field] is None and field in nullable):
            continue
        actual = _json_type(data[field])
        if actual != expected:
            hint = ' (write 10.00, not "10.00")' if field == "amount" and actual == _STRING else ""
            raise ApiError(
                400, "parameter_invalid", f"{field} must be {expected}, not {actual}{hint}", field
            )


def _validation_error(exc: ValidationError) -> ApiError:
    first = exc.errors(include_url=False)[0]
    param = field_errors(exc)[0][0]
    code = "parameter_missing" if first["type"] == "missing" else "parameter_invalid"
    return ApiError(400, code, describe(exc), param)


def _parse_payment(raw: bytes) -> PaymentCreate:
    try:
        data = _json_object(raw)
        _check_types(data, nullable=("description",))
        description = data.get("description")
        if isinstance(description, str) and len(description) > MAX_DESCRIPTION_LENGTH:
            raise ApiError(
                400,
                "parameter_invalid",
                f"description must be at most {MAX_DESCRIPTION_LENGTH:,} characters,"
                f" not {len(description):,}",
                "description",
            )
        payment = PaymentCreate.model_validate(data)
    except ValidationError as exc:
        error = _validation_error(exc)
        if (error.param, error.code) == ("source", "parameter_invalid"):
            raise _invalid_source() from None
        raise error from None
    if payment.source not in tokens.ALL_TOKENS:
        raise _invalid_source()
    return payment


def _invalid_source() -> ApiError:
    """The spec's answer to any source that is not a known test token (a card number too)."""
    return ApiError(400, "parameter_invalid", "Invalid payment source", "source")


def _parse_refund(raw: bytes) -> RefundCreate:
    data = _json_object(raw)
    try:
        _check_types(data, nullable=("amount",))
    except ApiError as wrong_type:
        if wrong_type.param != "amount":
            raise
        # The spec's sentence first, then what is wrong with it.
        raise ApiError(
            400, "amount_invalid", f"Invalid refund amount: {wrong_type.message}", "amount"
        ) from None
    try:
        return RefundCreate.model_validate(data)
    except ValidationError as exc:
        error = _validation_error(exc)
        if error.param == "amount":
            raise invalid_refund_amount() from None
        raise error from None
