"""The operations journal: exact amounts, results, filters, paging, CSV, 100,000 rows."""

from __future__ import annotations

import csv
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.journal import (
    CSV_HEADER,
    Journal,
    JournalEntry,
    _unknown_where,
    _where,
    default_journal_path,
)
from console.processes import current_owner

T0 = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as journal:
        yield journal


def pay(
    journal: Journal,
    amount: str = "10.00",
    *,
    currency: str = "USD",
    key: str = "idem-1",
    at: datetime = T0,
    profile: str = "shop",
) -> int:
    return journal.record_pending(
        kind="payment",
        profile=profile,
        idempotency_key=key,
        request={"amount": Decimal(amount), "currency": currency, "source": "tok_visa"},
        now=at,
        amount=Decimal(amount),
        currency=currency,
    )


def payment_response(payment_id: str, amount: str, currency: str = "USD") -> dict[str, Any]:
    return {
        "id": payment_id,
        "amount": Decimal(amount),
        "currency": currency,
        "status": "succeeded",
        "created_at": "2024-06-10T12:00:00Z",
    }


def test_default_path_is_in_the_user_data_dir(isolated_dirs: Path) -> None:
    assert default_journal_path() == isolated_dirs / "data/payments-console/journal.sqlite3"


def test_pending_then_succeeded(journal: Journal) -> None:
    entry_id = pay(journal, "0.10")
    entry = journal.get(entry_id)
    assert entry is not None
    assert (entry.kind, entry.status, entry.profile, entry.idempotency_key) == (
        "payment",
        "pending",
        "shop",
        "idem-1",
    )
    assert entry.amount == Decimal("0.10")
    assert str(entry.amount) == "0.10"
    assert entry.request == {"amount": Decimal("0.10"), "currency": "USD", "source": "tok_visa"}
    assert (entry.response, entry.error, entry.payment_id, entry.object_id) == (None,) * 4
    assert entry.created_at == T0

    later = T0 + timedelta(seconds=2)
    journal.record_result(
        entry_id, status="succeeded", now=later, response=payment_response("pay_1", "0.10")
    )
    done = journal.get(entry_id)
    assert done is not None
    assert (done.status, done.payment_id, done.object_id) == ("succeeded", "pay_1", "pay_1")
    assert done.response == payment_response("pay_1", "0.10")
    assert (done.created_at, done.updated_at) == (T0, later)


def test_amounts_are_exact_text_never_real(journal: Journal) -> None:
    pay(journal, "12345678.99")
    pay(journal, "5", currency="JPY", key="idem-2")
    pay(journal, "1.234", currency="KWD", key="idem-3")
    with sqlite3.connect(journal.path) as db:
        rows = db.execute("SELECT typeof(amount), amount FROM operations ORDER BY id").fetchall()
    assert rows == [("text", "12345678.99"), ("text", "5"), ("text", "1.234")]
    amounts = [entry.amount for entry in journal.recent()]
    assert amounts == [Decimal("1.234"), Decimal("5"), Decimal("12345678.99")]


def test_amount_written_with_the_currencys_decimals(journal: Journal) -> None:
    entry = journal.get(pay(journal, "7.5"))
    assert entry is not None
    assert str(entry.amount) == "7.50"


def test_failed_and_unknown_results(journal: Journal) -> None:
    declined = pay(journal, key="a")
    journal.record_result(
        declined, status="failed", now=T0, error="Your card was declined.", payment_id="pay_d"
    )
    lost = pay(journal, key="b")
    journal.record_result(lost, status="unknown", now=T0, error="The connection dropped.")
    entry = journal.get(declined)
    assert entry is not None
    assert (entry.status, entry.error, entry.payment_id) == (
        "failed",
        "Your card was declined.",
        "pay_d",
    )
    assert [e.id for e in journal.unknown()] == [lost]


