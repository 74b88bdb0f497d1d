"""Batch refunds against the sandbox: throughput next to a bare httpx loop, and peak memory
at 50,000 rows next to 1,000, in the same run.

Throughput: `payments-console batch refunds FILE --yes` (a real process, its own journal,
CONCURRENCY rows in flight) refunds ROWS payments, timed from its start to its exit: it
reads and checks the file, fetches every payment (a GET each), journals every row before
and after its POST, writes the report. The baseline is a bare `httpx.AsyncClient` loop
with the same concurrency doing the same POSTs (one refund per payment, its own key)
without journal or checks; it runs before and after ours, on payments of its own, and
ours is compared with the mean of the two. Target: >= 0.8x.

Memory: the peak resident size of the same command (`getrusage` of the child) refunding
MEMORY_ROWS[1] payments next to MEMORY_ROWS[0]: the file is streamed and the rows are
kept in SQLite's temporary database, never in memory. Target: <= 1.2x.

The sandbox runs in a child process (no access log); the payments are written straight
into its database. `.venv/bin/python -m bench.batch [--rows N] [--memory-rows A B]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import at_least, at_most, cli_env, print_table
from bench.sandbox import Server, server
from console import money

ROWS = 10_000
MEMORY_ROWS = (1_000, 50_000)
CONCURRENCY = 4
TARGETS = {"throughput": 0.8, "memory": 1.2}


@dataclass
class Sandbox:
    server: Server
    db: Path
    made: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/v1"

    def payments(self, count: int) -> list[str]:
        """`count` new payments of USD 10.00 (straight into the sandbox's database)."""
        ids = [f"pay_bench{self.made + n:015d}" for n in range(count)]
        self.made += count
        with sqlite3.connect(self.db) as db:
            db.executemany(
                "INSERT INTO payments (id, amount, currency, source, description, status,"
                " created_at) VALUES (?, 1000, 'USD', 'tok_visa', 'bench', 'succeeded',"
                " '2026-12-01T12:00:00Z')",
                [(payment_id,) for payment_id in ids],
            )
        return ids


def bare_loop(sandbox: Sandbox, payment_ids: list[str]) -> float:
    """Seconds for a bare httpx loop to POST one refund of each payment, CONCURRENCY at a time."""

    async def run() -> float:
        headers = {"Authorization": f"Bearer {sandbox.server.api_key}"}
        async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers) as client:
            pending = iter(payment_ids)

            async def sender() -> None:
                for payment_id in pending:
                    answer = await client.post(
                        "/refunds",
                        content=f'{{"payment_id": "{payment_id}", "amount": 1.00}}',
                        headers={
                            "Content-Type": "application/json",
                            "Idempotency-Key": str(uuid.uuid4()),
                        },
                    )
                    assert answer.status_code == 201, answer.text

            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
            return time.perf_counter() - started

    return asyncio.run(run())


@dataclass(frozen=True)
class Run:
    seconds: float
    """From the command's start to its exit."""
    sending: float
    """Its own figure (`--json`): from its first POST to its last answer."""
    peak_rss_kib: int


def batch_command(sandbox: Sandbox, payment_ids: list[str], home: Path) -> Run:
    """`payments-console batch refunds` in a child process on a file refunding each payment
    1.00; its wall time and peak resident size."""
    home.mkdir(parents=True)
    config = home / "config" / "payments-console" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'default_profile = "bench"\n\n[profiles.bench]\nbase_url = "{sandbox.base_url}"\n'
        'mode = "sandbox"\ntimeout = 30\n'
    )
    path = home / "refunds.csv"
    path.write_text("payment_id,amount\n" + "".join(f"{p},1.00\n" for p in payment_ids))
    env = cli_env(home, sandbox.server.api_key)
    command = [sys.executable, "-m", "console", "batch", "refunds", str(path), "--yes"]
    command += ["--concurrency", str(CONCURRENCY), "--json"]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    summary = money.loads(output)
    if os.waitstatus_to_exitcode(status) != 0 or summary["done"] != len(payment_ids):
        raise RuntimeError(f"the batch did not refund every row: {output.decode()[-2000:]}")
    return Run(seconds, float(summary["seconds"]["sending"]), usage.ru_maxrss)


def main(argv: list[str] | None = None) -> int:
    """`make bench` calls it without arguments: the sizes above."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--memory-rows", type=int, nargs=2, default=MEMORY_ROWS)
    options = parser.parse_args(argv or [])
    rows, (small, large) = options.rows, options.memory_rows
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sandbox.db"
        with server("sandbox", db) as child:
            sandbox = Sandbox(child, db)
            before = bare_loop(sandbox, sandbox.payments(rows))
            ours = batch_command(sandbox, sandbox.payments(rows), Path(tmp) / "throughput")
            after = bare_loop(sandbox, sandbox.payments(rows))
            few = batch_command(sandbox, sandbox.payments(small), Path(tmp) / "small")
            many = batch_command(sandbox, sandbox.payments(large), Path(tmp) / "large")
    baseline = rows / ((before + after) / 2)
    rate, sending = rows / ours.seconds, rows / ours.sending
    print(
        f"One sandbox child process; {CONCURRENCY} requests in flight. Ours: the whole"
        " `batch refunds --yes` command (start to exit: read, a GET of each payment, the"
        " journal before and after each POST, the report), then its sending alone (its"
        " first POST to its last answer, as its --json summary says). Baseline: a bare"
        " httpx loop doing the same POSTs, before and after ours (mean"
        f" of {rows / before:,.0f} and {rows / after:,.0f} rows/s).\n"
    )
    throughput, memory = rate / baseline, many.peak_rss_kib / few.peak_rss_kib
    print_table(
        [
            (
                f"batch refunds, {rows:,} rows, rows/s (whole command)",
                f"{rate:,.0f}",
                f"{baseline:,.0f} (bare httpx loop)",
                throughput,
                at_least(throughput, TARGETS["throughput"]),
            ),
            (
                f"batch refunds, {rows:,} rows, rows/s (sending)",
                f"{sending:,.0f}",
                f"{baseline:,.0f}",
                sending / baseline,
                at_least(sending / baseline, TARGETS["throughput"]),
            ),
            (
                f"batch refunds, peak memory, {large:,} rows",
                f"{many.peak_rss_kib / 1024:,.1f} MiB",
                f"{few.peak_rss_kib / 1024:,.1f} MiB ({small:,} rows)",
                memory,
                at_most(memory, TARGETS["memory"]),
            ),
        ]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
