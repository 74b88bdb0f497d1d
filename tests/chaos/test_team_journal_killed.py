"""A team on one shared PostgreSQL journal (tests/pg_cluster.py): alice's CLI killed with
SIGKILL at random points of a payment, then bob, on another console, runs the same
command: bob's console sees alice's entry unknown at once (her session's lock is gone)
and re-sends it with its key. Exactly one payment per logical command, every time (rows
counted in the sandbox), and each entry names who sent it last."""

from __future__ import annotations

import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from console.journal import Journal
from tests.chaos.harness import Cli, Sandbox, running

TRIALS = 8
LATENCY_MS = 600


def _console(tmp_path: Path, sandbox: Sandbox, operator: str, url: str) -> Cli:
    cli = Cli(tmp_path / operator, sandbox)
    config = cli.home / "config" / "payments-console" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'default_profile = "chaos"\njournal = "{url}"\noperator = "{operator}"\n\n'
        f'[profiles.chaos]\nbase_url = "{sandbox.base_url}"\nmode = "sandbox"\ntimeout = 30\n'
    )
    return cli


def _trial(alice: Cli, bob: Cli, trial: int, delay: float) -> list[int]:
    """Alice's command killed after `delay` s; unless it showed the payment first, bob
    runs it until it says done: his exit codes."""
    args = ["pay", "--amount", f"2.{trial:02d}", "--currency", "USD", "--source", "tok_visa",
            "--description", f"team trial {trial}"]  # fmt: skip
    first = alice.start(*args)
    time.sleep(delay)
    first.send_signal(signal.SIGKILL)
    out, _ = first.communicate(timeout=60)
    codes: list[int] = [0] if "succeeded  USD" in out else []  # shown: done for alice
    while not codes or codes[-1] != 0:
        assert len(codes) < 3, codes
        again = bob.run(*args)
        assert "Traceback" not in again.stderr, again.stderr
        codes.append(again.returncode)
    return codes


def test_alice_killed_anywhere_then_bob_runs_it_pays_exactly_once(
    tmp_path: Path, sandbox: Sandbox, pg_url: str
) -> None:
    rng = random.Random(20261202)
    plan = [(trial, rng.uniform(0.1, 1.4)) for trial in range(TRIALS)]
    with running(sandbox, "--latency", str(LATENCY_MS)):
        alice = _console(tmp_path, sandbox, "alice", pg_url)
        bob = _console(tmp_path, sandbox, "bob", pg_url)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda p: _trial(alice, bob, *p), plan))
        counts = [sandbox.count(description=f"team trial {trial}") for trial in range(TRIALS)]
    assert counts == [1] * TRIALS, list(zip(plan, results, counts, strict=True))
    with Journal(pg_url) as journal:
        entries = journal.recent(100)
    assert sorted(entry.status for entry in entries) == ["succeeded"] * TRIALS, entries
    assert {entry.operator for entry in entries} <= {"alice", "bob"}
    # The kills landed mid-request at least once: bob settled an entry alice began.
    assert "bob" in {entry.operator for entry in entries}
