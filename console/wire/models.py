"""The wire models of the Payment Processing API, shared by the client and the sandbox.

Responses keep unknown extra fields (the API may grow); requests are checked as
strictly as the sandbox checks them, so a client catches a bad amount before
anything is sent. Amounts are `Decimal` and refuse binary floats outright.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from console import money

_CARD_NUMBER = re.compile(r"[0-9][0-9 -]*[0-9]")
"""Digits with spaces or dashes: what a card number (PAN) looks like when typed."""

PAYMENT_STATUSES = ("succeeded", "pending", "failed")
REFUND_STATUSES = ("pending", "succeeded", "failed", "canceled")


def _no_float(value: Any) -> Any:
    if isinstance(value, (bool, float)):
        raise ValueError("amount must be an exact decimal number, not a binary float")
    if isinstance(value, str):
        raise ValueError("amount must be a JSON number, not a string")
    return value


_AMOUNT_SCHEMA = {
    "type": "number",
    "exclusiveMinimum": 0,
    "exclusiveMaximum": 10**money.MAX_INTEGER_DIGITS,
    "description": "An exact JSON number, never more decimals than the currency allows"
    " (USD 2, JPY 0, KWD 3).",
}

Amount = Annotated[Decimal, BeforeValidator(_no_float), WithJsonSchema(_AMOUNT_SCHEMA)]
"""A Decimal that was never a float (JSON is read with parse_float=Decimal); in JSON
Schema a number (a string is refused), positive and below 10**8."""

RESPONSE_AMOUNT_DIGITS = 18
"""An amount in an answer has fewer integer digits and decimals than this, or the answer
is unreadable: far beyond any payment, and such a number (1e9999999) would print as
millions of digits or trap in Decimal arithmetic."""


def _sane(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    if value and (
        value.adjusted() >= RESPONSE_AMOUNT_DIGITS
        or money.significant_places(value) > RESPONSE_AMOUNT_DIGITS
    ):
        raise ValueError("amount is out of any plausible range")
    return value


ResponseAmount = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    AfterValidator(_sane),
    WithJsonSchema({"type": "number"}),
]
"""An Amount read from the API, within a range any payment could have."""


def _iso_z(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Response(BaseModel):
    """A response object: unknown fields are kept, never rejected."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def to_wire(self) -> dict[str, Any]:
        """A dict ready for `money.dumps`: Decimals kept, datetimes as ISO 8601 'Z'."""
        return self.model_dump(mode="python", exclude_none=True)


def _step(exponent: int) -> float:
    """The JSON Schema `multipleOf` of a currency's minor unit: 1, 0.01, 0.001 ..."""
    return float(f"1e-{exponent}") if exponent else 1


def _amount_fits_currency_schema(schema: dict[str, Any]) -> None:
    """The per-currency rule in JSON Schema: one branch per number of decimals, naming
    its currencies (JSON Schema cannot look a currency's exponent up)."""
    by_exponent: dict[int, list[str]] = {}
    for code in money.currency_codes():
        by_exponent.setdefault(money.currency_exponent(code), []).append(code)
    schema["anyOf"] = [
        {"properties": {"currency": {"enum": codes}, "amount": {"multipleOf": _step(exponent)}}}
        for exponent, codes in sorted(by_exponent.items())
    ]


def _finest_step_schema(schema: dict[str, Any]) -> None:
    """A refund's currency is its payment's: its schema can only bar what no currency allows."""
    schema["multipleOf"] = _step(money.max_exponent())


class PaymentCreate(BaseModel):
    """POST /payments body."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        json_schema_extra=_amount_fits_currency_schema,
    )

    amount: Amount
    currency: str = Field(
        description="An ISO 4217 code of a currency with a minor unit (lower case is read"
        " as upper case)."
    )
    source: str
    description: str | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return money.normalize_currency(value)

    @field_validator("source")
    @classmethod
    def _source_given(cls, value: str) -> str:
        if not value:
            raise ValueError("source is required (a payment token such as tok_visa)")
        if _CARD_NUMBER.fullmatch(value) and 12 <= sum(ch.isdigit() for ch in value) <= 19:
            # Never echoed: the message must not carry the number into a log or the journal.
            raise ValueError(
                "source must be a payment token (such as tok_visa), never a card number"
            )
        return value

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> PaymentCreate:
        try:
            money.check_amount(self.amount, self.currency)
        except money.AmountError as exc:
            raise _field_error(type(self).__name__, "amount", str(exc), self.amount) from None
        return self

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="python", exclude_none=True)


class RefundCreate(BaseModel):
    """POST /refunds body; no amount means the whole remaining amount."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    payment_id: str = Field(json_schema_extra={"pattern": r"\S"})
    """Not blank (it is read without surrounding spaces)."""
    amount: Amount | None = Field(None, json_schema_extra=_finest_step_schema)

    @field_validator("payment_id")
    @classmethod
    def _id_given(cls, value: str) -> str:
        if not value:
            raise ValueError("payment_id is required")
        return value

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None:
            # The currency (the payment's) is not known here, but an amount no currency
            # allows is refused at once: nothing downstream expands a huge exponent.
            try:
                money.check_bounds(value)
            except money.AmountError as exc:
                raise ValueError(str(exc)) from None
        return value

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="python", exclude_none=True)


class Payment(_Response):
    id: str
    amount: ResponseAmount
    currency: str
    status: str
    """One of PAYMENT_STATUSES; an unknown future value is kept as it came."""
    created_at: AwareDatetime
    description: str | None = None
    amount_refunded: ResponseAmount | None = None
    refunded: bool | None = None

    @field_serializer("created_at")
    def _created_at(self, value: datetime) -> str:
        return _iso_z(value)


class Refund(_Response):
    id: str
    payment_id: str
    amount: ResponseAmount
    status: str
    """One of REFUND_STATUSES; an unknown future value is kept as it came."""
    created_at: AwareDatetime

    @field_serializer("created_at")
    def _created_at(self, value: datetime) -> str:
        return _iso_z(value)


class ErrorBody(_Response):
    """`{"error": "..."}` as in the spec, with optional machine-readable details."""

    error: str
    code: str | None = None
    param: str | None = None
    request_id: str | None = None
    decline_code: str | None = None
    payment_id: str | None = None


def _field_error(title: str, field: str, message: str, value: Any) -> ValidationError:
    """A ValidationError located at one field, for checks that span fields."""
    detail = InitErrorDetails(
        type=PydanticCustomError("value_error", message), loc=(field,), input=value
    )
    return ValidationError.from_exception_data(title, [detail])


def field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message) pairs of a validation error, e.g. ("amount", "must be ...")."""
    pairs = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        pairs.append((field, message))
    return pairs


def describe(exc: ValidationError) -> str:
    """One line naming every field that is wrong: 'id: Field required' (a message that
    already starts with its field's name is not prefixed again)."""
    return "; ".join(
        message if message.startswith(f"{field} ") else f"{field}: {message}"
        for field, message in field_errors(exc)
    )
