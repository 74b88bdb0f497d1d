"""POST/GET /v1/payments: exact amounts, test tokens and every error body."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from console.sandbox.app import create_app
from tests.sandbox.conftest import Api, client_for, error_of


@pytest.mark.parametrize(
    ("amount", "currency", "wire"),
    [
        ("100", "USD", "100.00"),
        ("19.9", "USD", "19.90"),
        ("0.01", "USD", "0.01"),
        ("99999999.99", "USD", "99999999.99"),
        ("5000", "JPY", "5000"),
        ("5.00", "JPY", "5"),
        ("1.25", "KWD", "1.250"),
        ("0.001", "KWD", "0.001"),
    ],
)
async def test_amounts_come_back_with_exactly_the_currency_decimals(
    api: Api, amount: str, currency: str, wire: str
) -> None:
    created = await api.pay(amount, currency)
    assert created.status_code == 201, created.text
    assert f'"amount":{wire},' in created.text
    fetched = await api.client.get(f"payments/{created.json()['id']}")
    assert fetched.status_code == 200
    assert f'"amount":{wire},' in fetched.text


async def test_a_payment_carries_description_and_refund_state(api: Api) -> None:
    created = await api.pay("12.50", "usd", description="Order #12345")
    assert created.status_code == 201
    payment = created.json()
    assert payment["id"].startswith("pay_")
    assert payment["currency"] == "USD"
    assert payment["status"] == "succeeded"
    assert payment["description"] == "Order #12345"
    assert payment["created_at"].endswith("Z")
    assert '"amount_refunded":0.00,"refunded":false' in created.text
    fetched = await api.client.get(f"payments/{payment['id']}")
    assert fetched.text == created.text


@pytest.mark.parametrize("source", ["tok_visa", "tok_mastercard", "tok_amex"])
async def test_succeeding_tokens(api: Api, source: str) -> None:
    created = await api.pay(source=source)
    assert created.status_code == 201
    assert created.json()["status"] == "succeeded"


@pytest.mark.parametrize(
    ("source", "decline_code"),
    [
        ("tok_chargeDeclined", "generic_decline"),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("tok_chargeDeclinedExpiredCard", "expired_card"),
        ("tok_chargeDeclinedProcessingError", "processing_error"),
    ],
)
async def test_declining_tokens_answer_402_and_keep_a_failed_payment(
    api: Api, source: str, decline_code: str
) -> None:
    declined = await api.pay("7.00", source=source)
    assert declined.status_code == 402
    error = error_of(declined)
    assert error["code"] == "card_declined"
    assert error["decline_code"] == decline_code
    assert error["param"] == "source"
    stored = await api.client.get(f"payments/{error['payment_id']}")
    assert stored.status_code == 200
    assert stored.json()["status"] == "failed"
    assert '"amount":7.00' in stored.text


async def test_an_unknown_source_is_an_invalid_payment_source(api: Api) -> None:
    answer = await api.pay(source="tok_unknown")
    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["error"], error["code"], error["param"]) == (
        "Invalid payment source",
        "parameter_invalid",
        "source",
    )
    assert api.count("payments") == 0


USD_VISA = '"currency": "USD", "source": "tok_visa"'


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        (f"{{{USD_VISA}}}", "parameter_missing", "amount"),
        ('{"amount": 1, "source": "tok_visa"}', "parameter_missing", "currency"),
        ('{"amount": 1, "currency": "USD"}', "parameter_missing", "source"),
        (f'{{"amount": 1, {USD_VISA}, "x": 1}}', "parameter_invalid", "x"),
        (f'{{"amount": "1.00", {USD_VISA}}}', "parameter_invalid", "amount"),
        (f'{{"amount": true, {USD_VISA}}}', "parameter_invalid", "amount"),
        (f'{{"amount": 1.001, {USD_VISA}}}', "parameter_invalid", "amount"),
        ('{"amount": 1.5, "currency": "JPY", "source": "tok_visa"}', "parameter_invalid", "amount"),
        (
            '{"amount": 1E-4, "currency": "KWD", "source": "tok_visa"}',
            "parameter_invalid",
            "amount",
        ),
        (f'{{"amount": 0, {USD_VISA}}}', "parameter_invalid", "amount"),
        (f'{{"amount": -5, {USD_VISA}}}', "parameter_invalid", "amount"),
        (f'{{"amount": 1e8, {USD_VISA}}}', "parameter_invalid", "amount"),
        # Below Decimal's exponent range: normalize() would round it to zero (a 500).
        (f'{{"amount": 1e-9999999, {USD_VISA}}}', "parameter_invalid", "amount"),
        (f'{{"amount": 1e9999999, {USD_VISA}}}', "parameter_invalid", "amount"),
        ('{"amount": 1, "currency": "XYZ", "source": "tok_visa"}', "parameter_invalid", "currency"),
        ('{"amount": 1, "currency": "USD", "source": ""}', "parameter_invalid", "source"),
        (f'{{"amount": 1, {USD_VISA}, "description": 5}}', "parameter_invalid", "description"),
        (f'{{"amount": NaN, {USD_VISA}}}', "parameter_invalid", None),
        ("not json", "parameter_invalid", None),
        ("[1, 2]", "parameter_invalid", None),
        ("", "parameter_missing", None),
    ],
)
async def test_invalid_payments_get_400_with_code_and_param(
    api: Api, raw: str, code: str, param: str | None
) -> None:
    answer = await api.client.post("payments", content=raw)
    assert answer.status_code == 400, answer.text
    error = error_of(answer)
    assert (error["code"], error["param"]) == (code, param)
    assert error["error"]
    assert api.count("payments") == 0


async def test_an_unknown_payment_is_404(api: Api) -> None:
    answer = await api.client.get("payments/pay_nope")
    assert answer.status_code == 404
    error = error_of(answer)
    assert (error["error"], error["code"], error["param"]) == (
        "Payment not found",
        "resource_missing",
        "id",
    )


async def test_injected_clock_and_ids_make_answers_deterministic(tmp_path: object) -> None:
    counter = itertools.count(1)
    app = create_app(
        ":memory:",
        clock=lambda: datetime(2024, 6, 10, 12, 0, tzinfo=UTC),
        id_factory=lambda prefix: f"{prefix}_{next(counter):04d}",
    )
    async with client_for(app) as client:
        created = await client.post(
            "payments", content=b'{"amount": 100, "currency": "USD", "source": "tok_visa"}'
        )
        refunded = await client.post("refunds", content=b'{"payment_id": "pay_0002"}')
    assert created.headers["request-id"] == "req_0001"
    assert created.text == (
        '{"id":"pay_0002","amount":100.00,"currency":"USD","status":"succeeded",'
        '"created_at":"2024-06-10T12:00:00Z","description":null,"amount_refunded":0.00,'
        '"refunded":false}'
    )
    assert refunded.text == (
        '{"id":"refund_0004","payment_id":"pay_0002","amount":100.00,"currency":"USD",'
        '"status":"succeeded","created_at":"2024-06-10T12:00:00Z"}'
    )
    app.state.store.close()


async def test_a_naive_clock_is_refused(tmp_path: object) -> None:
    app = create_app(":memory:", clock=lambda: datetime(2024, 6, 10, 12, 0))
    async with client_for(app) as client:
        with pytest.raises(ValueError, match="timezone-aware"):
            await client.post(
                "payments", content=b'{"amount": 1, "currency": "USD", "source": "tok_visa"}'
            )
    app.state.store.close()


async def test_a_card_number_as_source_is_an_invalid_payment_source(api: Api) -> None:
    response = await api.pay(source="4242 4242 4242 4242")
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["code"], body["param"]) == (
        "Invalid payment source",
        "parameter_invalid",
        "source",
    )
    assert "4242" not in response.text
