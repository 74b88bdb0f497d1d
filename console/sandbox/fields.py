"""From a request's JSON object to its wire model, naming what is wrong with a field
("amount must be a number, not null") instead of leaking pydantic's wording."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from console.sandbox import tokens
from console.sandbox.body import json_object
from console.sandbox.errors import ApiError, invalid_refund_amount
from console.wire.models import PaymentCreate, RefundCreate, describe, field_errors

MAX_DESCRIPTION_LENGTH = 1000
"""Characters of a payment's description, so every stored payment stays readable."""

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


def _invalid_source() -> ApiError:
    """The spec's answer to any source that is not a known test token (a card number too)."""
    return ApiError(400, "parameter_invalid", "Invalid payment source", "source")


def parse_payment(raw: bytes) -> PaymentCreate:
    """A POST /v1/payments body, or the 400 that says what is wrong with it."""
    try:
        data = json_object(raw)
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


def parse_refund(raw: bytes) -> RefundCreate:
    """A POST /v1/refunds body; a wrong amount is the spec's "Invalid refund amount"."""
    data = json_object(raw)
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
