"""The sandbox's FastAPI application: `create_app(db_path, faults=..., clock=..., id_factory=...)`.

Request bodies are read raw and parsed with exact decimals (`body.py`, `fields.py`);
responses are written with `money.dumps`, with exactly the currency's decimals. Every
answer carries a Request-Id header, and every error body the same id (`asgi.py`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Request
from fastapi import Path as PathParameter
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from console.clock import Clock
from console.sandbox import openapi
from console.sandbox.admission import Admission
from console.sandbox.asgi import SandboxApp
from console.sandbox.endpoints import Endpoints
from console.sandbox.errors import ApiError
from console.sandbox.faults import FaultInjector, Faults
from console.sandbox.fields import parse_payment, parse_refund
from console.sandbox.responses import MoneyJSONResponse, error_response
from console.sandbox.store import IdFactory, Store, random_id
from console.wire.idempotency import MAX_KEY_LENGTH
from console.wire.models import PaymentCreate, RefundCreate

API_KEY_ENV = "PAYMENTS_SANDBOX_API_KEY"
"""Names one more accepted API key besides the one generated and kept in the database."""

MAX_IDEMPOTENCY_KEY_LENGTH = MAX_KEY_LENGTH
"""The wire's limit: the sandbox has none of its own."""


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
    extra_key = os.environ.get(API_KEY_ENV)
    api_keys = [store.api_key] + ([extra_key] if extra_key else [])
    injector = FaultInjector(faults)
    sandbox = Endpoints(store, Admission(api_keys, injector))
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
    app.state.fault_injector = injector  # a test may hold its rate windows' clock still

    @app.post(
        "/v1/payments",
        operation_id="create_payment",
        summary="Create a payment",
        status_code=201,
        responses=openapi.CREATE_PAYMENT,
        openapi_extra=openapi.post_extra(PaymentCreate),
    )
    async def create_payment(request: Request) -> Response:
        return await sandbox.post(request, parse_payment, store.create_payment)

    @app.get(
        "/v1/payments/{payment_id}",
        operation_id="get_payment",
        summary="Retrieve a payment",
        responses=openapi.GET_PAYMENT,
    )
    async def get_payment(
        request: Request,
        payment_id: Annotated[str, PathParameter(description="The payment's id (pay_...).")],
    ) -> Response:
        return await sandbox.get(request, store.get_payment, payment_id)

    app.add_api_route(
        "/v1/payments/{payment_id}", get_payment, methods=["HEAD"], include_in_schema=False
    )

    @app.post(
        "/v1/refunds",
        operation_id="create_refund",
        summary="Refund a payment, fully or partly",
        status_code=201,
        responses=openapi.CREATE_REFUND,
        openapi_extra=openapi.post_extra(RefundCreate),
    )
    async def create_refund(request: Request) -> Response:
        return await sandbox.post(request, parse_refund, store.create_refund)

    @app.get(
        "/v1/refunds/{refund_id}",
        operation_id="get_refund",
        summary="Retrieve a refund",
        responses=openapi.GET_REFUND,
    )
    async def get_refund(
        request: Request,
        refund_id: Annotated[str, PathParameter(description="The refund's id (refund_...).")],
    ) -> Response:
        return await sandbox.get(request, store.get_refund, refund_id)

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
        return error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, ApiError(400, "parameter_invalid", str(exc)))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        error = ApiError(
            500, "api_error", "The sandbox failed while handling this request; retry it."
        )
        return error_response(request, error)

    return app


def _allowed_methods(app: FastAPI, scope: Scope) -> str:
    """The Allow header of a 405: every method of every route on the path (GET, HEAD)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))
