"""The shared PostgreSQL journal next to the SQLite file, in the same run, on a
throwaway PostgreSQL server (tests/pg_cluster.py: initdb in a temporary directory, a
Unix socket; fsync off, so the figures are the journal's work, not the disk's).

1. A payment end to end (journal, the API round trip to a sandbox on loopback, journal)
   through PostgreSQL vs through SQLite: medians, interleaved. Target <= 1.2x.
2. 8 `payments-console batch payments` processes at once, as two operators (alice,
   bob), 50 payments each (sent one at a time), against one PostgreSQL journal and one
   sandbox: 400 entries, none lost or
   doubled, each with its operator, and each operator's `history` lists all 400.
3. History (open, then one filter keystroke; `bench.history`'s measure) with 1,000,000
   entries in PostgreSQL vs 100. Target <= 1.5x. The big journal is built in bulk (COPY).

`.venv/bin/python -m bench.team_journal [--no-history]`
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

from bench.common import at_most, cli_env, print_table
from bench.history import START, _measure
from bench.journal_data import BULK_COLUMNS, bulk_rows, plausible
from console.api import PaymentCreate, PaymentsClient
from console.clock import utc_now
from console.journal import Journal
from console.journal.schema import INDEXES
from console.operations import Operations
from console.sandbox.server import SandboxServer
from tests.pg_cluster import Cluster, start_cluster

PAYMENTS = 300
TARGETS = {"payment": 1.2, "history": 1.5}
WORKERS, OPERATORS, EACH = 8, ("alice", "bob"), 50


async def _payments(server: SandboxServer, journals: dict[str, Journal]) -> dict[str, float]:
    """Median seconds of one payment through each journal, alternating which goes first."""
    request = PaymentCreate(amount=Decimal("12.34"), currency="USD", source="tok_visa")
    timings: dict[str, list[float]] = {name: [] for name in journals}
    async with PaymentsClient(server.base_url, server.api_key) as client:
        operations = {
            name: Operations(client, journal, "bench", utc_now)
            for name, journal in journals.items()
        }
        for number in range(PAYMENTS + 20):
            order = list(operations) if number % 2 else list(reversed(operations))
            for name in order:
                started = time.perf_counter()
                await operations[name].create_payment(request, new=True)
                if number >= 20:  # warm-up
                    timings[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in timings.items()}


def _cli_env(home: Path, server: SandboxServer, url: str, operator: str) -> dict[str, str]:
    config = home / "config" / "payments-console" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'default_profile = "bench"\njournal = "{url}"\n\n[profiles.bench]\n'
        f'base_url = "{server.base_url}"\nmode = "sandbox"\n'
    )
    return cli_env(home, server.api_key) | {"PAYMENTS_CONSOLE_OPERATOR": operator}


def _worker(env: dict[str, str], worker: int) -> tuple[int, str]:
    """One `batch payments` process of `EACH` rows, sent one at a time; its exit code and
    the end of what it said on stderr."""
    path = Path(env["HOME"]) / f"payments-{worker}.csv"
    rows = [
        f"{worker + 1}.{number:02d},USD,tok_visa,worker {worker} row {number}"
        for number in range(EACH)
    ]
    path.write_text("amount,currency,source,description\n" + "\n".join(rows) + "\n")
    command = [sys.executable, "-m", "console", "batch", "payments", str(path), "--yes"]
    command += ["--concurrency", "1", "--json"]
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    return done.returncode, done.stderr.decode(errors="replace")[-300:]


def _team(server: SandboxServer, url: str, home: Path) -> tuple[float, dict[str, object]]:
    """Seconds for the 8 workers' 400 payments, and what the journal then holds."""
    envs = {name: _cli_env(home / name, server, url, name) for name in OPERATORS}
    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        runs = [pool.submit(_worker, envs[OPERATORS[n % 2]], n) for n in range(WORKERS)]
        results = [run.result() for run in runs]
    codes = [code for code, _ in results]
    seconds = time.perf_counter() - started
    listed = {}
    for name, env in envs.items():
        command = [sys.executable, "-m", "console", "history", "--json", "--limit", "1000"]
        out = subprocess.run(command, env=env, capture_output=True, check=True).stdout
        listed[name] = len(json.loads(out))
    with Journal(url) as journal:
        entries = journal.recent(10_000)
    keys = {entry.idempotency_key for entry in entries}
    return seconds, {
        "exit codes": sorted(set(codes)),
        "errors": [said for code, said in results if code != 0],
        "entries": len(entries),
        "distinct keys": len(keys),
        "succeeded": sum(entry.status == "succeeded" for entry in entries),
        "by operator": {name: sum(e.operator == name for e in entries) for name in OPERATORS},
        "listed by each": listed,
        "sandbox payments": _sandbox_payments(server),
    }


