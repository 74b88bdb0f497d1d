"""Each row read on its own: refund and payment rows, every problem of their cells (with
line and column), amounts as spreadsheets write them, and repeated rows."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from console.batch.amounts import amount_notation, amount_without_currency
from console.batch.problems import PROBLEM_KINDS
from console.batch.rows import MAX_DESCRIPTION_LENGTH, PaymentRow, RefundRow
from console.money import AmountError
from tests.fake_keys import live_key
from tests.unit.test_batch_reading import places, read_all, write_csv

KEY = live_key("4eC39HqLyjWDarjtT1zdp7dc")
PAYMENT_HEADER = "amount,currency,source,description,reference"


def refund_problems_of(tmp_path: Path, *rows: str) -> list[tuple[int, str | None, str]]:
    return places(read_all(write_csv(tmp_path, ["payment_id,amount,reference", *rows]))[1])


def payment_problems_of(tmp_path: Path, *rows: str) -> list[tuple[int, str | None, str]]:
    path = write_csv(tmp_path, [PAYMENT_HEADER, *rows])
    return places(read_all(path, "payments")[1])


def test_a_clean_refund_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["payment_id,amount,reference", ' pay_A-1_b ," 1,234.5 ", x '])
    assert read_all(path) == ([RefundRow(2, "pay_A-1_b", Decimal("1234.5"), "x")], [])


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (",1,", [(2, "payment_id", "required")]),
        ("ch_123,1,", [(2, "payment_id", "invalid_payment_id")]),
        ("pay_1 2,1,", [(2, "payment_id", "invalid_payment_id")]),
        ("pay_1,abc,", [(2, "amount", "invalid_amount")]),
        ("pay_1,0,", [(2, "amount", "invalid_amount")]),
        ("pay_1,-5,", [(2, "amount", "invalid_amount")]),
        ("pay_1,NaN,", [(2, "amount", "invalid_amount")]),
        ("pay_1,100000000,", [(2, "amount", "invalid_amount")]),
        ("pay_1,1.00001,", [(2, "amount", "invalid_amount")]),
        ("nope,abc,", [(2, "payment_id", "invalid_payment_id"), (2, "amount", "invalid_amount")]),
    ],
)
def test_refund_cell_problems(
    tmp_path: Path, row: str, expected: list[tuple[int, str | None, str]]
) -> None:
    assert refund_problems_of(tmp_path, "pay_ok,1,", row) == [
        (line + 1, column, kind) for line, column, kind in expected
    ]


def test_a_refund_amount_finer_than_any_currency_says_so_without_naming_one(
    tmp_path: Path,
) -> None:
    _, problems = read_all(write_csv(tmp_path, ["payment_id,amount", "pay_1,1.00001"]))
    assert problems[0].message == "Amount has more decimal places than any currency allows"


def test_a_refund_amount_is_kept_exact_before_its_currency_is_known(tmp_path: Path) -> None:
    rows, problems = read_all(write_csv(tmp_path, ["payment_id,amount", "pay_1,1.2340"]))
    assert problems == []
    assert rows == [RefundRow(2, "pay_1", Decimal("1.2340"))]


def test_a_clean_payment_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [PAYMENT_HEADER, " 19.99 , eur , tok_visa , Order 7 , r-7 "])
    rows, problems = read_all(path, "payments")
    assert problems == []
    (row,) = rows
    assert isinstance(row, PaymentRow)
    assert row.request.to_wire() == {
        "amount": Decimal("19.99"),
        "currency": "EUR",
        "source": "tok_visa",
        "description": "Order 7",
    }
    assert (row.line, row.reference, row.amount, row.currency) == (
        2,
        "r-7",
        Decimal("19.99"),
        "EUR",
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (",USD,tok_visa,,", [(2, "amount", "required")]),
        ("1,,tok_visa,,", [(2, "currency", "required")]),
        ("1,USD,,,", [(2, "source", "required")]),
        ("1,XYZ,tok_visa,,", [(2, "currency", "invalid_currency")]),
        ("1,XAU,tok_visa,,", [(2, "currency", "invalid_currency")]),
        ("1.5,JPY,tok_visa,,", [(2, "amount", "invalid_amount")]),
        ("1.234,USD,tok_visa,,", [(2, "amount", "invalid_amount")]),
        ("abc,USD,tok_visa,,", [(2, "amount", "invalid_amount")]),
        ("1,USD,4242 4242 4242 4242,,", [(2, "source", "invalid_source")]),
        ("1,USD,4242424242424242,,", [(2, "source", "invalid_source")]),
        (
            ",,,Order 7,",
            [(2, "amount", "required"), (2, "currency", "required"), (2, "source", "required")],
        ),
        (
            "abc,XYZ,4242424242424242,,",
            [
                (2, "currency", "invalid_currency"),
                (2, "amount", "invalid_amount"),
                (2, "source", "invalid_source"),
            ],
        ),
    ],
)
def test_payment_cell_problems(
    tmp_path: Path, row: str, expected: list[tuple[int, str | None, str]]
) -> None:
    assert payment_problems_of(tmp_path, "1,USD,tok_visa,,", row) == [
        (line + 1, column, kind) for line, column, kind in expected
    ]


def test_a_card_number_is_never_echoed_in_a_problem(tmp_path: Path) -> None:
    _, problems = read_all(
        write_csv(tmp_path, [PAYMENT_HEADER, "1,USD,4242424242424242,,"]), "payments"
    )
    assert "4242" not in problems[0].message
    assert "never a card number" in problems[0].message


def test_an_amount_with_a_bad_currency_is_still_checked(tmp_path: Path) -> None:
    assert payment_problems_of(tmp_path, "0,XYZ,tok_visa,,") == [
        (2, "currency", "invalid_currency"),
        (2, "amount", "invalid_amount"),
    ]


def test_the_description_limit_is_the_apis(tmp_path: Path) -> None:
    from console.sandbox.openapi import MAX_DESCRIPTION_LENGTH as SANDBOX_LIMIT

    assert MAX_DESCRIPTION_LENGTH == SANDBOX_LIMIT
    longest = "d" * MAX_DESCRIPTION_LENGTH
    assert payment_problems_of(tmp_path, f"1,USD,tok_visa,{longest},") == []
    _, problems = read_all(
        write_csv(tmp_path, [PAYMENT_HEADER, f"1,USD,tok_visa,{longest}x,"]), "payments"
    )
    assert places(problems) == [(2, "description", "invalid_description")]
    assert problems[0].message == "At most 1,000 characters, not 1,001"


@pytest.mark.parametrize("column", ["amount", "currency", "source", "description", "reference"])
def test_key_shaped_text_is_refused_in_every_payment_cell_and_never_echoed(
    tmp_path: Path, column: str
) -> None:
    cells = {
        "amount": "1",
        "currency": "USD",
        "source": "tok_visa",
        "description": "",
        "reference": "",
    }
    cells[column] = f"see {KEY}"
    path = write_csv(tmp_path, [PAYMENT_HEADER, ",".join(cells.values())])
    _, problems = read_all(path, "payments")
    assert places(problems) == [(2, column, "key_in_text")]
    assert KEY not in problems[0].message
    assert "looks like an API key" in problems[0].message


@pytest.mark.parametrize("column", ["payment_id", "amount", "reference"])
def test_key_shaped_text_is_refused_in_every_refund_cell(tmp_path: Path, column: str) -> None:
    cells = {"payment_id": "pay_1", "amount": "1", "reference": "r"}
    cells[column] = KEY
    assert refund_problems_of(tmp_path, ",".join(cells.values())) == [(2, column, "key_in_text")]


@pytest.mark.parametrize(
    "text", ["\x1b[31mred", "bell\x07", "\x9bcsi", "bidi\u202eevil", "nul\x00"]
)
def test_control_characters_are_refused(tmp_path: Path, text: str) -> None:
    assert refund_problems_of(tmp_path, f'pay_1,1,"{text}"') == [
        (2, "reference", "control_character")
    ]
    assert payment_problems_of(tmp_path, f'1,USD,tok_visa,"{text}",') == [
        (2, "description", "control_character")
    ]


def test_line_breaks_and_tabs_in_a_description_are_text(tmp_path: Path) -> None:
    assert payment_problems_of(tmp_path, '1,USD,tok_visa,"a\n\tb",') == []


def test_every_row_reports_all_it_has_wrong_and_the_good_rows_stay(tmp_path: Path) -> None:
    rows, problems = read_all(
        write_csv(tmp_path, ["payment_id,amount", "pay_1,1", "x,y", "pay_3,3", ",0"])
    )
    assert [row.line for row in rows] == [2, 4]
    assert places(problems) == [
        (3, "payment_id", "invalid_payment_id"),
        (3, "amount", "invalid_amount"),
        (5, "payment_id", "required"),
        (5, "amount", "invalid_amount"),
    ]


# --- repeated rows -------------------------------------------------------------------


def test_a_refund_row_that_repeats_an_earlier_one_is_a_problem(tmp_path: Path) -> None:
    rows, problems = read_all(
        write_csv(
            tmp_path,
            ["payment_id,amount,reference", "pay_1,10,", "pay_2,,", "pay_1,10.00,", "pay_2,,"],
        )
    )
    assert [row.line for row in rows] == [2, 3]
    assert places(problems) == [(4, None, "duplicate_row"), (5, None, "duplicate_row")]
    assert problems[0].message.startswith("Repeats line 2")
    assert problems[1].message.startswith("Repeats line 3")


def test_a_reference_tells_repeated_rows_apart(tmp_path: Path) -> None:
    assert refund_problems_of(tmp_path, "pay_1,10,a", "pay_1,10,b", "pay_1,5,a") == []


def test_a_payment_row_that_repeats_an_earlier_one_is_a_problem(tmp_path: Path) -> None:
    assert payment_problems_of(
        tmp_path,
        "5,usd,tok_visa,x,",
        "5.00,USD,tok_visa,x,",
        "5,USD,tok_visa,y,",
        "5,EUR,tok_visa,x,",
    ) == [(3, None, "duplicate_row")]


# --- amounts as spreadsheets write them ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,50", "12.50"),
        ("12,5", "12.5"),
        ("0,125", "0.125"),
        ("1234,5", "1234.5"),
        ("1234", "1234"),
        ("12.50", "12.50"),
        ("1,2340", "1.2340"),
        ("12345,678", "12345.678"),
    ],
)
def test_a_semicolon_file_may_use_a_decimal_comma(text: str, expected: str) -> None:
    assert amount_notation(text, ";") == expected


@pytest.mark.parametrize("text", ["1,234", "1.234", "12,345", "999.999", "-1,234"])
def test_a_semicolon_file_amount_that_could_be_thousands_is_refused(text: str) -> None:
    with pytest.raises(AmountError, match="thousand or more, or a fraction"):
        amount_notation(text, ";")


@pytest.mark.parametrize("text", ["1.234,50", "1,234.50", "1.234.567"])
def test_a_semicolon_file_amount_with_two_separators_is_refused(text: str) -> None:
    with pytest.raises(AmountError, match="without a thousands separator"):
        amount_notation(text, ";")


def test_a_comma_file_writes_amounts_as_money_reads_them() -> None:
    assert amount_notation("1,234.50", ",") == "1,234.50"
    assert amount_without_currency("1,234.50", ",") == Decimal("1234.50")
    with pytest.raises(AmountError):
        amount_without_currency("12,50", ",")


def test_decimal_commas_in_a_semicolon_file_end_to_end(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, ["amount;currency;source;description", "12,50;EUR;tok_visa;Bestellung 7, Rest"]
    )
    rows, problems = read_all(path, "payments")
    assert problems == []
    assert [row.amount for row in rows if isinstance(row, PaymentRow)] == [Decimal("12.50")]
    assert refund_problems_of(tmp_path) == [(2, None, "no_rows")]


def test_every_problem_kind_is_exercised_somewhere() -> None:
    """A new kind needs a test that produces it (this file, test_batch_reading or
    test_batch_refund_plan): the list below is the inventory."""
    tested = {
        "not_utf8", "not_csv", "no_header", "no_rows", "unknown_column", "missing_column",
        "repeated_column", "extra_cell", "required", "control_character", "key_in_text",
        "invalid_payment_id", "invalid_amount", "invalid_currency", "invalid_source",
        "invalid_description", "duplicate_row", "payment_not_found", "not_refundable",
        "whole_and_partial", "over_refund",
    }  # fmt: skip
    assert tested == set(PROBLEM_KINDS)