def test_refund_result_takes_payment_id_and_amount_from_the_response(journal: Journal) -> None:
    payment = pay(journal, "100.00")
    journal.record_result(
        payment, status="succeeded", now=T0, response=payment_response("pay_9", "100.00")
    )
    assert journal.payment_currency("pay_9") == "USD"
    assert journal.payment_currency("pay_other") is None
    refund = journal.record_pending(
        kind="refund",
        profile="shop",
        idempotency_key="r1",
        request={"payment_id": "pay_9"},
        now=T0,
        payment_id="pay_9",
        currency="USD",
    )
    response = {
        "id": "refund_1",
        "payment_id": "pay_9",
        "amount": Decimal("100"),
        "status": "succeeded",
        "created_at": "2024-06-10T13:00:00Z",
    }
    journal.record_result(refund, status="succeeded", now=T0, response=response)
    entry = journal.get(refund)
    assert entry is not None
    assert (entry.object_id, entry.payment_id, str(entry.amount)) == ("refund_1", "pay_9", "100.00")
    assert [e.id for e in journal.refunds_for("pay_9")] == [refund]
    assert journal.refunds_for("pay_other") == []


def test_retry_marks_pending_again(journal: Journal) -> None:
    entry_id = pay(journal)
    journal.record_result(entry_id, status="unknown", now=T0, error="lost")
    journal.record_retry(entry_id, now=T0 + timedelta(minutes=1))
    entry = journal.get(entry_id)
    assert entry is not None
    # The last error stays until the answer replaces it; this process now owns it.
    assert (entry.status, entry.error, entry.owner) == ("pending", "lost", current_owner())
    with pytest.raises(KeyError):
        journal.record_retry(999, now=T0)


def test_refuses_bad_input(journal: Journal) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pay(journal, at=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="api_key"):
        journal.record_pending(
            kind="payment",
            profile="shop",
            idempotency_key="k",
            request={"amount": Decimal(1), "api_key": "sk_test_x"},
            now=T0,
        )
    with pytest.raises(ValueError, match="kind"):
        journal.record_pending(
            kind="charge",  # type: ignore[arg-type]
            profile="shop",
            idempotency_key="k",
            request={},
            now=T0,
        )
    entry_id = pay(journal)
    with pytest.raises(ValueError, match="result status"):
        journal.record_result(entry_id, status="pending", now=T0)
    with pytest.raises(KeyError):
        journal.record_result(12345, status="failed", now=T0)
    assert journal.get(12345) is None


def test_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new" / "journal.sqlite3"
    with Journal(path) as journal:
        pay(journal)
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with Journal(path) as reopened:
        assert reopened.count() == 1


def test_in_memory_journal_works(tmp_path: Path) -> None:
    with Journal(":memory:") as journal:
        pay(journal)
        assert journal.count() == 1
        assert journal.export_csv("", tmp_path / "out.csv") == 1


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


def _two_profiles(journal: Journal) -> dict[str, list[int]]:
    """shop: 10.00 succeeded, 20.00 unknown, 30.00 failed; sandbox (between them): 11.00
    succeeded, 21.00 unknown. Returns each profile's ids, newest first."""
    ids: dict[str, list[int]] = {"shop": [], "sandbox": []}
    for n, (profile, amount, status) in enumerate(
        [
            ("shop", "10.00", "succeeded"),
            ("sandbox", "11.00", "succeeded"),
            ("shop", "20.00", "unknown"),
            ("sandbox", "21.00", "unknown"),
            ("shop", "30.00", "failed"),
        ]
    ):
        entry_id = pay(journal, amount, key=f"k{n}", profile=profile)
        journal.record_result(entry_id, status=status, now=T0, error="x")  # type: ignore[arg-type]
        ids[profile].insert(0, entry_id)
    return ids


