"""What the journal keeps of a batch: its record and runner, its rows' entries by key,
and why its failed rows failed (console/journal/batches.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from console.batch.stopped import stopped_batch
from console.journal import Journal
from tests.pg_cluster import another_console

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BATCH = "0123456789abcdef" * 2


def _claim(journal: Journal, *, path: str = "/data/refunds.csv", batch: str = BATCH) -> object:
    return journal.claim_batch(
        batch_id=batch,
        profile="shop",
        kind="refunds",
        path=path,
        sha256="ab" * 32,
        rows_count=3,
        now=T0,
    )


def _refund(journal: Journal, key: str, profile: str = "shop") -> int:
    return journal.record_pending(
        kind="refund",
        profile=profile,
        idempotency_key=key,
        request={"payment_id": "pay_1", "amount": Decimal("1.00")},
        now=T0,
        payment_id="pay_1",
        amount=Decimal("1.00"),
        currency="USD",
    )


def _dead_owner() -> str:
    """The owner string of a process that has exited."""
    code = "from console.processes import current_owner; print(current_owner())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return result.stdout.strip()


def test_a_batch_is_recorded_once_and_runs_in_one_process_at_a_time(journal: Journal) -> None:
    assert _claim(journal) is None
    [record] = journal.unfinished_batches("/data/refunds.csv", "shop")
    assert (record.id, record.kind, record.rows, record.owner) == (
        BATCH,
        "refunds",
        3,
        journal.owner,
    )
    assert _claim(journal) is None  # this process again
    journal.release_batch(BATCH, finished=False, now=T0 + timedelta(minutes=1))
    [released] = journal.unfinished_batches("/data/refunds.csv", "shop")
    assert released.owner is None and released.created_at == T0
    assert journal.unfinished_batches(None, "shop") == [released]  # of any file
    assert journal.unfinished_batches("/data/other.csv", "shop") == []
    journal.release_batch(BATCH, finished=True, now=T0 + timedelta(minutes=2))
    assert len(journal.unfinished_batches("/data/refunds.csv", "shop")) == 1  # not its runner
    _claim(journal)
    journal.release_batch(BATCH, finished=True, now=T0 + timedelta(minutes=2))
    assert journal.unfinished_batches("/data/refunds.csv", "shop") == []
    assert journal.unfinished_batches("/data/refunds.csv", "other") == []


def test_a_batch_whose_runner_is_alive_is_not_taken_and_a_dead_ones_is(journal: Journal) -> None:
    _claim(journal)
    with another_console(journal) as alive:
        journal._write("UPDATE batches SET owner = ?", (alive,))
        running = _claim(journal)
        assert running is not None and running.owner == alive  # type: ignore[attr-defined]
    journal._write("UPDATE batches SET owner = ?", (_dead_owner(),))
    assert _claim(journal, path="/data/moved.csv") is None
    [record] = journal.unfinished_batches("/data/moved.csv", "shop")
    assert record.owner == journal.owner


def test_a_rows_entries_are_found_by_its_key_and_its_retry_keys_only(journal: Journal) -> None:
    first = _refund(journal, f"batch-{BATCH}-12")
    retry = _refund(journal, f"batch-{BATCH}-12-r{first}")
    _refund(journal, f"batch-{BATCH}-123")
    _refund(journal, f"batch-{BATCH}-12", profile="other")
    _refund(journal, f"batch-{BATCH}-1")
    found = journal.row_entries(f"batch-{BATCH}-12", "shop")
    assert [entry.id for entry in found] == [retry, first]
    journal.record_result(first, status="succeeded", now=T0, response={"id": "re_1"})
    assert journal.batch_counts(BATCH) == {"pending": 4, "succeeded": 1}
    assert journal.batch_counts("f" * 32) == {}


def test_why_a_row_failed_is_kept_per_row_the_last_attempt_winning(journal: Journal) -> None:
    assert journal.row_failure(BATCH, 2) is None
    journal.record_row_failure(BATCH, 2, 7, "not_sent")
    journal.record_row_failure(BATCH, 3, 8, "refused")
    journal.record_row_failure(BATCH, 2, 9, "refused")
    assert journal.row_failure(BATCH, 2) == (9, "refused")
    assert journal.row_failure(BATCH, 3) == (8, "refused")


def test_a_stopped_batch_is_offered_once_its_runner_is_gone_on_either_backend(
    journal: Journal,
) -> None:
    """Home's offer to resume (`stopped_batch`) asks the journal whether the runner runs:
    on a shared journal, a console's session, which no process check on this machine can
    see."""
    _claim(journal)
    _refund(journal, f"batch-{BATCH}-2")
    with another_console(journal) as alive:
        journal._write("UPDATE batches SET owner = ?", (alive,))
        assert stopped_batch(journal, "shop") is None
    offered = stopped_batch(journal, "shop")
    assert offered is not None and offered.describe() == "Batch refunds.csv stopped at 0/3"
