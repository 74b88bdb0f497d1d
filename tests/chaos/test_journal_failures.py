"""The journal fails while the answer arrives (another process holds its write lock past
the busy timeout, or its disk is full): the ID is shown, no traceback, and running the
command again makes no second payment. And an unknown outcome whose retry cannot reach
the API stays unknown until the API is back."""

from __future__ import annotations

import errno
import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.chaos.harness import Cli, Sandbox, running

PAY = ["pay", "--amount", "42.00", "--currency", "USD", "--source", "tok_visa",
       "--description", "journal chaos"]  # fmt: skip
JOURNAL_BUSY_SECONDS = 5.0
"""The journal's busy timeout (console.journal.Journal's default)."""


def _paid_then_settled_by_rerun(cli: Cli, sandbox: Sandbox, first_out: str, first_err: str) -> None:
    """The first run showed the payment and warned; the rerun settles it, paying nothing."""
    assert "Traceback" not in first_err
    [payment_id] = [word for word in first_out.split() if word.startswith("pay_")]
    assert "succeeded  USD 42.00" in first_out
    assert "could not record the result" in first_err
    assert "did go through" in first_err
    again = cli.run(*PAY)
    assert again.returncode == 0, again.stderr
    assert "re-sending the identical payment" in again.stderr
    assert payment_id in again.stdout
    assert sandbox.count() == 1
    [entry] = cli.entries()
    assert (entry.status, entry.payment_id) == ("succeeded", payment_id)


def test_journal_locked_by_another_process_when_the_answer_arrives(
    sandbox: Sandbox, cli: Cli
) -> None:
    with running(sandbox, "--latency", "1500"):
        cli.configure()
        process = cli.start(*PAY)
        cli.wait_for_entry("pending")
        holder = subprocess.Popen(  # another process takes the write lock and keeps it
            ["python3", "-c",
             "import sqlite3, sys, time\n"
             "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
             "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True)\n"
             f"time.sleep({JOURNAL_BUSY_SECONDS + 3})\n",
             str(cli.journal_path)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        holder.wait(timeout=30)
        _paid_then_settled_by_rerun(cli, sandbox, out, err)


@contextmanager
def full_disk(directory: Path) -> Iterator[Path]:
    """A small tmpfs mounted at `directory`; yields a filler file's path (grow it to fill
    the disk). Skips where mounting is not allowed."""
    directory.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(directory)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()})")
    try:
        yield directory / "filler"
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(filler: Path) -> None:
    """Write to `filler` until the filesystem has no byte left."""
    with filler.open("wb", buffering=0) as file:
        for size in (65536, 4096, 1):
            try:
                while True:
                    file.write(b"\0" * size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise


def test_disk_full_when_the_answer_arrives(sandbox: Sandbox, cli: Cli) -> None:
    data = cli.home / "data"
    with full_disk(data) as filler, running(sandbox, "--latency", "1500"):
        cli.configure()
        process = cli.start(*PAY)
        cli.wait_for_entry("pending")
        fill(filler)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "disk is full" in err or "database or disk is full" in err, err
        filler.unlink()
        _paid_then_settled_by_rerun(cli, sandbox, out, err)


def test_an_unknown_payment_retried_while_the_api_is_down_stays_unknown(
    sandbox: Sandbox, cli: Cli
) -> None:
    with running(sandbox, "--fail-rate", "1"):  # every answer a 500: it may have happened
        cli.configure()
        lost = cli.run(*PAY)
    assert lost.returncode == 4, lost.stderr
    [unknown] = cli.entries()
    assert unknown.status == "unknown"
    assert unknown.idempotency_key in lost.stderr

    down = cli.run(*PAY)  # the API is down: nothing can settle it
    assert down.returncode == 4, down.stderr
    assert "Could not connect" in down.stderr
    assert "still unknown" in down.stderr
    as_json = cli.run(*PAY, "--json")  # the same, for a script
    assert (as_json.returncode, as_json.stderr.count("\n")) == (4, 1), as_json.stderr
    error = json.loads(as_json.stdout)
    assert (error["exit_code"], error["outcome"]) == (4, "unknown")
    assert error["idempotency_key"] == unknown.idempotency_key
    assert error["retry_command"].endswith(f"--idempotency-key {unknown.idempotency_key}")
    assert "still unknown" in error["error"]
    [still] = cli.entries()
    assert (still.id, still.status, still.idempotency_key) == (
        unknown.id,
        "unknown",
        unknown.idempotency_key,
    )

    with running(sandbox):  # back, on the same database
        settled = cli.run(*PAY)
    assert settled.returncode == 0, settled.stderr
    assert sandbox.count() == 1
    [done] = cli.entries()
    assert (done.id, done.status) == (unknown.id, "succeeded")
