"""Refund rows against their payments: not found, not refundable, the currency's decimals,
several rows of one payment summed against what remains, and what an empty amount
resolves to."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from console.api.models import Payment, RefundCreate
from console.batch.problems import render_problems
from console.batch.refund_plan import ResolvedRefund, refund_problems, resolve_refund
from console.batch.rows import RefundRow
from console.refunds import RefundFigures
from tests.unit.test_batch_reading import places, read_all, write_csv

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def figures(
    payment_id: str = "pay_1",
    amount: str = "100.00",
    refunded: str = "0",
    currency: str = "USD",
    status: str = "succeeded",
) -> RefundFigures:
    payment = Payment(
        id=payment_id,
        amount=Decimal(amount),
        currency=currency,
        status=status,
        created_at=WHEN,
        amount_refunded=Decimal(refunded),
    )
    return RefundFigures(payment, Decimal(refunded))


def row(line: int, amount: str | None, payment_id: str = "pay_1") -> RefundRow:
    return RefundRow(line, payment_id, None if amount is None else Decimal(amount))


PAYMENTS = {"pay_1": figures()}


def test_rows_within_what_remains_have_no_problem() -> None:
    rows = [row(2, "40"), row(3, "60")]
    assert refund_problems(rows, PAYMENTS) == []


def test_a_payment_the_api_did_not_find() -> None:
    problems = refund_problems([row(2, "1", "pay_404")], PAYMENTS)
    assert places(problems) == [(2, "payment_id", "payment_not_found")]


@pytest.mark.parametrize(
    ("payment", "words"),
    [
        (figures(status="failed"), "failed, so there is nothing to refund"),
        (figures(status="pending"), "only a succeeded payment is refunded"),
        (figures(refunded="100.00"), "already been fully refunded (USD 100.00)"),
    ],
)
def test_a_payment_with_nothing_to_refund(payment: RefundFigures, words: str) -> None:
    for amount in ("1", None):
        problems = refund_problems([row(2, amount)], {"pay_1": payment})
        assert places(problems) == [(2, "payment_id", "not_refundable")]
        assert words in problems[0].message


@pytest.mark.parametrize(
    ("currency", "amount", "message"),
    [
        ("USD", "1.001", "USD allows at most 2 decimal places"),
        ("JPY", "1.5", "JPY has no minor unit: enter a whole amount"),
    ],
)
def test_an_amount_its_payments_currency_does_not_allow(
    currency: str, amount: str, message: str
) -> None:
    payments = {"pay_1": figures(amount="1000", currency=currency)}
    problems = refund_problems([row(2, amount)], payments)
    assert places(problems) == [(2, "amount", "invalid_amount")]
    assert problems[0].message == message


def test_a_kwd_amount_with_three_decimals_is_fine() -> None:
    payments = {"pay_1": figures(amount="10.000", currency="KWD")}
    assert refund_problems([row(2, "1.234")], payments) == []


def test_one_row_over_what_remains() -> None:
    payments = {"pay_1": figures(refunded="30")}
    problems = refund_problems([row(2, "70.01")], payments)
    assert places(problems) == [(2, "amount", "over_refund")]
    assert problems[0].message == "USD 70.01 is more than the USD 70.00 left to refund"


def test_rows_of_one_payment_are_summed_and_the_row_that_tips_it_is_named() -> None:
    rows = [row(2, "40"), row(5, "1", "pay_2"), row(7, "50"), row(9, "20"), row(11, "1")]
    payments = {**PAYMENTS, "pay_2": figures("pay_2")}
    problems = refund_problems(rows, payments)
    assert places(problems) == [(9, "amount", "over_refund")]
    assert problems[0].message == (
        "Lines 2, 7 and 9 refund USD 110.00 of pay_1: more than the USD 100.00 left to refund"
    )


def test_many_rows_are_named_in_short() -> None:
    rows = [row(line, "10") for line in range(2, 14)]
    (problem,) = refund_problems(rows, PAYMENTS)
    assert problem.line == 12
    assert problem.message.startswith("Lines 2, 3, 4, 5, 6 and 6 more refund USD 110.00")


def test_a_whole_refund_must_be_its_payments_only_row() -> None:
    rows = [row(2, None), row(4, "10"), row(6, None)]
    problems = refund_problems(rows, PAYMENTS)
    assert places(problems) == [
        (2, "amount", "whole_and_partial"),
        (6, "amount", "whole_and_partial"),
    ]
    assert problems[0].message == (
        "Refunds all that remains of pay_1, which lines 4 and 6 refund too: give each row an amount"
    )
    two = refund_problems([row(2, None), row(3, "1")], PAYMENTS)
    assert two[0].message == (
        "Refunds all that remains of pay_1, which line 3 refunds too: give each row an amount"
    )


def test_a_whole_refund_alone_is_fine_and_resolves_to_what_remains() -> None:
    payment = figures(amount="100", refunded="25.5")
    assert refund_problems([row(2, None)], {"pay_1": payment}) == []
    resolved = resolve_refund(RefundRow(2, "pay_1", None, "r"), payment)
    assert resolved == ResolvedRefund(
        2, "pay_1", Decimal("74.50"), "USD", whole=True, reference="r"
    )
    assert str(resolved.amount) == "74.50"
    assert resolved.request() == RefundCreate(payment_id="pay_1", amount=Decimal("74.50"))


def test_a_row_with_an_amount_resolves_to_it_with_the_currencys_decimals() -> None:
    resolved = resolve_refund(row(3, "5"), figures(currency="KWD", amount="10"))
    assert (resolved.amount, str(resolved.amount), resolved.currency) == (
        Decimal(5),
        "5.000",
        "KWD",
    )
    assert resolved.whole is False
    assert resolved.request().to_wire() == {"payment_id": "pay_1", "amount": Decimal("5.000")}


def test_on_a_resume_figures_after_rows_that_may_have_happened_count_them() -> None:
    payment = figures().after(Decimal(60))
    problems = refund_problems([row(4, "50")], {"pay_1": payment})
    assert places(problems) == [(4, "amount", "over_refund")]


def test_problems_come_in_line_order_and_render_with_the_files_columns() -> None:
    rows = [row(9, "200"), row(3, "1", "pay_404"), row(5, "1.001")]
    problems = refund_problems(rows, PAYMENTS)
    assert [problem.line for problem in problems] == [3, 5, 9]
    assert render_problems(problems, ("reference", "payment_id", "amount")) == [
        "line 3, column B (payment_id): No such payment",
        "line 5, column C (amount): USD allows at most 2 decimal places",
        "line 9, column C (amount): USD 200.00 is more than the USD 100.00 left to refund",
    ]


def test_a_file_read_then_checked_against_its_payments(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        ["payment_id;amount;reference", "pay_1;60,00;a", "pay_1;50;b", "pay_2;;c", "pay_3;1;d"],
    )
    rows, problems = read_all(path)
    assert problems == []
    payments = {"pay_1": figures(), "pay_2": figures("pay_2", "9.99")}
    checked = refund_problems([r for r in rows if isinstance(r, RefundRow)], payments)
    assert places(checked) == [(3, "amount", "over_refund"), (5, "payment_id", "payment_not_found")]