def _sandbox_payments(server: SandboxServer) -> int:
    import sqlite3

    with sqlite3.connect(server.db_path) as db:
        return int(db.execute("SELECT count(*) FROM payments").fetchone()[0])


def _bulk_journal(cluster: Cluster, schema: str, size: int) -> Journal:
    """A PostgreSQL journal of `size` plausible entries, loaded with COPY, then indexed."""
    cluster.psql(f"CREATE SCHEMA {schema}")
    url = cluster.url(options=f"-c search_path={schema}")
    with Journal(url) as new:
        sender = (new.sender.operator, new.sender.host)
    operations = (plausible(n, START + timedelta(seconds=30 * n), "bench") for n in range(size))
    with psycopg.connect(url) as db:
        for (name,) in db.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexname LIKE %s"
            " AND indexname <> 'operations_pkey'",
            (schema, "operations\\_%"),
        ).fetchall():
            db.execute(f'DROP INDEX "{name}"')
        with db.cursor().copy(f"COPY operations ({BULK_COLUMNS}) FROM STDIN") as copy:
            for row in bulk_rows(operations, sender):
                copy.write_row(row)
        for index in INDEXES:
            db.execute(index)
        db.execute("ANALYZE operations")
    journal = Journal(url)
    print(f"built a PostgreSQL journal of {journal.count():,} entries", flush=True)
    return journal


def main(argv: list[str] | None = None) -> int:
    history = "--no-history" not in (sys.argv[1:] if argv is None else argv)
    cluster = start_cluster()
    try:
        with (
            tempfile.TemporaryDirectory() as directory,
            SandboxServer(Path(directory) / "bench.db") as server,
        ):
            cluster.psql("CREATE SCHEMA payments")
            url = cluster.url(options="-c search_path=payments")
            with Journal(Path(directory) / "journal.sqlite3") as file, Journal(url) as shared:
                medians = asyncio.run(_payments(server, {"postgresql": shared, "sqlite": file}))
            cluster.psql("CREATE SCHEMA team")
            team_url = cluster.url(options="-c search_path=team")
            seconds, counts = _team(server, team_url, Path(directory))
        rows = [
            (
                "a payment end to end (journal, sandbox round trip, journal), median:"
                " PostgreSQL vs SQLite",
                f"{medians['postgresql'] * 1000:.2f} ms",
                f"{medians['sqlite'] * 1000:.2f} ms",
                medians["postgresql"] / medians["sqlite"],
                at_most(medians["postgresql"] / medians["sqlite"], TARGETS["payment"]),
            )
        ]
        if history:
            journals = {size: _bulk_journal(cluster, f"h{size}", size) for size in (1_000_000, 100)}
            try:
                timings = asyncio.run(_measure(journals))
            finally:
                for journal in journals.values():
                    journal.close()
            for label, index in (("open", 0), ("one filter keystroke", 1)):
                ours = statistics.median(timings[1_000_000][index])
                base = statistics.median(timings[100][index])
                rows.append(
                    (
                        f"history on PostgreSQL: {label}, median (1,000,000 vs 100 entries)",
                        f"{ours * 1000:.1f} ms",
                        f"{base * 1000:.1f} ms",
                        ours / base,
                        at_most(ours / base, TARGETS["history"], digits=1),
                    )
                )
    finally:
        cluster.stop()
    print_table(rows)
    print(
        f"\n{WORKERS} `batch payments` processes as {' and '.join(OPERATORS)}, {EACH} payments"
        f" each, one PostgreSQL journal: {seconds:.1f} s; {json.dumps(counts)}"
    )
    expected = WORKERS * EACH
    ok = (
        counts["entries"] == counts["distinct keys"] == counts["succeeded"] == expected
        and counts["sandbox payments"] == expected + 2 * (PAYMENTS + 20)
        and counts["listed by each"] == dict.fromkeys(OPERATORS, expected)
    )
    print("all 400 entries, none lost or doubled, each with its operator" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
