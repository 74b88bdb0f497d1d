"""Totals per currency (count and exact sum) for the dry run, and the typed confirmation
of a live run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console import money
from console.batch.refund_plan import ResolvedRefund
from console.batch.rows import PaymentRow
from console.batch.totals import CurrencyTotal, total_lines, totals, typed_total_error
from tests.unit.test_batch_reading import read_all, write_csv


def refund(amount: str, currency: str, line: int = 2) -> ResolvedRefund:
    return ResolvedRefund(line, "pay_1", Decimal(amount), currency, whole=False)


def test_totals_per_currency_sorted_by_code() -> None:
    rows = [refund("0.10", "USD"), refund("5", "JPY"), refund("0.20", "USD"), refund("1", "EUR")]
    assert totals(rows) == {
        "EUR": CurrencyTotal(1, Decimal(1)),
        "JPY": CurrencyTotal(1, Decimal(5)),
        "USD": CurrencyTotal(2, Decimal("0.30")),
    }


def test_totals_are_exact_decimals() -> None:
    found = totals([refund("0.10", "USD")] * 3)
    assert found["USD"].amount == Decimal("0.30")  # 0.1 + 0.1 + 0.1 in float is not 0.3
    assert isinstance(found["USD"].amount, Decimal)


def test_no_rows_no_totals() -> None:
    assert totals([]) == {}
    assert total_lines({}) == []


def test_payment_rows_total_too(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            "amount;currency;source;description",
            "19,99;eur;tok_visa;a",
            "0,01;EUR;tok_visa;b",
            "1000;JPY;tok_visa;c",
        ],
    )
    rows, problems = read_all(path, "payments")
    assert problems == []
    payments = [row for row in rows if isinstance(row, PaymentRow)]
    assert total_lines(totals(payments)) == ["EUR 20.00 in 2 rows", "JPY 1,000 in 1 row"]


def test_total_lines_group_thousands_and_count_rows() -> None:
    found = {"KWD": CurrencyTotal(12_345, Decimal("1234567.5"))}
    assert total_lines(found) == ["KWD 1,234,567.500 in 12,345 rows"]


@pytest.mark.parametrize(
    "typed", ["1234.50", "1,234.50", " 1234.5 ", "USD 1,234.50", "usd1234.500"]
)
def test_the_total_typed_as_shown_confirms(typed: str) -> None:
    assert typed_total_error(typed, "USD", CurrencyTotal(3, Decimal("1234.50"))) is None


@pytest.mark.parametrize(
    "typed", ["", "1234", "1234.51", "EUR 1234.50", "abc", "NaN", "sNaN", "inf"]
)
def test_anything_else_does_not(typed: str) -> None:
    error = typed_total_error(typed, "USD", CurrencyTotal(3, Decimal("1234.50")))
    assert error == "That is not the batch's total in USD: type 1234.50"


def test_a_total_beyond_any_one_payments_bound_can_be_confirmed() -> None:
    big = CurrencyTotal(3, Decimal("250000000.00"))
    assert typed_total_error("250,000,000.00", "USD", big) is None


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["USD", "JPY", "KWD", "CLF"]),
            st.integers(min_value=1, max_value=10**10),
        ),
        max_size=40,
    )
)
def test_totals_add_every_minor_unit(items: list[tuple[str, int]]) -> None:
    rows = [refund(str(money.from_minor(units, code)), code) for code, units in items]
    found = totals(rows)
    for code in {code for code, _ in items}:
        units = [minor for other, minor in items if other == code]
        assert found[code] == CurrencyTotal(len(units), money.from_minor(sum(units), code))
        total = found[code]
        assert typed_total_error(str(total.amount), code, total) is None
    assert sum(total.count for total in found.values()) == len(items)
