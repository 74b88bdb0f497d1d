"""The operations journal: exact amounts, results, retries, owners, profiles, threads.

The history (filters, pages, CSV) is tested in test_journal_history.py, the figures in
test_journal_figures.py, the schema versions in test_journal_schema.py; they share the
helpers here."""

from __future__ import annotations

import csv
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.journal import Journal, JournalEntry, default_journal_path
from tests.pg_cluster import another_console, sqlite_only

T0 = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)


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


@sqlite_only
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
    assert (entry.status, entry.error, entry.owner) == ("pending", "lost", journal.owner)
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


def test_entry_is_frozen(journal: Journal) -> None:
    entry = journal.get(pay(journal))
    assert isinstance(entry, JournalEntry)
    with pytest.raises(AttributeError):
        entry.status = "succeeded"  # type: ignore[misc]


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


def _owned_by(journal: Journal, entry_id: int, owner: str | None) -> None:
    journal._write("UPDATE operations SET owner = ? WHERE id = ?", (owner, entry_id))


def _stopped_process_owner() -> str:
    """The owner string of a real process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "import os; print(os.getpid())"])
    child.wait()
    return f"{child.pid}:1"


def test_pending_entries_of_a_stopped_process_become_unknown_at_once(journal: Journal) -> None:
    killed = pay(journal, key="killed", at=T0)
    _owned_by(journal, killed, _stopped_process_owner())
    with another_console(journal) as alive:
        other_live = pay(journal, key="other-live", at=T0)
        _owned_by(journal, other_live, alive)
        mine_sending = pay(journal, key="mine-sending", at=T0)
        pay(journal, key="mine-forgotten", at=T0)
        settled = pay(journal, key="done", at=T0)
        journal.record_result(settled, status="succeeded", now=T0, response={"id": "pay_done"})
        with journal.sending(mine_sending):
            # A second after they were recorded, not ten minutes.
            assert journal.recover_abandoned(now=T0 + timedelta(seconds=1)) == 2
            statuses = {e.idempotency_key: e.status for e in journal.recent()}
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


def query_plans(journal: Journal, read: Callable[[], object]) -> list[str]:
    """EXPLAIN QUERY PLAN of every SELECT that `read()` runs on `journal`, exactly as it
    ran (bound values expanded), each plan's steps joined by ' | '."""
    statements: list[str] = []
    db = journal._db  # the journal's own connection: what it really executes
    db.set_trace_callback(statements.append)
    try:
        read()
    finally:
        db.set_trace_callback(None)
    with sqlite3.connect(journal.path) as reader:
        return [
            " | ".join(str(step[-1]) for step in reader.execute(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in statements
            if sql.lstrip().upper().startswith("SELECT")
        ]


def assert_indexed(plan: str) -> None:
    """No full scan of the table or of one of its indexes, and no sort of the rows read
    (a SCAN of a subquery's own result is fine)."""
    steps = plan.split(" | ")
    assert not [step for step in steps if step.startswith("SCAN operations")], plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
