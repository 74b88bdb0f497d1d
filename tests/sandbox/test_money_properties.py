"""Property: any amount a currency allows goes through payment and refund exactly."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console import money
from console.sandbox.app import create_app
from tests.sandbox.conftest import Client

CURRENCIES = ["USD", "JPY", "KWD", "EUR", "BHD", "CLP", "CLF"]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    app: FastAPI = create_app(":memory:")
    sync_client = Client(app)
    yield sync_client
    sync_client.close()
    app.state.store.close()


@st.composite
def payments(draw: st.DrawFn) -> tuple[str, int, int, str]:
    """(currency, amount and refund in minor units, the amount as the client writes it)."""
    currency = draw(st.sampled_from(CURRENCIES))
    exponent = money.currency_exponent(currency)
    minor = draw(st.integers(1, 10 ** (money.MAX_INTEGER_DIGITS + exponent) - 1))
    refund = draw(st.integers(1, minor))
    exact = money.from_minor(minor, currency)
    padded = exact.quantize(Decimal(1).scaleb(-exponent - 3))  # trailing zeros: still exact
    written = draw(st.sampled_from([exact, exact.normalize(), padded]))
    return currency, minor, refund, format(written, "f")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payment=payments())
def test_amounts_round_trip_exactly(client: Client, payment: tuple[str, int, int, str]) -> None:
    currency, minor, refund_minor, written = payment
    wire = format(money.from_minor(minor, currency), "f")
    created = client.post(
        "payments",
        content=f'{{"amount": {written}, "currency": "{currency}", "source": "tok_visa"}}',
    )
    assert created.status_code == 201, created.text
    assert f'"amount":{wire},' in created.text
    payment_id = money.loads(created.text)["id"]
    refund_wire = format(money.from_minor(refund_minor, currency), "f")
    refund = client.post(
        "refunds", content=f'{{"payment_id": "{payment_id}", "amount": {refund_wire}}}'
    )
    assert refund.status_code == 201, refund.text
    assert f'"amount":{refund_wire},' in refund.text
    fetched = money.loads(client.get(f"payments/{payment_id}").text)
    assert fetched["amount"] == money.from_minor(minor, currency)
    assert fetched["amount_refunded"] == money.from_minor(refund_minor, currency)
    assert fetched["refunded"] is (refund_minor == minor)
    assert str(fetched["amount_refunded"]) == refund_wire
