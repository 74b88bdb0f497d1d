"""kill -9 during a stream of creates: every payment that got a 201 is still there."""

from __future__ import annotations

import asyncio
import os
import signal
from decimal import Decimal
from pathlib import Path

import httpx

from console import money
from console.sandbox.server import SandboxServer
from tests.sandbox.conftest import body
from tests.sandbox.process import start_sandbox

WORKERS = 8
KILL_AFTER = 150


async def _create_until_killed(base_url: str, api_key: str, pid: int) -> list[tuple[str, Decimal]]:
    """Create payments from several clients; kill -9 the server after KILL_AFTER 201s."""
    acknowledged: list[tuple[str, Decimal]] = []
    killed = asyncio.Event()

    async def worker(number: int) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        async with httpx.AsyncClient(base_url=base_url + "/", headers=headers) as client:
            for attempt in range(10_000):
                amount = f"{number}.{attempt % 100:02d}"
                payload = body(amount=amount, currency="USD", source="tok_visa")
                try:
                    answer = await client.post("payments", content=payload)
                except httpx.TransportError:
                    assert killed.is_set()
                    return
                assert answer.status_code == 201
                payment = money.loads(answer.text)
                acknowledged.append((payment["id"], payment["amount"]))
                if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                    os.kill(pid, signal.SIGKILL)
                    killed.set()

    await asyncio.gather(*(worker(number) for number in range(1, WORKERS + 1)))
    return acknowledged


async def test_no_acknowledged_payment_is_lost_to_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    sandbox = start_sandbox("--db", str(db))
    try:
        acknowledged = await _create_until_killed(
            sandbox.base_url, sandbox.api_key, sandbox.process.pid
        )
    finally:
        sandbox.process.kill()
        sandbox.process.communicate()
    assert sandbox.process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= KILL_AFTER
    with SandboxServer(db) as restarted:
        assert restarted.api_key == sandbox.api_key
        headers = {"Authorization": f"Bearer {restarted.api_key}"}
        async with httpx.AsyncClient(base_url=restarted.base_url + "/", headers=headers) as c:
            found = await asyncio.gather(*(c.get(f"payments/{pid}") for pid, _ in acknowledged))
    assert [answer.status_code for answer in found] == [200] * len(acknowledged)
    assert [money.loads(answer.text)["amount"] for answer in found] == [
        amount for _, amount in acknowledged
    ]
