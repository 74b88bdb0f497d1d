"""The report CSV: its columns, exact amounts, text made safe (controls, keys, formulas),
written as the input was, whole or not at all."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from console.batch.csv_file import Dialect
from console.batch.report import REPORT_HEADER, ReportRow, default_report_path, write_report
from tests.fake_keys import live_key

DONE = ReportRow(2, "done", "r-1", "pay_1", Decimal("12.5"), "USD", result_id="re_1", error=None)


def read_report(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as file:
        return list(csv.reader(file, delimiter=delimiter))


def test_the_columns_and_a_done_row(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    assert write_report(path, [DONE]) == 1
    assert read_report(path) == [
        ["row", "reference", "payment_id", "amount", "currency", "status", "result_id", "error"],
        ["2", "r-1", "pay_1", "12.50", "USD", "done", "re_1", ""],
    ]
    assert list(REPORT_HEADER) == read_report(path)[0]


def test_amounts_are_exact_with_their_currencys_decimals(tmp_path: Path) -> None:
    rows = [
        ReportRow(2, "would_send", amount=Decimal("5"), currency="JPY"),
        ReportRow(3, "would_send", amount=Decimal("1.2"), currency="KWD"),
        ReportRow(4, "refused", amount=Decimal("0.1234567"), currency="USD", error="bad"),
        ReportRow(5, "refused", amount=Decimal("7.5"), error="no currency known"),
        ReportRow(6, "not_sent"),
    ]
    path = tmp_path / "report.csv"
    write_report(path, rows)
    assert [line[3] for line in read_report(path)[1:]] == ["5", "1.200", "0.1234567", "7.5", ""]


def test_text_from_the_network_or_the_file_is_made_safe(tmp_path: Path) -> None:
    key = live_key("4eC39HqLyjWDarjtT1zdp7dc")
    rows = [
        ReportRow(
            2, "refused", reference='=HYPERLINK("http://x")', error="\x1b]52;c;ZXZpbA==\x07boom"
        ),
        ReportRow(3, "refused", reference="+1", error=f"leaked {key}\x9b31m"),
        ReportRow(4, "unknown", reference="@SUM(A1)", error="line one\nline two\x07"),
        ReportRow(5, "refused", reference="-2", result_id="\u202eevil"),
    ]
    path = tmp_path / "report.csv"
    write_report(path, rows)
    raw = path.read_text(encoding="utf-8")
    assert "\x1b" not in raw
    assert "\x07" not in raw
    assert "\x9b" not in raw
    assert "\u202e" not in raw
    assert key not in raw
    lines = read_report(path)[1:]
    assert [line[1] for line in lines] == ['\'=HYPERLINK("http://x")', "'+1", "'@SUM(A1)", "'-2"]
    assert lines[0][7] == "boom"
    assert lines[1][7].startswith("leaked sk_live_…")
    assert lines[2][7] == "line one\nline two"
    assert lines[3][6] == "evil"


@pytest.mark.parametrize("dialect", [Dialect(";", bom=True), Dialect(",", bom=False)])
def test_the_report_is_written_as_the_input_was(tmp_path: Path, dialect: Dialect) -> None:
    path = tmp_path / "report.csv"
    write_report(path, [DONE], dialect)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") is dialect.bom
    lines = read_report(path, "utf-8-sig", dialect.delimiter)
    assert lines[0][0] == "row"
    assert lines[1][3] == "12.50"


def test_the_report_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("the previous report\n", encoding="utf-8")

    def rows() -> Iterator[ReportRow]:
        yield DONE
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_report(path, rows())
    assert path.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_the_default_report_is_beside_the_input() -> None:
    assert default_report_path(Path("/data/refunds.csv")) == Path("/data/refunds.report.csv")
    assert default_report_path(Path("march")) == Path("march.report.csv")
