"""The journal's history: the filter language, offset and keyset pages, counts, the CSV
export, 100,000 entries, and the query plans behind them."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from console.journal import CSV_HEADER, Journal
from console.journal.filters import unknown_where, where
from tests.unit.test_journal import T0, assert_indexed, pay, payment_response, query_plans


def _small(journal: Journal) -> dict[str, int]:
    """pay_alpha1 (USD 10.00, succeeded), pay_beta2 (EUR 105.50, failed), refund of alpha
    (USD 4.25, unknown), pay_gamma_3 (JPY 1000, succeeded)."""
    ids = {}
    ids["alpha"] = pay(journal, "10.00", key="k1")
    journal.record_result(
        ids["alpha"], status="succeeded", now=T0, response=payment_response("pay_alpha1", "10.00")
    )
    ids["beta"] = pay(journal, "105.50", currency="EUR", key="k2")
    journal.record_result(ids["beta"], status="failed", now=T0, error="declined")
    journal.record_result(ids["beta"], status="failed", now=T0, payment_id="pay_beta2")
    ids["refund"] = journal.record_pending(
        kind="refund",
        profile="shop",
        idempotency_key="k3",
        request={"payment_id": "pay_alpha1", "amount": Decimal("4.25")},
        now=T0,
        payment_id="pay_alpha1",
        amount=Decimal("4.25"),
        currency="USD",
    )
    journal.record_result(ids["refund"], status="unknown", now=T0)
    ids["gamma"] = pay(journal, "1000", currency="JPY", key="k4")
    journal.record_result(
        ids["gamma"],
        status="succeeded",
        now=T0,
        response=payment_response("pay_gamma_3", "1000", "JPY"),
    )
    return ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["gamma", "refund", "beta", "alpha"]),
        ("   ", ["gamma", "refund", "beta", "alpha"]),
        ("pay_alpha1", ["refund", "alpha"]),
        ("ALPHA", ["refund", "alpha"]),
        ("beta", ["beta"]),
        ("succeeded", ["gamma", "alpha"]),
        ("Unknown", ["refund"]),
        ("refund", ["refund"]),
        ("eur", ["beta"]),
        ("10", ["gamma", "beta", "alpha"]),
        ("10.0", ["alpha"]),
        ("105.5", ["beta"]),
        ("1,000", ["gamma"]),
        ("4.25", ["refund"]),
        ("alpha succeeded", ["alpha"]),
        ("_3", ["gamma"]),
        ("%", []),
        ("a_p", []),
        ("pay_zzz", []),
    ],
)
def test_filter_text(journal: Journal, text: str, expected: list[str]) -> None:
    ids = _small(journal)
    found = [entry.id for entry in journal.page(text)]
    assert found == [ids[name] for name in expected]
    assert journal.count(text) == len(expected)


def test_recent_is_newest_first_and_limited(journal: Journal) -> None:
    ids = _small(journal)
    assert [e.id for e in journal.recent(2)] == [ids["gamma"], ids["refund"]]


def test_csv_export(journal: Journal, tmp_path: Path) -> None:
    ids = _small(journal)
    path = tmp_path / "export.csv"
    assert journal.export_csv("usd", path) == 2
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == CSV_HEADER
    assert [int(row["id"]) for row in rows] == [ids["refund"], ids["alpha"]]
    assert [row["amount"] for row in rows] == ["4.25", "10.00"]
    assert rows[1]["payment_id"] == "pay_alpha1"
    assert rows[0]["status"] == "unknown"
    assert journal.export_csv("nothing-matches", path) == 0
    assert path.read_text().splitlines() == [",".join(CSV_HEADER)]


# --- 100,000 entries ----------------------------------------------------------------------

BULK = 100_000
STATUS_CYCLE = ["succeeded"] * 97 + ["failed", "failed", "unknown"]


@pytest.fixture(scope="module")
def big_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    """100,000 entries bulk-inserted in one transaction (entry i: pay_{i:08d})."""
    path = tmp_path_factory.mktemp("big") / "journal.sqlite3"
    Journal(path).close()  # creates the schema
    stamp = T0.isoformat()
    rows = []
    for i in range(1, BULK + 1):
        refund = i % 5 == 0
        payment_id = f"pay_{i:08d}"
        rows.append(
            (
                "refund" if refund else "payment",
                STATUS_CYCLE[i % 100],
                "shop",
                f"idem-{i}",
                payment_id,
                f"refund_{i:08d}" if refund else payment_id,
                f"{i % 997}.{i % 100:02d}",
                "USD",
                stamp,
                stamp,
                '{"amount":1.00}',
            )
        )
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO operations (kind, status, profile, idempotency_key, payment_id,"
            " object_id, amount, currency, created_at, updated_at, request)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    with Journal(path) as journal:
        yield journal


def test_paging_100k_newest_first(big_journal: Journal) -> None:
    assert big_journal.count() == BULK
    first = big_journal.page(limit=100)
    assert [e.id for e in first] == list(range(BULK, BULK - 100, -1))
    deep = big_journal.page(offset=99_950, limit=100)
    assert [e.id for e in deep] == list(range(50, 0, -1))
    second = big_journal.page(offset=100, limit=100)
    assert first[-1].id - 1 == second[0].id


@pytest.mark.parametrize(
    ("text", "count", "newest"),
    [
        ("pay_00099999", 1, 99_999),
        ("pay_0009", 10_000, 99_999),
        ("unknown", 1_000, 99_999),
        ("refund unknown", 0, None),
        ("refund succeeded", 20_000, 100_000),
        ("zzz", 0, None),
    ],
)
def test_filtering_100k(big_journal: Journal, text: str, count: int, newest: int | None) -> None:
    assert big_journal.count(text) == count
    page = big_journal.page(text, limit=100)
    assert len(page) == min(100, count)
    assert (page[0].id if page else None) == newest
    middle = big_journal.page(text, offset=count // 2, limit=100)
    assert len(middle) == min(100, count - count // 2)


def test_queries_use_indexes_not_sorts(big_journal: Journal) -> None:
    with sqlite3.connect(big_journal.path) as db:

        def plan(query: str, *params: object) -> str:
            rows = db.execute(f"EXPLAIN QUERY PLAN {query}", params).fetchall()
            return " | ".join(str(row[-1]) for row in rows)

        newest_first = plan("SELECT * FROM operations ORDER BY id DESC LIMIT 100 OFFSET 500")
        assert "TEMP B-TREE" not in newest_first
        refunds = plan(
            "SELECT * FROM operations WHERE payment_id = ? AND kind = 'refund' ORDER BY id DESC",
            "pay_1",
        )
        assert "operations_payment_id" in refunds
        assert "TEMP B-TREE" not in refunds
        unknown = plan("SELECT * FROM operations WHERE status = 'unknown' ORDER BY id DESC")
        assert "operations_status" in unknown
        # One profile's entries (the queries the journal builds), newest first, no sort.
        for filter_text in ("", "failed", "pay_0009 12.5"):
            clause, params = where(filter_text, "shop")
            paged = plan(
                f"SELECT * FROM operations{clause} ORDER BY id DESC LIMIT 100 OFFSET 500",  # noqa: S608
                *params,
            )
            assert "INDEX operations_profile (profile=?)" in paged
            assert "TEMP B-TREE" not in paged
        clause, params = unknown_where("shop")
        unknown_of_shop = plan(f"SELECT * FROM operations{clause} ORDER BY id DESC", *params)  # noqa: S608
        assert "operations_profile_status" in unknown_of_shop
        assert "TEMP B-TREE" not in unknown_of_shop


def test_unknown_and_refunds_for_with_100k(big_journal: Journal) -> None:
    assert big_journal.count_unknown() == 1_000
    unknown = big_journal.unknown(limit=50)
    assert len(unknown) == 50
    assert unknown[0].id == 99_999
    refunds = big_journal.refunds_for("pay_00050000")
    assert [e.object_id for e in refunds] == ["refund_00050000"]


def test_export_100k_streams_every_row(big_journal: Journal, tmp_path: Path) -> None:
    path = tmp_path / "all.csv"
    assert big_journal.export_csv("", path) == BULK
    with path.open(newline="") as file:
        reader = csv.reader(file)
        assert next(reader) == list(CSV_HEADER)
        assert next(reader)[0] == str(BULK)
        assert sum(1 for _ in reader) == BULK - 1


def test_a_failed_export_leaves_the_previous_file(
    journal: Journal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small(journal)
    path = tmp_path / "export.csv"
    path.write_text("previous export\n")

    def broken(*args: object) -> Iterator[tuple[object, ...]]:
        yield (1,) * len(CSV_HEADER)
        raise OSError("disk full")

    monkeypatch.setattr(journal._backend, "stream", broken)
    with pytest.raises(OSError, match="disk full"):
        journal.export_csv("", path)
    assert path.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []


def test_csv_export_defuses_spreadsheet_formulas(journal: Journal, tmp_path: Path) -> None:
    """An error message comes from the server (and a key from whoever typed it): a cell
    starting with = + - @ must not run as a formula when the merchant opens the file."""
    entry = pay(journal, "10.00", key='=HYPERLINK("http://x")')
    journal.record_result(entry, status="failed", now=T0, error="@SUM(A1)+cmd|' /C calc'!A0")
    path = tmp_path / "export.csv"
    assert journal.export_csv("", path) == 1
    with path.open(newline="") as file:
        [row] = list(csv.DictReader(file))
    assert row["idempotency_key"] == '\'=HYPERLINK("http://x")'
    assert row["error"] == "'@SUM(A1)+cmd|' /C calc'!A0"
    assert row["amount"] == "10.00"


@pytest.mark.parametrize("partial", ["fail", "FAIL", "unkn", "succ", "ref"])
def test_a_partly_typed_status_or_kind_already_filters(journal: Journal, partial: str) -> None:
    declined = pay(journal, key="a")
    journal.record_result(declined, status="failed", now=T0, error="declined")
    lost = pay(journal, key="b")
    journal.record_result(lost, status="unknown", now=T0, error="dropped")
    paid = pay(journal, key="c")
    journal.record_result(paid, status="succeeded", now=T0, response={"id": "pay_c"})
    refund = journal.record_pending(
        kind="refund",
        profile="shop",
        idempotency_key="d",
        request={"payment_id": "pay_c"},
        now=T0,
        payment_id="pay_c",
    )
    expected = {"fail": [declined], "unkn": [lost], "succ": [paid], "ref": [refund]}
    assert [e.id for e in journal.page(partial)] == expected[partial.lower()]


# --- keyset pages ---------------------------------------------------------------------------


def _payments(journal: Journal, count: int, *, start: int = 0, profile: str = "shop") -> list[int]:
    """`count` succeeded payments (every third one failed), ids in the order recorded."""
    ids = []
    for n in range(start, start + count):
        entry_id = pay(journal, f"{n + 1}.00", key=f"k{n}", profile=profile)
        if n % 3 == 2:
            journal.record_result(entry_id, status="failed", now=T0, error="declined")
        else:
            response = payment_response(f"pay_{n:04d}", f"{n + 1}.00")
            journal.record_result(entry_id, status="succeeded", now=T0, response=response)
        ids.append(entry_id)
    return ids


def test_keyset_pages_walk_every_entry_once_while_entries_are_added(journal: Journal) -> None:
    ids = _payments(journal, 25)
    seen: list[int] = []
    after: int | None = None
    while page := journal.page_after("", after, 10, profile="shop"):
        seen += [entry.id for entry in page]
        after = page[-1].id
        _payments(journal, 2, start=100 + len(seen))  # new entries while scrolling
    assert seen == ids[::-1]  # each exactly once, newest first, none of the new ones
    newest = journal.page_after("", None, 4, profile="shop")
    assert [entry.id for entry in newest] == [entry.id for entry in journal.recent(4)]


def test_an_offset_page_repeats_a_row_when_an_entry_is_added(journal: Journal) -> None:
    """Why the history moves to `page_after`."""
    _payments(journal, 6)
    first = journal.page(limit=3)
    _payments(journal, 1, start=50)
    assert journal.page(offset=3, limit=3)[0] == first[-1]
    assert journal.page_after("", first[-1].id, 3)[0].id == first[-1].id - 1


def test_keyset_pages_filter_and_keep_to_the_profile(journal: Journal) -> None:
    shop = _payments(journal, 12)
    other = _payments(journal, 6, start=200, profile="other")
    succeeded = [entry_id for n, entry_id in enumerate(shop) if n % 3 != 2]
    first = journal.page_after("succeeded", None, 5, profile="shop")
    rest = journal.page_after("succeeded", first[-1].id, 5, profile="shop")
    assert [e.id for e in first + rest] == succeeded[::-1]  # 5, then the last 3
    assert journal.page_after("succeeded", rest[-1].id, 5, profile="shop") == []
    assert {e.profile for e in first + rest} == {"shop"}
    everyone = journal.page_after("", None, 100)
    assert [e.id for e in everyone] == sorted(shop + other, reverse=True)
    assert journal.page_after("pay_0004", None, profile="shop")[0].payment_id == "pay_0004"
    assert journal.page_after("", min(shop), profile="shop") == []
    assert journal.page_after(profile="nobody") == []


def test_a_count_at_most_stops_at_its_limit(journal: Journal) -> None:
    _payments(journal, 12)
    assert journal.count_at_most(5, "succeeded", profile="shop") == 5
    assert journal.count_at_most(100, "succeeded", profile="shop") == 8
    assert journal.count_at_most(100, "failed") == journal.count("failed") == 4
    assert journal.count_at_most(100, profile="other") == 0
    assert journal.count_at_most(0) == 0


def test_keyset_pages_of_100k_cost_the_same_at_any_depth(big_journal: Journal) -> None:
    deep = big_journal.page_after("", 51, 100)
    assert [e.id for e in deep] == list(range(50, 0, -1))
    assert deep == big_journal.page(offset=BULK - 50, limit=100)
    assert [e.id for e in big_journal.page_after("", BULK - 100, 3)] == [
        BULK - 101,
        BULK - 102,
        BULK - 103,
    ]
    failed = big_journal.page_after("failed", 50_000, 2, profile="shop")
    assert [(e.id, e.status) for e in failed] == [(49_998, "failed"), (49_997, "failed")]
    assert big_journal.count_at_most(100, "pay_0009", profile="shop") == 100


@pytest.mark.parametrize("filter_text", ["", "failed", "7", "pay_0009 12.5", "refund usd"])
@pytest.mark.parametrize("profile", ["shop", None])
def test_keyset_pages_read_an_index_range_from_the_key(
    big_journal: Journal, filter_text: str, profile: str | None
) -> None:
    [plan] = query_plans(
        big_journal, lambda: big_journal.page_after(filter_text, 60_000, 100, profile=profile)
    )
    assert_indexed(plan)
    if profile is None:
        assert "USING INTEGER PRIMARY KEY (rowid<?)" in plan
    else:
        assert "INDEX operations_profile (profile=? AND id<?)" in plan


def test_counts_read_one_profiles_index_range(big_journal: Journal) -> None:
    plans = query_plans(
        big_journal,
        lambda: (
            big_journal.count(profile="shop"),
            big_journal.count("7", profile="shop"),
            big_journal.count_at_most(1_000, "7", profile="shop"),
            big_journal.count_unknown(profile="shop"),
        ),
    )
    assert len(plans) == 4
    for plan in plans:
        assert_indexed(plan)
    assert "COVERING INDEX operations_profile (profile=?)" in plans[0]
    assert "COVERING INDEX operations_profile_status (profile=? AND status=?)" in plans[3]


def test_the_benchmarks_bulk_journal_holds_what_the_journal_writes(tmp_path: Path) -> None:
    """bench/journal_data.py writes a million rows directly; they must be the rows that
    `record_pending` + `record_result` write (bench.history's `fill_journal`)."""
    from bench.history import START, fill_journal
    from bench.journal_data import build, plausible

    with Journal(tmp_path / "methods.sqlite3") as journal:
        fill_journal(journal, 200)
    operations = (plausible(n, START + timedelta(seconds=30 * n), "bench") for n in range(200))
    build(tmp_path / "bulk.sqlite3", operations).close()

    def everything(name: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(tmp_path / name) as db:
            return db.execute("SELECT * FROM operations ORDER BY id").fetchall()

    assert everything("bulk.sqlite3") == everything("methods.sqlite3")
    assert len(everything("bulk.sqlite3")) == 200
