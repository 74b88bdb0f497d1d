"""Requests to bytes, and answers to models or to the exceptions of `console.api.errors`.

Bodies are written with `money.dumps` (exact decimals) and read with `money.loads`
(`parse_float=Decimal`) into the shared pydantic models.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from console import money
from console.api import errors
from console.api.transport import Reply
from console.wire.idempotency import MAX_KEY_LENGTH, check_key, new_key
from console.wire.models import ErrorBody, Payment, Refund, describe

__all__ = [
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "encode",
    "error_for",
    "error_from_body",
    "final",
    "item_path",
    "parse",
]

MAX_IDEMPOTENCY_KEY_LENGTH: Final = MAX_KEY_LENGTH

Model = TypeVar("Model", bound=BaseModel)
_RESOURCE_NAMES: Final = {Payment: "payment", Refund: "refund"}


# --- requests ---------------------------------------------------------------------


def encode(
    method: str, body: dict[str, Any] | None, idempotency_key: str | None
) -> tuple[bytes | None, dict[str, str]]:
    """The content and headers of a request, the same for every attempt.

    A POST gets its one `Idempotency-Key` here (a new one unless the caller gave one, checked by
    `console.wire.idempotency`).
    """
    if method != "POST":
        return None, {}
    key = _idempotency_key(idempotency_key)
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    return money.dumps(body).encode(), headers


def item_path(collection: str, item_id: str) -> str:
    """`collection/{id}`, the id as one path segment; ValueError when it is blank."""
    item_id = item_id.strip()
    if not item_id:
        raise ValueError(f"A {collection.removesuffix('s')} id is required")
    return f"{collection}/{quote(item_id, safe='')}"


def _idempotency_key(given: str | None) -> str:
    """The caller's key, checked by the one rule (ValueError), or a new one."""
    return new_key() if given is None else check_key(given)


# --- answers ----------------------------------------------------------------------


def final(error: errors.PaymentsError, maybe_done: bool, method: str) -> errors.PaymentsError:
    """The error to raise, knowing whether any attempt may have taken effect."""
    if isinstance(error, errors.APIConnectionError):
        if maybe_done and not error.may_have_reached_server:
            # This attempt never left, but an earlier one may have been processed.
            error = errors.APIConnectionError(
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


def parse(model: type[Model], reply: Reply, method: str) -> Model:
    """The model from a 2xx answer; unreadable, it is a ResponseFormatError whose outcome
    is unknown (the server did say it succeeded)."""
    name = _RESOURCE_NAMES.get(model, model.__name__)
    try:
        return model.model_validate(_json(reply, f"a {name}"))
    except errors.ResponseFormatError as exc:
        error = exc
    except ValidationError as exc:
        error = errors.ResponseFormatError(
            f"The server's answer was not a valid {name} ({describe(exc)}).",
            reply.status,
            request_id=reply.request_id,
        )
    raise final(error, True, method)


def error_for(reply: Reply, base_url: str) -> errors.PaymentsError:
    """The exception for an error status (3xx, 4xx, 5xx)."""
    if 300 <= reply.status < 400:
        target = f" to {reply.location}" if reply.location else ""
        return errors.APIError(
            f"The server answered with a redirect (HTTP {reply.status}){target}, which the "
            f"client does not follow: check the API base URL ({base_url}).",
            reply.status,
            request_id=reply.request_id,
        )
    try:
        data = _json(reply, "an error description")
        body = ErrorBody.model_validate(data)
    except errors.ResponseFormatError as exc:
        return exc
    except ValidationError as exc:
        return errors.ResponseFormatError(
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
) -> errors.PaymentsError:
    """Map an error status and its body to the matching exception."""
    message = body.error.strip() or f"The payments server answered HTTP {status}."
    args = (message, status, body.code, request_id)
    if status == 400:
        if body.code == "idempotency_error":
            return errors.IdempotencyError(*args, param=body.param)
        return errors.InvalidRequestError(*args, param=body.param)
    if status == 401:
        return errors.AuthenticationError(*args, param=body.param)
    if status == 402:
        return errors.CardError(
            *args, param=body.param, decline_code=body.decline_code, payment_id=body.payment_id
        )
    if status == 403:
        return errors.ForbiddenError(*args, param=body.param)
    if status == 404:
        return errors.NotFoundError(*args, param=body.param)
    if status == 409:
        return errors.IdempotencyError(*args, param=body.param)
    if status == 429:
        return errors.RateLimitError(*args, param=body.param, retry_after=retry_after)
    return errors.APIError(*args, param=body.param)


def _json(reply: Reply, expected: str) -> Any:
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
    raise errors.ResponseFormatError(
        f"The server answered HTTP {reply.status} with {what} instead of {expected}.",
        reply.status,
        request_id=reply.request_id,
    )
