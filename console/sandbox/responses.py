"""What the sandbox answers with: exact JSON, error bodies that carry the Request-Id, and
stored answers replayed as they were first written."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from console import money
from console.sandbox.errors import ApiError
from console.sandbox.idempotency import Outcome

REQUEST_ID = "sandbox.request_id"
"""The ASGI scope key of the request's id, set by SandboxApp before any route runs."""
DROP = "sandbox.drop"
"""The ASGI scope key that tells SandboxApp to drop the connection instead of answering."""


class MoneyJSONResponse(JSONResponse):
    """JSON written by `money.dumps`: Decimals as exact numbers, floats refused."""

    def render(self, content: Any) -> bytes:
        return money.dumps(content).encode()


def error_response(request: Request, error: ApiError) -> Response:
    request_id: str = request.scope[REQUEST_ID]
    return MoneyJSONResponse(error.body(request_id), error.status, headers=error.headers)


def stored_response(outcome: Outcome, *, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(outcome.body, outcome.status, headers, media_type="application/json")
