"""Concurrent refunds of one payment never refund more than it took."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx

from console.sandbox.server import SandboxServer
from tests.sandbox.conftest import body


def _client(server: SandboxServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.base_url + "/",
        headers={"Authorization": f"Bearer {server.api_key}"},
        limits=httpx.Limits(max_connections=200),
        timeout=30,
    )


async def _refund_all_at_once(
    clients: list[httpx.AsyncClient], payment_id: str, amount: str | None, count: int
) -> list[httpx.Response]:
    fields = {"payment_id": payment_id} | ({} if amount is None else {"amount": amount})
    return await asyncio.gather(
        *(clients[i % len(clients)].post("refunds", content=body(**fields)) for i in range(count))
    )


def _refunded_in_db(db: Path, payment_id: str) -> tuple[int, int, int]:
    with sqlite3.connect(db) as conn:
        amount, refunded = conn.execute(
            "SELECT amount, amount_refunded FROM payments WHERE id = ?", (payment_id,)
        ).fetchone()
        (total,) = conn.execute(
            "SELECT coalesce(sum(amount), 0) FROM refunds WHERE payment_id = ?", (payment_id,)
        ).fetchone()
    return amount, refunded, total


async def test_200_concurrent_partial_refunds_never_exceed_the_payment(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    # Two servers on one database: two connections, so SQLite's write lock does the work.
    with SandboxServer(db) as first, SandboxServer(db) as second:
        async with _client(first) as one, _client(second) as two:
            created = await one.post(
                "payments", content=body(amount="100.00", currency="USD", source="tok_visa")
            )
            payment_id = created.json()["id"]
            answers = await _refund_all_at_once([one, two], payment_id, "0.75", 200)
            payment = (await two.get(f"payments/{payment_id}")).json()
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: 133, 400: 67}  # 133 x 0.75 = 99.75; 0.25 stays refundable
    refunded = sum(Decimal(a.json()["amount"]) for a in answers if a.status_code == 201)
    assert refunded == Decimal("99.75") == payment["amount_refunded"]
    codes = {a.json()["code"] for a in answers if a.status_code == 400}
    assert codes == {"amount_invalid"}
    assert _refunded_in_db(db, payment_id) == (10000, 9975, 9975)


async def test_concurrent_full_refunds_succeed_exactly_once(sandbox_server: SandboxServer) -> None:
    async with _client(sandbox_server) as client:
        created = await client.post(
            "payments", content=body(amount="5000", currency="JPY", source="tok_visa")
        )
        payment_id = created.json()["id"]
        answers = await _refund_all_at_once([client], payment_id, None, 50)
    assert Counter(answer.status_code for answer in answers) == {201: 1, 400: 49}
    assert {a.json()["code"] for a in answers if a.status_code == 400} == {
        "charge_already_refunded"
    }
    db = Path(sandbox_server.db_path)
    assert _refunded_in_db(db, payment_id) == (5000, 5000, 5000)
