"""PaymentsClient overhead: median latency through the client vs bare httpx + json.loads.

Both talk to the same SandboxServer on loopback in the same run, one request at a time,
interleaved (ours, baseline, ours, ...) so that drift hits both alike. Target: the client
costs at most 1.10x the bare call. `.venv/bin/python -m bench.client`
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import httpx

from bench.common import at_most, print_table
from console.api import PaymentCreate, PaymentsClient
from console.sandbox.server import SandboxServer

ROUNDS = {"get_payment": 3000, "create_payment": 1500}
BUDGET_SECONDS = 20.0
"""Per benchmark: on a loaded machine fewer rounds run, so the whole stays under a minute."""
WARMUP = 100
TARGET = 1.10

Call = Callable[[], Awaitable[object]]


async def _interleaved(ours: Call, baseline: Call, rounds: int) -> tuple[float, float, int]:
    """Median seconds per call of each (alternating which goes first), and the rounds run."""
    for _ in range(WARMUP):
        await ours()
        await baseline()
    timings: dict[Call, list[float]] = {ours: [], baseline: []}
    deadline = time.monotonic() + BUDGET_SECONDS
    for number in range(rounds):
        if time.monotonic() > deadline:
            break
        pair = (ours, baseline) if number % 2 else (baseline, ours)
        for call in pair:
            started = time.perf_counter()
            await call()
            timings[call].append(time.perf_counter() - started)
    done = len(timings[ours])
    return statistics.median(timings[ours]), statistics.median(timings[baseline]), done


async def _measure(server: SandboxServer) -> dict[str, tuple[float, float, int]]:
    request = PaymentCreate(
        amount=Decimal("12.34"), currency="USD", source="tok_visa", description="bench"
    )
    wire = '{"amount":12.34,"currency":"USD","source":"tok_visa","description":"bench"}'
    headers = {"Authorization": f"Bearer {server.api_key}"}
    post_headers = headers | {"Content-Type": "application/json"}
    results = {}
    async with (
        PaymentsClient(server.base_url, server.api_key) as client,
        httpx.AsyncClient(base_url=server.base_url, headers=headers, trust_env=False) as bare,
    ):
        payment_id = (await client.create_payment(request)).id

        async def ours_get() -> object:
            return await client.get_payment(payment_id)

        async def bare_get() -> object:
            return json.loads((await bare.get(f"payments/{payment_id}")).content)

        async def ours_create() -> object:
            return await client.create_payment(request)

        async def bare_create() -> object:
            key = {"Idempotency-Key": str(uuid.uuid4())}
            response = await bare.post("payments", content=wire, headers=post_headers | key)
            return json.loads(response.content)

        results["get_payment"] = await _interleaved(ours_get, bare_get, ROUNDS["get_payment"])
        results["create_payment"] = await _interleaved(
            ours_create, bare_create, ROUNDS["create_payment"]
        )
    return results


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as directory,
        SandboxServer(Path(directory) / "bench.db") as server,
    ):
        results = asyncio.run(_measure(server))
    print_table(
        (
            (
                f"{name} median latency, n={rounds} (PaymentsClient vs httpx + json.loads)",
                f"{ours * 1000:.3f} ms",
                f"{baseline * 1000:.3f} ms",
                ours / baseline,
                at_most(ours / baseline, TARGET),
            )
            for name, (ours, baseline, rounds) in results.items()
        ),
        ratio_digits=3,
    )


if __name__ == "__main__":
    main()