def test_listing_is_per_profile_when_asked(journal: Journal) -> None:
    ids = _two_profiles(journal)
    assert [e.id for e in journal.recent(profile="shop")] == ids["shop"]
    assert [e.id for e in journal.recent(profile="sandbox")] == ids["sandbox"]
    assert [e.id for e in journal.recent(1, profile="sandbox")] == ids["sandbox"][:1]
    assert len(journal.recent()) == 5  # None: every profile's
    assert [e.profile for e in journal.unknown(profile="shop")] == ["shop"]
    assert [e.amount for e in journal.unknown(profile="sandbox")] == [Decimal("21.00")]
    assert len(journal.unknown()) == 2
    assert (journal.count_unknown(profile="shop"), journal.count_unknown()) == (1, 2)
    assert journal.count_unknown(profile="live") == 0
    assert (journal.count(profile="shop"), journal.count(profile="sandbox")) == (3, 2)
    assert journal.count() == 5
    assert journal.count("unknown", profile="shop") == 1
    assert journal.count("11.00", profile="shop") == 0
    assert [e.id for e in journal.page(profile="shop", limit=2)] == ids["shop"][:2]
    assert [e.id for e in journal.page(offset=2, profile="shop")] == ids["shop"][2:]
    assert [e.id for e in journal.page("succeeded", profile="sandbox")] == ids["sandbox"][1:]
    assert journal.page(profile="nobody") == []


def test_csv_export_of_one_profile(journal: Journal, tmp_path: Path) -> None:
    ids = _two_profiles(journal)
    path = tmp_path / "shop.csv"
    assert journal.export_csv("", path, profile="shop") == 3
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [int(row["id"]) for row in rows] == ids["shop"]
    assert {row["profile"] for row in rows} == {"shop"}
    assert journal.export_csv("unknown", path, profile="sandbox") == 1
    with path.open(newline="") as file:
        assert [row["amount"] for row in csv.DictReader(file)] == ["21.00"]
    assert journal.export_csv("", path) == 5


