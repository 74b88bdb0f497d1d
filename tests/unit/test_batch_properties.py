"""Properties of reading batch files (hypothesis): every generated valid file reads back as
the rows it was written from, however a spreadsheet wrote it; every invalid row is
reported on its own line, and the others still read."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console import money
from console.batch.amounts import amount_notation
from console.batch.csv_file import DELIMITERS, Delimiter
from console.batch.rows import PaymentRow, RefundRow, Row
from console.safe_text import KEY_IN_TEXT
from tests.unit.test_batch_reading import read_all

CURRENCIES = ("USD", "EUR", "JPY", "KWD", "CLF")

texts = (
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Cf"), blacklist_characters="\ufeff")
        | st.sampled_from(",;\"'\n\t ="),
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda text: KEY_IN_TEXT.search(text) is None)
)
ID_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
payment_ids = st.text(ID_CHARACTERS, min_size=1, max_size=20).map("pay_".__add__)
Layout = tuple[Delimiter, bool, str]
"""Delimiter, BOM, line end."""
layouts = st.tuples(st.sampled_from(DELIMITERS), st.booleans(), st.sampled_from(["\r\n", "\n"]))


@st.composite
def amounts(draw: st.DrawFn, currency: str) -> Decimal:
    exponent = money.currency_exponent(currency)
    return money.from_minor(draw(st.integers(1, 10 ** (8 + exponent) - 1)), currency)


def amount_cell(amount: Decimal, delimiter: Delimiter) -> str:
    """How a spreadsheet would write it: '1234.50', or '1234,50' in a semicolon file."""
    text = format(amount, "f")
    if delimiter == ";":
        text = text.replace(".", ",")
        try:
            amount_notation(text, ";")
        except money.AmountError:
            text += "0"  # '1,234' would be ambiguous there: '1,2340' is not
    return text


def write_file(path: Path, header: list[str], rows: list[list[str]], layout: Layout) -> None:
    delimiter, bom, newline = layout
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes((("\ufeff" if bom else "") + out.getvalue()).encode())


any_amount = st.sampled_from(CURRENCIES).flatmap(amounts)


@st.composite
def refund_files(draw: st.DrawFn) -> tuple[Layout, list[RefundRow | None]]:
    """A layout, and rows (None: a blank row) with distinct payment IDs."""
    specs = draw(
        st.lists(
            st.tuples(payment_ids, st.none() | any_amount, texts, st.booleans()),
            min_size=1,
            max_size=12,
            unique_by=lambda spec: spec[0],
        )
    )
    rows: list[RefundRow | None] = []
    for payment_id, amount, reference, blank_before in specs:
        if blank_before:
            rows.append(None)
        rows.append(RefundRow(len(rows) + 2, payment_id, amount, reference or None))
    return draw(layouts), rows


def refund_cells(row: RefundRow | None, delimiter: Delimiter) -> list[str]:
    if row is None:
        return ["", "", ""]
    amount = "" if row.amount is None else amount_cell(row.amount, delimiter)
    return [row.payment_id, amount, row.reference or ""]


@given(refund_files())
def test_every_valid_refund_file_reads_back(
    tmp_path_factory: pytest.TempPathFactory,
    file: tuple[Layout, list[RefundRow | None]],
) -> None:
    layout, rows = file
    path = tmp_path_factory.getbasetemp() / "refunds.csv"
    delimiter = layout[0]
    cells = [refund_cells(row, delimiter) for row in rows]
    write_file(path, ["payment_id", "amount", "reference"], cells, layout)
    assert read_all(path) == ([row for row in rows if row is not None], [])


payment_specs = st.lists(
    st.tuples(
        st.sampled_from(CURRENCIES).flatmap(lambda code: st.tuples(amounts(code), st.just(code))),
        st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12).map("tok_".__add__),
        texts,
    ),
    min_size=1,
    max_size=10,
)


@given(layout=layouts, specs=payment_specs)
def test_every_valid_payment_file_reads_back(
    tmp_path_factory: pytest.TempPathFactory,
    layout: Layout,
    specs: list[tuple[tuple[Decimal, str], str, str]],
) -> None:
    delimiter = layout[0]
    expected = [
        (amount, currency, source, description or None, f"r{index}")
        for index, ((amount, currency), source, description) in enumerate(specs)
    ]
    path = tmp_path_factory.getbasetemp() / "payments.csv"
    cells = [
        [amount_cell(amount, delimiter), currency.lower(), source, description or "", reference]
        for amount, currency, source, description, reference in expected
    ]
    write_file(path, ["amount", "currency", "source", "description", "reference"], cells, layout)
    rows, problems = read_all(path, "payments")
    assert problems == []
    assert [_payment(row) for row in rows] == expected
    assert [row.line for row in rows] == list(range(2, len(expected) + 2))


def _payment(row: Row) -> tuple[Decimal, str, str, str | None, str | None]:
    assert isinstance(row, PaymentRow)
    request = row.request
    return request.amount, request.currency, request.source, request.description, row.reference


BAD_CELLS = [
    (0, "ch_123"),
    (0, "pay_"),
    (0, "pay 1"),
    (0, "sk_test_" + "x" * 20),
    (1, "abc"),
    (1, "0"),
    (1, "-1"),
    (1, "1.00001"),
    (1, "NaN"),
    (1, "1e3"),
    (1, "100000000"),
]
"""(column, text) of a cell that makes a refund row invalid."""


@given(refund_files(), st.lists(st.none() | st.sampled_from(BAD_CELLS), min_size=30, max_size=30))
def test_every_invalid_row_is_reported_on_its_line(
    tmp_path_factory: pytest.TempPathFactory,
    file: tuple[Layout, list[RefundRow | None]],
    damage: list[tuple[int, str] | None],
) -> None:
    layout, rows = file
    delimiter = layout[0]
    cells = [refund_cells(row, delimiter) for row in rows]
    broken: set[int] = set()
    for index, (row, bad) in enumerate(zip(rows, damage, strict=False)):
        if row is not None and bad is not None:
            column, text = bad
            cells[index][column] = text
            broken.add(row.line)
    path = tmp_path_factory.getbasetemp() / "broken.csv"
    write_file(path, ["payment_id", "amount", "reference"], cells, layout)
    read_rows, problems = read_all(path)
    assert {problem.line for problem in problems} == broken
    assert all(problem.column in ("payment_id", "amount") for problem in problems)
    assert read_rows == [row for row in rows if row is not None and row.line not in broken]
