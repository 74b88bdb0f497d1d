"""The CLI killed at random points of a payment, then the same command run again:
exactly one payment per logical command, every time (rows counted in the sandbox)."""

from __future__ import annotations

import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.chaos.harness import Cli, Sandbox, running

SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGHUP)
TRIALS = 24
"""At least 20 (the money-safety issue), 8 per signal."""
LATENCY_MS = 600


def _pay_args(trial: int) -> list[str]:
    return ["pay", "--amount", f"1.{trial:02d}", "--currency", "USD", "--source", "tok_visa",
            "--description", f"chaos trial {trial}"]  # fmt: skip


def _trial(cli: Cli, trial: int, signum: signal.Signals, delay: float) -> tuple[int, list[int]]:
    """Start the command, send `signum` after `delay` s, then run it again until it says
    done. Returns the first run's exit code and the codes of the runs after it."""
    args = _pay_args(trial)
    first = cli.start(*args)
    time.sleep(delay)
    first.send_signal(signum)
    out, err = first.communicate(timeout=60)
    assert "Traceback" not in err, err
    if signum is not signal.SIGKILL and first.returncode in (3, 4):
        [line] = err.splitlines()[-1:]
        if first.returncode == 4:
            assert f"Interrupted ({signum.name}) while the request was sent" in line
            assert "--idempotency-key" in line and "payments-console pay" in line
        else:
            assert "before anything was sent" in line
    reruns: list[int] = []
    # Killed after it showed the payment, the command is done for whoever ran it.
    code = 0 if "succeeded  USD" in out else first.returncode
    while code != 0:  # what a merchant (or a script) does until it says done
        assert len(reruns) < 3, (first.returncode, reruns)
        again = cli.run(*args)
        assert "Traceback" not in again.stderr, again.stderr
        code = again.returncode
        reruns.append(code)
    return first.returncode, reruns


def test_the_cli_killed_anywhere_then_run_again_pays_exactly_once(
    sandbox: Sandbox, cli: Cli
) -> None:
    rng = random.Random(20261201)
    # Start-up takes about 0.3 s, then the request waits LATENCY_MS in the sandbox: the
    # delays hit start-up, journaling, the request in flight and the answer.
    plan = [(trial, SIGNALS[trial % 3], rng.uniform(0.1, 1.4)) for trial in range(TRIALS)]
    with running(sandbox, "--latency", str(LATENCY_MS)):
        cli.configure()
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda p: _trial(cli, *p), plan))
        counts = [sandbox.count(description=f"chaos trial {trial}") for trial in range(TRIALS)]
    assert counts == [1] * TRIALS, list(zip(plan, results, counts, strict=True))
    # The kills did land mid-request: some runs ended unknown or were killed outright.
    first_codes = [code for code, _ in results]
    assert any(code in (4, -signal.SIGKILL) for code in first_codes), first_codes
    # Every logical command is one journal entry, settled.
    entries = cli.entries()
    assert sorted(e.status for e in entries).count("succeeded") == TRIALS
    assert all(e.status in ("succeeded", "failed") for e in entries), entries


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_caught_signal_prints_the_key_and_the_retry_command(
    sandbox: Sandbox, cli: Cli, signum: signal.Signals
) -> None:
    with running(sandbox, "--latency", "5000"):
        cli.configure()
        process = cli.start(*_pay_args(99))
        pending = cli.wait_for_entry("pending")
        time.sleep(0.3)  # the POST is on its way
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    assert (process.returncode, out) == (4, "")
    [line] = err.splitlines()
    assert pending.idempotency_key in line
    assert (
        "payments-console pay --amount 1.99 --currency USD --source tok_visa --description "
        f"'chaos trial 99' --idempotency-key {pending.idempotency_key}"
    ) in line
    [entry] = cli.entries()
    assert (entry.id, entry.status) == (pending.id, "unknown")
