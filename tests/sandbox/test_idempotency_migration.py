"""A sandbox database from before keys were scoped to the account keeps working.

Schema 0 keyed idempotency records by (API key scope, path, key). Opening such a file
migrates the table in place: every record moves to the account, the first of several
sharing a key is kept, and payments and refunds are untouched.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from console.sandbox.app import API_KEY_ENV, create_app
from console.sandbox.database import SCHEMA_VERSION
from console.sandbox.store import Store
from tests.sandbox.conftest import body, client_for, error_of

SECOND_KEY = "sk_test_second_key_of_this_sandbox"

OLD_IDEMPOTENCY_DDL = """
CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    path TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    status INTEGER,
    body TEXT,
    request_id TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (scope, path, key)
) WITHOUT ROWID
"""


def _old_scope(api_key: str) -> str:
    """How schema 0 scoped a record: by the hash of the API key the request came with."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]


def _payment(amount: str) -> str:
    return body(amount=amount, currency="USD", source="tok_visa")


def _snapshot(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        payments = conn.execute("SELECT * FROM payments ORDER BY id").fetchall()
        refunds = conn.execute("SELECT * FROM refunds ORDER BY id").fetchall()
    return payments, refunds


async def _make_old_database(db: Path) -> dict[str, str]:
    """Real answers made by the sandbox, then rewritten into schema 0 as it stored them.

    order-1: a payment (main key), then a later record of the same key on /v1/refunds
    (schema 0 allowed that); order-2: a refund; order-3: a payment made with the second
    key (its own scope in schema 0); order-4: a payment in progress (no owner column).
    """
    app = create_app(db)
    main = app.state.api_key
    async with client_for(app) as client:
        paid = await client.post("payments", content=_payment("10.00"), headers=_key("order-1"))
        payment_id = paid.json()["id"]
        refund_body = body(payment_id=payment_id, amount="1.00")
        refunded = await client.post("refunds", content=refund_body, headers=_key("order-2"))
        other = {"Authorization": f"Bearer {SECOND_KEY}", **_key("order-3")}
        third = await client.post("payments", content=_payment("3.00"), headers=other)
    app.state.store.close()
    assert (paid.status_code, refunded.status_code, third.status_code) == (201, 201, 201)

    with sqlite3.connect(db) as conn:
        records = conn.execute(
            "SELECT key, path, fingerprint, state, status, body, request_id, created"
            " FROM idempotency ORDER BY created"
        ).fetchall()
        conn.execute("DROP TABLE idempotency")
        conn.execute(OLD_IDEMPOTENCY_DDL)
        for key, path, fingerprint, state, status, text, request_id, created in records:
            scope = _old_scope(SECOND_KEY if key == "order-3" else main)
            conn.execute(
                "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (scope, path, key, fingerprint, state, status, text, request_id, created),
            )
        first = records[0]
        conn.execute(
            "INSERT INTO idempotency VALUES (?, '/v1/refunds', 'order-1', 'other', 'done',"
            " 404, '{}', 'req_later', ?)",
            (_old_scope(main), first[-1] + 5),
        )
        conn.execute(
            "INSERT INTO idempotency VALUES (?, '/v1/payments', 'order-4', ?, 'in_progress',"
            " NULL, NULL, 'req_crashed', ?)",
            (_old_scope(main), first[2], first[-1] + 6),
        )
        conn.execute("PRAGMA user_version = 0")
    return {"paid": paid.text, "refunded": refunded.text, "third": third.text}


def _key(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_an_old_database_is_migrated_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(API_KEY_ENV, SECOND_KEY)
    db = tmp_path / "sandbox.db"
    answers = await _make_old_database(db)
    before = _snapshot(db)

    app = create_app(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        primary = conn.execute("SELECT name, pk FROM pragma_table_info('idempotency')")
        assert sorted((pk, name) for name, pk in primary if pk) == [(1, "scope"), (2, "key")]
        kept = conn.execute("SELECT key, path, request_id FROM idempotency ORDER BY key")
        keys = [(key, path) for key, path, _ in kept]
    # order-1's later record on another path is gone; order-4 (in progress) was abandoned.
    assert keys == [
        ("order-1", "/v1/payments"),
        ("order-2", "/v1/refunds"),
        ("order-3", "/v1/payments"),
    ]

    async with client_for(app) as client:
        replayed = await client.post("payments", content=_payment("10.00"), headers=_key("order-1"))
        assert (replayed.text, replayed.headers["idempotent-replayed"]) == (answers["paid"], "true")
        payment_id = replayed.json()["id"]
        wrong_path = await client.post(
            "refunds", content=body(payment_id=payment_id), headers=_key("order-1")
        )
        assert (wrong_path.status_code, error_of(wrong_path)["code"]) == (400, "idempotency_error")
        refund = await client.post(
            "refunds", content=body(payment_id=payment_id, amount="1.00"), headers=_key("order-2")
        )
        assert refund.text == answers["refunded"]
        # Made with the second API key, now the account's: the main key replays it.
        third = await client.post("payments", content=_payment("3.00"), headers=_key("order-3"))
        assert (third.text, third.headers["idempotent-replayed"]) == (answers["third"], "true")
        assert _snapshot(db) == before  # nothing was lost, nothing executed twice
        crashed = await client.post("payments", content=_payment("10.00"), headers=_key("order-4"))
        assert crashed.status_code == 201
        assert "idempotent-replayed" not in crashed.headers
    app.state.store.close()
    payments, refunds = _snapshot(db)
    assert (len(payments), len(refunds)) == (len(before[0]) + 1, len(before[1]))


def test_a_migrated_database_opens_again_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.execute(
            "INSERT INTO idempotency (scope, key, path, fingerprint, state, status, body,"
            " request_id, owner, created) VALUES ('s', 'k', '/v1/payments', 'f', 'done', 201,"
            " '{}', 'req_1', NULL, strftime('%s', 'now'))"
        )
    Store(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT key FROM idempotency").fetchall() == [("k",)]
