"""The wire models (console.wire.models): seed responses parse, extras are kept, errors
name the field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from console import money
from console.wire.models import (
    ErrorBody,
    Payment,
    PaymentCreate,
    Refund,
    RefundCreate,
    describe,
    field_errors,
)

SEED_PAYMENT = """{
    "id": "pay_12345",
    "amount": 100.00,
    "currency": "USD",
    "status": "succeeded",
    "created_at": "2024-06-10T12:00:00Z"
}"""
SEED_REFUND = """{
    "id": "refund_67890",
    "payment_id": "pay_12345",
    "amount": 50.00,
    "status": "succeeded",
    "created_at": "2024-06-10T13:00:00Z"
}"""


def test_seed_payment_parses_exactly() -> None:
    payment = Payment.model_validate(money.loads(SEED_PAYMENT))
    assert payment.amount == Decimal("100.00")
    assert str(payment.amount) == "100.00"
    assert payment.created_at == datetime(2024, 6, 10, 12, tzinfo=UTC)
    assert payment.created_at.tzinfo is not None
    assert payment.description is None and payment.refunded is None


def test_seed_refund_and_error_parse() -> None:
    refund = Refund.model_validate(money.loads(SEED_REFUND))
    assert refund.amount == Decimal("50.00") and refund.payment_id == "pay_12345"
    error = ErrorBody.model_validate(money.loads('{"error": "Payment not found"}'))
    assert error.error == "Payment not found" and error.code is None


def test_unknown_fields_are_kept_and_written_back() -> None:
    data = money.loads(SEED_PAYMENT)
    data["risk_score"] = 12
    payment = Payment.model_validate(data)
    assert payment.model_extra == {"risk_score": 12}
    assert money.loads(money.dumps(payment.to_wire()))["risk_score"] == 12


def test_unknown_future_status_does_not_crash() -> None:
    data = money.loads(SEED_PAYMENT) | {"status": "requires_action"}
    assert Payment.model_validate(data).status == "requires_action"
    refund = Refund.model_validate(money.loads(SEED_REFUND) | {"status": "reversed"})
    assert refund.status == "reversed"


def test_missing_required_field_is_named() -> None:
    data = money.loads(SEED_PAYMENT)
    del data["currency"]
    with pytest.raises(ValidationError) as caught:
        Payment.model_validate(data)
    assert describe(caught.value) == "currency: Field required"


def test_naive_created_at_is_refused() -> None:
    data = money.loads(SEED_PAYMENT) | {"created_at": "2024-06-10T12:00:00"}
    with pytest.raises(ValidationError) as caught:
        Payment.model_validate(data)
    assert field_errors(caught.value)[0][0] == "created_at"


def test_payment_create_checks_amount_against_currency() -> None:
    with pytest.raises(ValidationError) as caught:
        PaymentCreate(amount=Decimal("10.5"), currency="JPY", source="tok_visa")
    assert field_errors(caught.value) == [("amount", "JPY has no minor unit: enter a whole amount")]
    with pytest.raises(ValidationError) as caught:
        PaymentCreate(amount=Decimal("1"), currency="ABC", source="tok_visa")
    assert field_errors(caught.value) == [("currency", "Unknown currency code 'ABC'")]
    assert PaymentCreate(amount=Decimal("1"), currency="usd", source="tok_visa").currency == "USD"


@pytest.mark.parametrize("bad", [19.99, "19.99", True])
def test_amounts_refuse_float_and_strings(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        PaymentCreate.model_validate({"amount": bad, "currency": "USD", "source": "tok_visa"})
    assert field_errors(caught.value)[0][0] == "amount"


def test_refund_create_amount_is_optional_and_positive() -> None:
    assert RefundCreate(payment_id="pay_1").to_wire() == {"payment_id": "pay_1"}
    with pytest.raises(ValidationError) as caught:
        RefundCreate(payment_id="pay_1", amount=Decimal("-1"))
    assert field_errors(caught.value) == [("amount", "Amount must be greater than zero")]


def test_request_json_is_exact() -> None:
    body = PaymentCreate(amount=Decimal("19.99"), currency="USD", source="tok_visa")
    assert money.dumps(body.to_wire()) == '{"amount":19.99,"currency":"USD","source":"tok_visa"}'


@given(
    st.sampled_from(money.currency_codes()),
    st.integers(min_value=1, max_value=10**10),
    st.datetimes(timezones=st.just(UTC)),
)
def test_payment_wire_round_trip(currency: str, units: int, created: datetime) -> None:
    exponent = money.currency_exponent(currency)
    units = min(units, 10 ** (8 + exponent) - 1)
    payment = Payment(
        id="pay_x",
        amount=money.from_minor(units, currency),
        currency=currency,
        status="succeeded",
        created_at=created,
    )
    back = Payment.model_validate(money.loads(money.dumps(payment.to_wire())))
    assert back == payment


@pytest.mark.parametrize(
    "source", ["4242424242424242", "4242 4242 4242 4242", "4000-0566-5566-5556", "378282246310005"]
)
def test_a_card_number_is_never_a_source(source: str) -> None:
    """The console handles tokens, never card numbers: refused before it is sent or
    journaled, and the message does not repeat it."""
    with pytest.raises(ValidationError) as caught:
        PaymentCreate(amount=Decimal("1.00"), currency="USD", source=source)
    assert field_errors(caught.value)[0][0] == "source"
    assert source not in describe(caught.value)
    assert "4242" not in describe(caught.value)


@pytest.mark.parametrize("source", ["tok_visa", "tok_chargeDeclined", "src_123", "card_9"])
def test_tokens_are_sources(source: str) -> None:
    assert PaymentCreate(amount=Decimal("1.00"), currency="USD", source=source).source == source


def test_a_message_naming_its_field_is_not_prefixed_twice() -> None:
    with pytest.raises(ValidationError) as caught:
        PaymentCreate(amount=Decimal("1.00"), currency="USD", source="4242 4242 4242 4242")
    assert describe(caught.value) == (
        "source must be a payment token (such as tok_visa), never a card number"
    )
