"""Exact money: parsing, rejections, minor units, JSON round trips, display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console import money
from console.money import AmountError

CURRENCIES = money.currency_codes()


@st.composite
def amounts(draw: st.DrawFn) -> tuple[Decimal, str]:
    """A valid amount with its currency: any currency, any size up to 8 integer digits."""
    currency = draw(st.sampled_from(CURRENCIES))
    exponent = money.currency_exponent(currency)
    units = draw(st.integers(min_value=1, max_value=10 ** (8 + exponent) - 1))
    return money.from_minor(units, currency), currency


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("1,234.50", "USD", Decimal("1234.50")),
        ("100", "USD", Decimal("100")),
        (" 19.99 ", "USD", Decimal("19.99")),
        ("5000", "JPY", Decimal("5000")),
        ("1.250", "KWD", Decimal("1.250")),
        ("0.125", "BHD", Decimal("0.125")),
        ("99,999,999.99", "usd", Decimal("99999999.99")),
        ("5.00", "JPY", Decimal("5.00")),
        (".5", "EUR", Decimal("0.5")),
    ],
)
def test_parse_amount_accepts_what_a_merchant_types(
    text: str, currency: str, expected: Decimal
) -> None:
    parsed = money.parse_amount(text, currency)
    assert parsed == expected
    assert isinstance(parsed, Decimal)


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("abc", "USD", "Amount must be a number, like 19.99"),
        ("1,23", "USD", "Amount must be a number, like 19.99"),
        ("1e5", "USD", "Amount must be a number, like 19.99"),
        ("", "USD", "Enter an amount"),
        ("NaN", "USD", "Amount must be a finite number"),
        ("-Infinity", "USD", "Amount must be a finite number"),
        ("inf", "USD", "Amount must be a finite number"),
        ("0", "USD", "Amount must be greater than zero"),
        ("0.00", "USD", "Amount must be greater than zero"),
        ("-5", "USD", "Amount must be greater than zero"),
        ("1.001", "USD", "USD allows at most 2 decimal places"),
        ("1.5", "JPY", "JPY has no minor unit: enter a whole amount"),
        ("1.0001", "KWD", "KWD allows at most 3 decimal places"),
        ("1.2345", "BHD", "BHD allows at most 3 decimal places"),
        ("100000000", "USD", "Amount must be less than 100,000,000"),
        ("10", "XYZ", "Unknown currency code 'XYZ'"),
        ("10", "XAU", "XAU is not a currency payments can be made in"),
    ],
)
def test_parse_amount_rejects_with_a_specific_message(
    text: str, currency: str, message: str
) -> None:
    with pytest.raises(AmountError) as caught:
        money.parse_amount(text, currency)
    assert str(caught.value) == message


def test_exponents_come_from_iso4217() -> None:
    assert [money.currency_exponent(c) for c in ("USD", "JPY", "KWD", "BHD")] == [2, 0, 3, 3]
    assert len(CURRENCIES) > 150


@given(amounts())
def test_json_round_trip_is_exact(case: tuple[Decimal, str]) -> None:
    amount, currency = case
    text = money.dumps({"amount": amount, "currency": currency})
    assert text == f'{{"amount":{format(amount, "f")},"currency":"{currency}"}}'
    back = money.loads(text)["amount"]
    assert back == amount
    assert str(back) == format(amount, "f")


@given(amounts())
def test_minor_units_round_trip(case: tuple[Decimal, str]) -> None:
    amount, currency = case
    units = money.to_minor(amount, currency)
    assert isinstance(units, int)
    assert money.from_minor(units, currency) == amount


@given(amounts())
def test_display_then_parse_gives_the_same_amount(case: tuple[Decimal, str]) -> None:
    amount, currency = case
    shown = money.format_amount(amount, currency)
    code, _, digits = shown.partition(" ")
    assert code == currency
    assert money.parse_amount(digits, currency) == amount


@given(st.sampled_from(CURRENCIES), st.integers(min_value=1, max_value=10**6))
def test_finer_than_minor_unit_is_refused_not_rounded(currency: str, units: int) -> None:
    exponent = money.currency_exponent(currency)
    too_fine = Decimal(units).scaleb(-(exponent + 1))
    if too_fine.normalize().as_tuple().exponent == -(exponent + 1):
        with pytest.raises(AmountError):
            money.check_amount(too_fine, currency)
        with pytest.raises(AmountError):
            money.to_minor(too_fine, currency)


def test_dumps_writes_exact_digits_and_never_strings() -> None:
    assert money.dumps({"a": Decimal("19.99")}) == '{"a":19.99}'
    assert money.dumps([Decimal("0.10"), 5, None, True, "x"]) == '[0.10,5,null,true,"x"]'
    assert money.dumps({"a": Decimal("1E+2")}) == '{"a":100}'


def test_dumps_refuses_binary_float_and_nan() -> None:
    with pytest.raises(TypeError):
        money.dumps({"a": 19.99})
    with pytest.raises(ValueError, match="NaN"):
        money.dumps({"a": Decimal("NaN")})


def test_loads_never_produces_float() -> None:
    data = money.loads('{"a": 19.989999999999998, "b": 1e2, "c": 3}')
    assert data == {"a": Decimal("19.989999999999998"), "b": Decimal("1E+2"), "c": 3}
    with pytest.raises(ValueError, match="NaN"):
        money.loads('{"a": NaN}')


def test_format_amount() -> None:
    assert money.format_amount(Decimal("1234.5"), "USD") == "USD 1,234.50"
    assert money.format_amount(Decimal("1235"), "jpy") == "JPY 1,235"
    assert money.format_amount(Decimal("1.25"), "KWD") == "KWD 1.250"


@pytest.mark.parametrize("text", ["1e30", "1e9999999", "-1e9999999", "1e-9999999"])
def test_quantizing_an_absurd_amount_is_an_amount_error_not_a_decimal_trap(text: str) -> None:
    """Amounts read from a server are unbounded: display and minor units must not raise
    decimal.InvalidOperation or decimal.Overflow (a traceback), only AmountError."""
    for convert in (money.quantize, money.to_minor, money.format_amount):
        with pytest.raises(money.AmountError):
            convert(Decimal(text), "USD")


def test_an_amount_below_the_decimal_exponent_range_is_not_rounded_to_zero() -> None:
    with pytest.raises(AmountError, match="at most 2 decimal places"):
        money.check_amount(Decimal("1e-9999999"), "USD")
