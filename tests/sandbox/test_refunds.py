"""POST/GET /v1/refunds: whole and partial refunds, their limits and error codes."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Api, error_of


async def test_no_amount_refunds_the_whole_remaining_amount(api: Api) -> None:
    payment_id = await api.paid("40.00")
    partial = await api.refund(payment_id, "15.5")
    assert partial.status_code == 201, partial.text
    assert '"amount":15.50,' in partial.text
    rest = await api.refund(payment_id)
    assert rest.status_code == 201
    assert '"amount":24.50,' in rest.text
    payment = await api.client.get(f"payments/{payment_id}")
    assert '"amount_refunded":40.00,"refunded":true' in payment.text
    assert payment.json()["status"] == "succeeded"


@pytest.mark.parametrize(
    ("amount", "currency", "part", "part_wire", "rest_wire"),
    [("5000", "JPY", "1200", "1200", "3800"), ("1.25", "KWD", "0.25", "0.250", "1.000")],
)
async def test_refund_amounts_use_the_payment_currency_decimals(
    api: Api, amount: str, currency: str, part: str, part_wire: str, rest_wire: str
) -> None:
    payment_id = await api.paid(amount, currency)
    first = await api.refund(payment_id, part)
    assert f'"amount":{part_wire},"currency":"{currency}"' in first.text
    second = await api.refund(payment_id)
    assert f'"amount":{rest_wire},' in second.text


async def test_a_refund_can_be_fetched(api: Api) -> None:
    payment_id = await api.paid()
    created = await api.refund(payment_id, "1")
    refund = created.json()
    assert refund["id"].startswith("refund_")
    assert (refund["payment_id"], refund["status"]) == (payment_id, "succeeded")
    fetched = await api.client.get(f"refunds/{refund['id']}")
    assert fetched.status_code == 200
    assert fetched.text == created.text


async def test_an_unknown_refund_is_404(api: Api) -> None:
    answer = await api.client.get("refunds/refund_nope")
    assert answer.status_code == 404
    error = error_of(answer)
    assert (error["error"], error["code"]) == ("Refund not found", "resource_missing")


@pytest.mark.parametrize(
    ("currency", "amount"),
    [
        ("USD", "10.01"),  # more than the remaining 10.00
        ("USD", "0.001"),  # finer than a cent
        ("JPY", "0.5"),  # JPY has no minor unit
        ("USD", "0"),
        ("USD", "-1"),
        ("USD", "1E+9"),
    ],
)
async def test_invalid_refund_amounts(api: Api, currency: str, amount: str) -> None:
    payment_id = await api.paid("10" if currency == "JPY" else "10.00", currency)
    answer = await api.refund(payment_id, amount)
    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["error"], error["code"], error["param"]) == (
        "Invalid refund amount",
        "amount_invalid",
        "amount",
    )
    assert api.count("refunds") == 0


async def test_a_string_amount_is_an_invalid_refund_amount(api: Api) -> None:
    payment_id = await api.paid()
    raw = f'{{"payment_id": "{payment_id}", "amount": "1.00"}}'
    answer = await api.client.post("refunds", content=raw)
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "amount_invalid"


async def test_a_fully_refunded_payment_has_its_own_code(api: Api) -> None:
    payment_id = await api.paid()
    assert (await api.refund(payment_id)).status_code == 201
    for amount in (None, "0.01"):
        again = await api.refund(payment_id, amount)
        assert again.status_code == 400
        error = error_of(again)
        assert (error["code"], error["param"]) == ("charge_already_refunded", "payment_id")


async def test_a_failed_payment_cannot_be_refunded(api: Api) -> None:
    declined = await api.pay(source="tok_chargeDeclined")
    answer = await api.refund(declined.json()["payment_id"])
    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["code"], error["param"]) == ("payment_failed", "payment_id")


async def test_an_unknown_payment_id_is_404_resource_missing(api: Api) -> None:
    answer = await api.refund("pay_nope", "1.00")
    assert answer.status_code == 404
    error = error_of(answer)
    assert (error["error"], error["code"], error["param"]) == (
        "Payment not found",
        "resource_missing",
        "payment_id",
    )


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        ("{}", "parameter_missing", "payment_id"),
        ('{"payment_id": ""}', "parameter_invalid", "payment_id"),
        ('{"payment_id": 5}', "parameter_invalid", "payment_id"),
        ('{"payment_id": "pay_1", "reason": "x"}', "parameter_invalid", "reason"),
        ("{", "parameter_invalid", None),
    ],
)
async def test_invalid_refund_requests(api: Api, raw: str, code: str, param: str | None) -> None:
    answer = await api.client.post("refunds", content=raw)
    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["code"], error["param"]) == (code, param)


@pytest.mark.parametrize("amount", ["1e9999999", "1e-9999999", "1e999990"])
async def test_an_absurd_refund_amount_with_an_idempotency_key_is_invalid(
    api: Api, amount: str
) -> None:
    """The idempotency fingerprint must not overflow (500) or expand a huge exponent."""
    payment_id = await api.paid()
    raw = f'{{"payment_id": "{payment_id}", "amount": {amount}}}'
    answer = await api.client.post("refunds", content=raw, headers={"Idempotency-Key": "k"})
    assert answer.status_code == 400, answer.text
    assert error_of(answer)["code"] == "amount_invalid"
    assert api.count("refunds") == 0