def test_threads_share_one_journal(journal: Journal) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(50):
                entry_id = pay(journal, key=f"{worker}-{n}")
                journal.record_result(entry_id, status="failed", now=T0, error="x")
                journal.page("failed", limit=10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert journal.count("failed") == 200


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
            where, params = _where(filter_text, "shop")
            paged = plan(
                f"SELECT * FROM operations{where} ORDER BY id DESC LIMIT 100 OFFSET 500",  # noqa: S608
                *params,
            )
            assert "INDEX operations_profile (profile=?)" in paged
            assert "TEMP B-TREE" not in paged
        where, params = _unknown_where("shop")
        unknown_of_shop = plan(f"SELECT * FROM operations{where} ORDER BY id DESC", *params)  # noqa: S608
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


def test_entry_is_frozen(journal: Journal) -> None:
    entry = journal.get(pay(journal))
    assert isinstance(entry, JournalEntry)
    with pytest.raises(AttributeError):
        entry.status = "succeeded"  # type: ignore[misc]


def test_a_failed_export_leaves_the_previous_file(
    journal: Journal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small(journal)
    path = tmp_path / "export.csv"
    path.write_text("previous export\n")

    def broken(*args: object) -> Iterator[tuple[object, ...]]:
        yield (1,) * len(CSV_HEADER)
        raise OSError("disk full")

    monkeypatch.setattr(journal, "_stream", broken)
    with pytest.raises(OSError, match="disk full"):
        journal.export_csv("", path)
    assert path.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []


def test_unknown_outcomes_are_listed_newest_first_up_to_a_limit(journal: Journal) -> None:
    lost = [pay(journal, key=f"k{n}") for n in range(5)]
    for entry_id in lost:
        journal.record_result(entry_id, status="unknown", now=T0, error="dropped")
    settled = pay(journal, key="k-ok")
    journal.record_result(settled, status="succeeded", now=T0, response={"id": "pay_ok"})
    assert [e.id for e in journal.unknown(limit=3)] == lost[::-1][:3]
    assert journal.count_unknown() == 5
    assert [e.id for e in journal.unknown_with_key("payment", "k2", "shop")] == [lost[2]]
    assert journal.unknown_with_key("payment", "k2", "other-profile") == []
    assert journal.unknown_with_key("refund", "k2", "shop") == []
    assert journal.unknown_with_key("payment", "k-ok", "shop") == []


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


def _owned_by(journal: Journal, entry_id: int, owner: str | None) -> None:
    with sqlite3.connect(journal.path) as db:
        db.execute("UPDATE operations SET owner = ? WHERE id = ?", (owner, entry_id))


def _stopped_process_owner() -> str:
    """The owner string of a real process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "import os; print(os.getpid())"])
    child.wait()
    return f"{child.pid}:1"


def test_pending_entries_of_a_stopped_process_become_unknown_at_once(journal: Journal) -> None:
    killed = pay(journal, key="killed", at=T0)
    _owned_by(journal, killed, _stopped_process_owner())
    live_child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        other_live = pay(journal, key="other-live", at=T0)
        with open(f"/proc/{live_child.pid}/stat", "rb") as stat_file:
            start = stat_file.read().rsplit(b")", 1)[1].split()[19].decode()
        _owned_by(journal, other_live, f"{live_child.pid}:{start}")
        mine_sending = pay(journal, key="mine-sending", at=T0)
        pay(journal, key="mine-forgotten", at=T0)
        settled = pay(journal, key="done", at=T0)
        journal.record_result(settled, status="succeeded", now=T0, response={"id": "pay_done"})
        with journal.sending(mine_sending):
            # A second after they were recorded, not ten minutes.
            assert journal.recover_abandoned(now=T0 + timedelta(seconds=1)) == 2
            statuses = {e.idempotency_key: e.status for e in journal.recent()}
    finally:
        live_child.kill()
        live_child.wait()
    assert statuses == {
        "killed": "unknown",
        "other-live": "pending",
        "mine-sending": "pending",
        "mine-forgotten": "unknown",
        "done": "succeeded",
    }
    entry = journal.get(killed)
    assert entry is not None
    assert entry.error is not None and "outcome is unknown" in entry.error
    assert entry.owner is None
    # Once the other process is gone, its entry is unknown too.
    assert journal.recover_abandoned(now=T0 + timedelta(seconds=2)) == 2


def test_pending_entries_without_an_owner_fall_back_to_their_age(journal: Journal) -> None:
    """Journals written before owners were recorded."""
    abandoned = pay(journal, key="old", at=T0)
    recent = pay(journal, key="new", at=T0 + timedelta(minutes=15))
    for entry_id in (abandoned, recent):
        _owned_by(journal, entry_id, None)
    assert journal.recover_abandoned(now=T0 + timedelta(minutes=16)) == 1
    assert [e.id for e in journal.unknown()] == [abandoned]
    assert journal.get(recent).status == "pending"  # type: ignore[union-attr]


def test_a_journal_of_the_previous_release_is_migrated_in_place(tmp_path: Path) -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "journal-v1.sqlite3"
    path = tmp_path / "journal.sqlite3"
    shutil.copy(fixture, path)
    with Journal(path) as journal:
        entries = {e.idempotency_key: e for e in journal.recent()}
        assert {key: e.status for key, e in entries.items()} == {
            "k-ok": "succeeded",
            "k-lost": "unknown",
            "k-pending": "pending",
        }
        assert entries["k-ok"].payment_id == "pay_v1ok"
        assert entries["k-lost"].amount == Decimal("20.00")
        assert all(e.owner is None for e in entries.values())
        assert journal.recover_abandoned(now=datetime(2026, 11, 1, 13, 0, tzinfo=UTC)) == 1
        new = pay(journal, key="k-new")
        assert journal.get(new).owner == current_owner()  # type: ignore[union-attr]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
    with Journal(path) as reopened:  # opening it again changes nothing
        assert reopened.count() == 4


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
