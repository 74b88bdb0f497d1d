"""Reading a batch file: encodings, delimiters, line ends, quoting, the header, and the
line numbers problems carry (as a spreadsheet numbers rows: the header is line 1)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from console.batch.batch_file import BatchFile
from console.batch.csv_file import DELIMITERS, Delimiter, Dialect, column_name
from console.batch.identity import file_sha256
from console.batch.problems import Problem
from console.batch.rows import BatchKind, PaymentRow, RefundRow, Row

BOM = "\ufeff"


def write_csv(
    directory: Path, lines: list[str], *, newline: str = "\r\n", bom: bool = False
) -> Path:
    """`lines` as a UTF-8 file (each line ended by `newline`), as a spreadsheet saves it."""
    path = directory / "batch.csv"
    path.write_bytes(((BOM if bom else "") + "".join(line + newline for line in lines)).encode())
    return path


def read_all(path: Path, kind: BatchKind = "refunds") -> tuple[list[Row], list[Problem]]:
    """Every row and every problem of the file, in file order."""
    rows: list[Row] = []
    problems: list[Problem] = []
    for item in BatchFile(path, kind):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            rows.append(item)
    return rows, problems


def places(problems: list[Problem]) -> list[tuple[int, str | None, str]]:
    """(line, column, kind) of each problem: what the tests pin down."""
    return [(problem.line, problem.column, problem.kind) for problem in problems]


REFUNDS = ["payment_id,amount,reference", "pay_1,12.50,r1", "pay_2,,r2"]
EXPECTED_REFUNDS = [
    RefundRow(2, "pay_1", Decimal("12.50"), "r1"),
    RefundRow(3, "pay_2", None, "r2"),
]


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
@pytest.mark.parametrize("delimiter", DELIMITERS)
def test_refund_rows_read_alike_whatever_the_spreadsheet_wrote(
    tmp_path: Path, bom: bool, newline: str, delimiter: Delimiter
) -> None:
    lines = [line.replace(",", delimiter) for line in REFUNDS]
    path = write_csv(tmp_path, lines, newline=newline, bom=bom)
    batch = BatchFile(path, "refunds")
    items = list(batch)
    assert items == EXPECTED_REFUNDS
    assert batch.dialect == Dialect(delimiter, bom)
    assert batch.header == ("payment_id", "amount", "reference")
    assert batch.sha256 == file_sha256(path)


def test_the_last_line_needs_no_line_end(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_text("payment_id,amount\npay_1,5", encoding="utf-8")
    assert read_all(path) == ([RefundRow(2, "pay_1", Decimal(5))], [])


def test_spreadsheet_quoting_and_cells_spanning_lines(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            "amount,currency,source,description,reference",
            '"1,234.50",usd,tok_visa,"Refund for ""order"" 7, with a comma",a',
            '5,EUR,tok_visa,"two\nlines",b',
            "6,EUR,tok_visa,,c",
        ],
    )
    rows, problems = read_all(path, "payments")
    assert problems == []
    assert [row.line for row in rows] == [2, 3, 4]
    first, second, third = rows
    assert isinstance(first, PaymentRow)
    assert (first.amount, first.currency) == (Decimal("1234.50"), "USD")
    assert first.request.description == 'Refund for "order" 7, with a comma'
    assert isinstance(second, PaymentRow)
    assert second.request.description == "two\nlines"
    assert isinstance(third, PaymentRow)
    assert third.request.description is None
    assert third.reference == "c"


def test_a_row_spanning_lines_is_one_row_for_the_numbering(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["payment_id,amount,reference", 'pay_1,1,"a\nb\nc"', "pay_2,x,"])
    _, problems = read_all(path)
    assert places(problems) == [(3, "amount", "invalid_amount")]


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["payment_id;amount", "", ";;", "pay_1;x", ";"])
    rows, problems = read_all(path)
    assert rows == []
    assert places(problems) == [(4, "amount", "invalid_amount")]


def test_header_names_as_people_write_them(tmp_path: Path) -> None:
    assert column_name("  Payment ID ") == "payment_id"
    assert column_name("PAYMENT-ID") == "payment_id"
    path = write_csv(tmp_path, ["Payment ID, Amount ,REFERENCE", "pay_1,1,x"])
    assert read_all(path) == ([RefundRow(2, "pay_1", Decimal(1), "x")], [])


def test_optional_columns_may_be_left_out_and_come_in_any_order(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["amount,payment_id", "3,pay_1"])
    assert read_all(path) == ([RefundRow(2, "pay_1", Decimal(3), None)], [])


def test_the_delimiter_is_the_one_under_which_the_header_names_columns(tmp_path: Path) -> None:
    # Commas inside a semicolon file's header cells do not fool the detection.
    path = write_csv(tmp_path, ["payment_id;amount;reference", "pay_1;1;a,b"])
    batch = BatchFile(path, "refunds")
    assert list(batch) == [RefundRow(2, "pay_1", Decimal(1), "a,b")]
    assert batch.dialect.delimiter == ";"


def test_unknown_missing_and_repeated_columns_are_all_reported_and_end_the_reading(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path, ["payment_id,ammount,payment_id,note", "pay_1,1,pay_1,x"])
    batch = BatchFile(path, "refunds")
    problems = [item for item in batch if isinstance(item, Problem)]
    assert places(problems) == [
        (1, "ammount", "unknown_column"),
        (1, "payment_id", "repeated_column"),
        (1, "note", "unknown_column"),
        (1, "amount", "missing_column"),
    ]
    assert "'ammount' is not a column" in problems[0].message
    assert "payment_id, amount, reference" in problems[0].message
    assert batch.sha256 is None  # not read to its end


def test_payment_files_need_all_four_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["amount,currency,source", "1,USD,tok_visa"])
    _, problems = read_all(path, "payments")
    assert places(problems) == [(1, "description", "missing_column")]


def test_a_refund_header_is_not_a_payment_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path, REFUNDS)
    _, problems = read_all(path, "payments")
    assert [problem.kind for problem in problems] == ["unknown_column"] + ["missing_column"] * 3


@pytest.mark.parametrize("content", [b"", b"\r\n", b"   \n", BOM.encode()])
def test_an_empty_file_or_first_line_has_no_header(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes(content)
    _, problems = read_all(path)
    assert places(problems) == [(1, None, "no_header")]
    assert "payment_id,amount,reference" in problems[0].message


@pytest.mark.parametrize("lines", [["payment_id,amount"], ["payment_id,amount", "", ",,"]])
def test_a_header_alone_has_no_rows(tmp_path: Path, lines: list[str]) -> None:
    _, problems = read_all(write_csv(tmp_path, lines))
    assert places(problems) == [(2, None, "no_rows")]


def test_text_beyond_the_header_is_an_extra_cell_but_empty_cells_are_not(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, ["payment_id,amount,", "pay_1,1,,,", "pay_2,2,,oops", "pay_3,3,also"]
    )
    rows, problems = read_all(path)
    assert [row.line for row in rows] == [2]
    assert places(problems) == [(3, None, "extra_cell"), (4, None, "extra_cell")]
    assert "Column D" in problems[0].message
    assert "Column C" in problems[1].message


def test_a_short_row_leaves_its_last_cells_empty(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["payment_id,amount,reference", "pay_1"])
    assert read_all(path) == ([RefundRow(2, "pay_1", None, None)], [])


def test_a_row_that_is_not_utf8_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes(b"payment_id,amount,reference\r\npay_1,1,caf\xe9\r\npay_2,2,\r\n")
    rows, problems = read_all(path)
    assert rows == [RefundRow(3, "pay_2", Decimal(2))]
    assert places(problems) == [(2, None, "not_utf8")]
    assert "CSV UTF-8" in problems[0].message


def test_a_header_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes("payment_id,amount,référence\r\npay_1,1,x\r\n".encode("latin-1"))
    _, problems = read_all(path)
    assert places(problems) == [(1, None, "not_utf8")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_files_are_told_to_be_saved_as_utf8(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "batch.csv"
    text = "payment_id,amount\r\npay_1,1\r\n"
    path.write_bytes(
        ("\ufeff" + text).encode(encoding) if encoding.endswith("be") else text.encode(encoding)
    )
    _, problems = read_all(path)
    assert places(problems) == [(1, None, "not_utf8")]
    assert "UTF-16" in problems[0].message


def test_broken_quoting_is_reported_on_its_line_and_reading_goes_on(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["payment_id,amount", '"pay_1"x,1', "pay_2,2"])
    rows, problems = read_all(path)
    assert rows == [RefundRow(3, "pay_2", Decimal(2))]
    assert places(problems) == [(2, None, "not_csv")]


def test_a_quote_never_closed_is_reported_where_it_opens(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["payment_id,amount", "pay_1,1", 'pay_2,"2', "pay_3,3"])
    rows, problems = read_all(path)
    assert rows == [RefundRow(2, "pay_1", Decimal(1))]
    assert places(problems) == [(3, None, "not_csv")]
    assert problems[0].message == "A quoted cell starts here and is never closed"


def test_broken_quoting_in_the_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ['"payment_id"x,amount', "pay_1,1"])
    _, problems = read_all(path)
    assert places(problems) == [(1, None, "not_csv")]


def test_each_pass_reads_the_file_again_and_names_its_bytes(tmp_path: Path) -> None:
    path = write_csv(tmp_path, REFUNDS)
    batch = BatchFile(path, "refunds")
    assert list(batch) == list(batch) == EXPECTED_REFUNDS
    before = batch.sha256
    path.write_bytes(path.read_bytes().replace(b"12.50", b"12.51"))
    list(batch)
    assert batch.sha256 == file_sha256(path) != before


def test_the_batch_package_loads_without_textual() -> None:
    modules = ["batch_file", "identity", "refund_plan", "report", "totals"]
    imports = ", ".join(f"console.batch.{module}" for module in modules)
    code = f"import sys, {imports}; sys.exit(1 if 'textual' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
