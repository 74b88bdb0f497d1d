"""What every route does: admission first, then (for a POST) the Idempotency-Key and the
body, then the store; every refusal is an `{"error": ...}` answer, never an exception.

FastAPI passes the path ids; the body and the Idempotency-Key are read here instead, and
openapi.py documents them: a POST must be admitted (401) before either is checked, its
body refused while the bytes arrive (413, 408) and decoded with exact decimals (never a
float, no key twice), and the key checked once, by the one wire rule (two are a 400).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from console import money
from console.sandbox.admission import Admission
from console.sandbox.body import check_content_type, read_body
from console.sandbox.errors import ApiError
from console.sandbox.idempotency import IdempotencySlot, Outcome
from console.sandbox.responses import (
    DROP,
    REQUEST_ID,
    MoneyJSONResponse,
    error_response,
    stored_response,
)
from console.sandbox.store import Store
from console.wire.idempotency import check_key

_log = logging.getLogger("uvicorn.error")
"""Where uvicorn logs connection events; `payments-console sandbox` shows it at INFO."""

ModelT = TypeVar("ModelT", bound=BaseModel)


class Endpoints:
    """The GET and POST flows, shared by every route."""

    def __init__(self, store: Store, admission: Admission) -> None:
        self.store = store
        self.admission = admission

    async def get(
        self, request: Request, fetch: Callable[[str], dict[str, Any]], object_id: str
    ) -> Response:
        try:
            self.admission.admit(request)
            await self.admission.delay()
            return MoneyJSONResponse(fetch(object_id))
        except ApiError as error:
            return error_response(request, error)

    async def post(
        self,
        request: Request,
        parse: Callable[[bytes], ModelT],
        execute: Callable[[ModelT, str, IdempotencySlot | None], Outcome],
    ) -> Response:
        request_id: str = request.scope[REQUEST_ID]
        slot = None
        try:
            self.admission.admit(request)
            key = _idempotency_key(request)
            check_content_type(request)
            body = parse(await read_body(request))
            if key is not None:
                slot = IdempotencySlot(
                    self.store.account, request.url.path, key, _fingerprint(body)
                )
                stored = self.store.reserve(slot, request_id)
                if stored is not None:
                    request.scope[REQUEST_ID] = stored.request_id
                    return stored_response(stored, replayed=True)
        except ApiError as error:
            return error_response(request, error)
        except ClientDisconnect:
            # One line, not a traceback: nothing was done, and no one is left to answer.
            _log.info(
                "%s %s: the client disconnected before sending the whole body; nothing done.",
                request.method,
                request.url.path,
            )
            return Response(status_code=400)
        try:
            await self.admission.delay()
        except BaseException:
            if slot is not None:
                self.store.release(slot, request_id)
            raise
        try:
            outcome = execute(body, request_id, slot)
        except ApiError as error:  # the key was no longer this request's (never expected)
            return error_response(request, error)
        if self.admission.faults.should_drop():
            request.scope[DROP] = True
        return stored_response(outcome)


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


def _fingerprint(body: BaseModel) -> str:
    """What makes two request bodies "the same": equal fields, equal amounts (1.0 == 1.00)."""
    fields = {
        name: value.normalize() if isinstance(value, Decimal) else value
        for name, value in sorted(body.model_dump(mode="python").items())
    }
    return hashlib.sha256(money.dumps(fields).encode()).hexdigest()
