"""The journal's schema versions: a new file is the current version, and a file each
earlier release wrote (tests/fixtures/journal-v<N>.sqlite3) is migrated in place.

journal-v2.sqlite3 was written by the v2 journal (commit b1c7ba2, before v3's
`amount_minor`) on profile "shop", 2026-11-01 UTC: USD 10.00 paid (12:00) and 2.50 of it
refunded (12:05), JPY 1000 and KWD 1.234 paid, USD 20.00 declined, USD 30.00 unknown,
USD 40.00 pending (owned by a process long gone), a JPY 500 refund unknown, a USD 1.00
refund without a currency (its payment unknown to the journal), USD 7.00 paid the day
before at 23:00; and on profile "other", USD 99.00 paid at 12:00.

journal-v3.sqlite3 was written by the v3 journal (commit 434b81b, before v4's batch
tables) on profile "shop", 2026-12-01 12:00 UTC: USD 10.00 paid (pay_v3usd), a refund
of 2.50 of it succeeded and one of 1.00 unknown, sent as rows 2 and 3 of batch
abab...ab (keys batch-abab...ab-2 and -3), USD 20.00 declined; on profile "other", JPY
1000 paid.

journal-v4.sqlite3 was written by the v4 journal (commit 3cdcf98, before v5's operator
and host) on profile "shop", 2026-12-02 12:00 UTC: USD 10.00 paid (pay_v4usd), a refund
of 2.50 of it refused, sent as row 2 of batch cdcd...cd (finished, its row's failure
recorded as refused), USD 30.00 unknown; on profile "other", JPY 1000 paid.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from console.figures import CurrencyFigures
from console.journal import Journal, schema
from console.processes import current_owner
from tests.unit.test_journal import pay

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _copy(name: str, tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite3"
    shutil.copy(FIXTURES / name, path)
    return path


def _version_and_columns(path: Path) -> tuple[int, list[str]]:
    with sqlite3.connect(path) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        columns = [row[1] for row in db.execute("PRAGMA table_info(operations)")]
    return version, columns


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name for (name,) in rows if name.startswith(("operations_", "batches_"))}


def test_a_new_journal_is_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal(path).close()
    version, columns = _version_and_columns(path)
    assert version == schema.SCHEMA_VERSION == 5
    assert columns[-5:] == ["owner", "reported", "amount_minor", "operator", "host"]
    assert "operations_figures" in _indexes(path)
    assert _tables(path) == {"operations", "batches", "batch_rows"}


def test_the_fixtures_are_the_versions_they_are_named_after() -> None:
    assert _version_and_columns(FIXTURES / "journal-v1.sqlite3")[0] == 1
    assert _version_and_columns(FIXTURES / "journal-v2.sqlite3") == (
        2,
        _version_and_columns(FIXTURES / "journal-v1.sqlite3")[1] + ["owner", "reported"],
    )
    assert _version_and_columns(FIXTURES / "journal-v3.sqlite3") == (
        3,
        _version_and_columns(FIXTURES / "journal-v2.sqlite3")[1] + ["amount_minor"],
    )
    assert _tables(FIXTURES / "journal-v3.sqlite3") == {"operations"}
    assert _version_and_columns(FIXTURES / "journal-v4.sqlite3") == (
        4,
        _version_and_columns(FIXTURES / "journal-v3.sqlite3")[1],
    )
    assert _tables(FIXTURES / "journal-v4.sqlite3") == {"operations", "batches", "batch_rows"}


def test_a_v1_journal_is_migrated_in_place(tmp_path: Path) -> None:
    path = _copy("journal-v1.sqlite3", tmp_path)
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
        today = journal.day_figures("shop", now=datetime(2026, 11, 1, 13, 0, tzinfo=UTC), tz=UTC)
        assert [(f.currency, f.payments, f.taken) for f in today.currencies] == [
            ("USD", 1, Decimal("10.00"))
        ]
    assert _version_and_columns(path)[0] == schema.SCHEMA_VERSION
    assert _indexes(path) == _indexes_of_a_new_journal(tmp_path)
    with Journal(path) as reopened:  # opening it again changes nothing
        assert reopened.count() == 4


def _indexes_of_a_new_journal(tmp_path: Path) -> set[str]:
    path = tmp_path / "new" / "journal.sqlite3"
    Journal(path).close()
    return _indexes(path)


def test_a_v2_journal_is_migrated_in_place_with_its_amounts_in_minor_units(
    tmp_path: Path,
) -> None:
    path = _copy("journal-v2.sqlite3", tmp_path)
    with sqlite3.connect(path) as db:
        before = db.execute("SELECT * FROM operations ORDER BY id").fetchall()
    with Journal(path) as journal:
        assert journal.count() == 11
        assert journal.recover_abandoned(now=datetime(2026, 11, 1, 13, 0, tzinfo=UTC)) == 1
        noon = datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
        today = journal.day_figures("shop", now=noon, tz=UTC)
        assert today.day == date(2026, 11, 1)
        assert [
            (f.currency, f.payments, f.taken, f.refunds, f.refunded, f.net)
            for f in today.currencies
        ] == [
            ("JPY", 1, Decimal("1000"), 0, Decimal("0"), Decimal("1000")),
            ("KWD", 1, Decimal("1.234"), 0, Decimal("0.000"), Decimal("1.234")),
            ("USD", 1, Decimal("10.00"), 1, Decimal("2.50"), Decimal("7.50")),
        ]
        # In Tokyo the day before's 23:00 UTC payment is on the same morning.
        tokyo = journal.day_figures("shop", now=noon, tz=ZoneInfo("Asia/Tokyo"))
        assert tokyo.of("USD").taken == Decimal("17.00")
        assert journal.day_figures("other", now=noon, tz=UTC).of("USD").net == Decimal("99.00")
    with sqlite3.connect(path) as db:
        after = db.execute("SELECT * FROM operations ORDER BY id").fetchall()
        minor = db.execute(
            "SELECT idempotency_key, amount_minor FROM operations ORDER BY id"
        ).fetchall()
    pending = 6  # k-pending, which recover_abandoned settled as unknown
    assert [row[:-3] for n, row in enumerate(after) if n != pending] == [
        row for n, row in enumerate(before) if n != pending
    ]
    assert {row[-2:] for row in after} == {(None, None)}  # sent before operators
    assert dict(minor) == {
        "k-usd": 1000,
        "k-usd-refund": 250,
        "k-jpy": 1000,
        "k-kwd": 1234,
        "k-declined": 2000,
        "k-lost": 3000,
        "k-pending": 4000,
        "k-refund-lost": 500,
        "k-refund-nocurrency": None,
        "k-yesterday": 700,
        "k-other": 9900,
    }
    assert _version_and_columns(path)[0] == schema.SCHEMA_VERSION
    assert _indexes(path) == _indexes_of_a_new_journal(tmp_path)


def test_a_v3_journal_gets_the_batch_tables_and_its_batch_rows_are_found_by_key(
    tmp_path: Path,
) -> None:
    path = _copy("journal-v3.sqlite3", tmp_path)
    with sqlite3.connect(path) as db:
        before = db.execute("SELECT * FROM operations ORDER BY id").fetchall()
    batch = "ab" * 16
    with Journal(path) as journal:
        assert [e.status for e in journal.row_entries(f"batch-{batch}-2", "shop")] == ["succeeded"]
        assert journal.batch_counts(batch) == {"succeeded": 1, "unknown": 1}
        assert journal.row_failure(batch, 3) is None
        assert journal.unfinished_batches("/any/file.csv", "shop") == []
    with sqlite3.connect(path) as db:
        after = db.execute("SELECT * FROM operations ORDER BY id").fetchall()
    assert [row[:-2] for row in after] == before
    assert _version_and_columns(path)[0] == schema.SCHEMA_VERSION
    assert _tables(path) == {"operations", "batches", "batch_rows"}
    assert _indexes(path) == _indexes_of_a_new_journal(tmp_path)


def test_a_v4_journal_gets_operators_and_hosts_and_keeps_its_batches(tmp_path: Path) -> None:
    path = _copy("journal-v4.sqlite3", tmp_path)
    with sqlite3.connect(path) as db:
        before = db.execute("SELECT * FROM operations ORDER BY id").fetchall()
        batches_before = db.execute("SELECT * FROM batches").fetchall()
    batch = "cd" * 16
    with Journal(path, operator="alice") as journal:
        old = journal.recent(10)
        first = old[-1]
        assert (first.idempotency_key, first.operator, first.host) == ("k-v4-usd", None, None)
        assert old[-1].sender == ""
        assert journal.row_failure(batch, 2) == (2, "refused")
        assert journal.batch_counts(batch) == {"failed": 1}
        assert journal.count("alice") == 0
        lost = next(e for e in old if e.status == "unknown")
        journal.record_retry(lost.id, now=datetime(2026, 12, 2, 13, 0, tzinfo=UTC))
        retried = journal.get(lost.id)
        assert retried is not None
        assert (retried.operator, retried.host) == ("alice", journal.sender.host)
        assert journal.count("alice") == 1
    with sqlite3.connect(path) as db:
        after = db.execute("SELECT * FROM operations WHERE id != ? ORDER BY id", (lost.id,))
        assert [row[:-2] for row in after] == [row for row in before if row[0] != lost.id]
        assert db.execute("SELECT * FROM batches").fetchall() == batches_before
    assert _version_and_columns(path)[0] == schema.SCHEMA_VERSION
    assert _indexes(path) == _indexes_of_a_new_journal(tmp_path)


def test_a_migration_that_fails_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy("journal-v2.sqlite3", tmp_path)

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE operations ADD COLUMN amount_minor INTEGER")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setitem(schema.MIGRATIONS, 3, half_done)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        Journal(path)
    assert _version_and_columns(path) == _version_and_columns(FIXTURES / "journal-v2.sqlite3")
    monkeypatch.undo()
    with Journal(path) as journal:  # and the next open migrates it
        assert journal.count() == 11


def test_amounts_another_program_wrote_are_kept_and_in_no_sum(tmp_path: Path) -> None:
    path = _copy("journal-v2.sqlite3", tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE operations SET amount = 'ten' WHERE idempotency_key = 'k-usd'")
        db.execute("UPDATE operations SET amount = '1.5', currency = 'JPY' WHERE id = 3")
        db.execute("UPDATE operations SET currency = 'XXX' WHERE idempotency_key = 'k-kwd'")
    with Journal(path) as journal:
        today = journal.day_figures("shop", now=datetime(2026, 11, 1, 13, tzinfo=UTC), tz=UTC)
        assert today.currencies == (
            CurrencyFigures("USD", 0, Decimal("0.00"), 1, Decimal("2.50")),  # the refund only
        )
        with sqlite3.connect(path) as db:
            kept = db.execute("SELECT amount FROM operations WHERE id IN (1, 3) ORDER BY id")
            assert kept.fetchall() == [("ten",), ("1.5",)]
