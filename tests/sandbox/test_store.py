"""The SQLite store on its own: retention, abandoned keys, restarts, WAL.

Keys in progress and their owners: tests/sandbox/test_idempotency_owner.py.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from console.api.models import PaymentCreate
from console.sandbox.errors import ApiError
from console.sandbox.idempotency import IDEMPOTENCY_RETENTION_SECONDS, IdempotencySlot
from console.sandbox.store import Store

SLOT = IdempotencySlot("scope", "/v1/payments", "key-1", "fingerprint")
REQUEST = PaymentCreate(amount=Decimal("1.00"), currency="USD", source="tok_visa")


def test_an_answer_is_kept_24_hours_by_the_stores_clock(tmp_path: Path) -> None:
    start = datetime.now(UTC)
    now = [start]
    store = Store(tmp_path / "s.db", clock=lambda: now[0])
    assert store.reserve(SLOT, "req_1") is None
    outcome = store.create_payment(REQUEST, "req_1", SLOT)
    now[0] = start + timedelta(seconds=IDEMPOTENCY_RETENTION_SECONDS - 60)
    assert store.reserve(SLOT, "req_2") == outcome
    now[0] = start + timedelta(seconds=IDEMPOTENCY_RETENTION_SECONDS + 60)
    assert store.reserve(SLOT, "req_3") is None  # forgotten: the key starts afresh
    store.close()


def test_a_key_whose_store_closed_is_taken_over(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    assert store.reserve(SLOT, "req_1") is None
    with pytest.raises(ApiError) as in_flight:
        store.reserve(SLOT, "req_2")
    assert in_flight.value.status == 409
    store.close()
    reopened = Store(tmp_path / "s.db")
    assert reopened.reserve(SLOT, "req_3") is None
    reopened.close()


def test_a_request_that_fails_unexpectedly_frees_its_key(tmp_path: Path) -> None:
    def broken_ids(prefix: str) -> str:
        raise RuntimeError("no more ids")

    store = Store(tmp_path / "s.db", id_factory=broken_ids)
    assert store.reserve(SLOT, "req_1") is None
    with pytest.raises(RuntimeError):
        store.create_payment(REQUEST, "req_1", SLOT)
    assert store.reserve(SLOT, "req_2") is None
    store.close()


def test_the_key_and_the_data_survive_a_restart(tmp_path: Path) -> None:
    first = Store(tmp_path / "s.db")
    outcome = first.create_payment(REQUEST, "req_1")
    first.close()
    second = Store(tmp_path / "s.db")
    assert second.api_key == first.api_key
    assert second.api_key.startswith("sk_test_")
    payment = second.get_payment(outcome.body.split('"')[3])
    assert payment["amount"] == Decimal("1.00")
    second.close()


def test_the_database_is_in_wal_mode(tmp_path: Path) -> None:
    Store(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_missing_directory_is_created(tmp_path: Path) -> None:
    Store(tmp_path / "new" / "dir" / "s.db").close()
    assert (tmp_path / "new" / "dir" / "s.db").exists()
