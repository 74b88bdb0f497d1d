"""A team's shared journal on a real PostgreSQL server (tests/pg_cluster.py): a console
killed mid-payment leaves an entry every other console sees unknown at once; two
operators settling one entry at the same moment, one sends and the other is told who
does; `journal copy --to URL` brings a file's entries in, and again copies nothing."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from console.api.client import PaymentsClient
from console.cli import main
from console.journal import EntryBusyError, Journal, JournalServerError
from console.journal.copy import copy_journal
from console.operations import NotRetryableError, Operations
from tests.pg_cluster import Cluster, another_console
from tests.unit.test_journal import T0, pay

FIXTURES = Path(__file__).parents[1] / "fixtures"

_SENDER = """
import sys, time
from datetime import UTC, datetime
from decimal import Decimal
from console.journal import Journal
journal = Journal(sys.argv[1], operator="bob")
entry = journal.record_pending(kind="payment", profile="shop", idempotency_key="k-bob",
    request={"amount": Decimal("5.00"), "currency": "USD", "source": "tok_visa"},
    now=datetime.now(UTC), amount=Decimal("5.00"), currency="USD")
print(entry, flush=True)
time.sleep(60)
"""


def test_a_killed_consoles_pending_entry_is_unknown_to_everyone_at_once(pg_url: str) -> None:
    bob = subprocess.Popen([sys.executable, "-c", _SENDER, pg_url], stdout=subprocess.PIPE)
    try:
        assert bob.stdout is not None
        entry_id = int(bob.stdout.readline())
        with Journal(pg_url, operator="alice") as alice:
            assert alice.recover_abandoned(now=T0) == 0  # bob's console still runs
            sending = alice.get(entry_id)
            assert sending is not None and alice.is_running(sending.owner)
            with pytest.raises(EntryBusyError, match=f"by bob on {socket.gethostname()}"):
                alice.record_retry(entry_id, now=T0)
            bob.send_signal(signal.SIGKILL)
            bob.wait()
            deadline = time.monotonic() + 10  # the server ends bob's session as it sees EOF
            while alice.is_running(sending.owner) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert alice.recover_abandoned(now=T0) == 1
            lost = alice.get(entry_id)
            assert lost is not None and (lost.status, lost.operator) == ("unknown", "bob")
            alice.record_retry(entry_id, now=T0)  # anyone may settle it now
            settling = alice.get(entry_id)
            assert settling is not None and settling.operator == "alice"
    finally:
        bob.kill()
        bob.wait()


def test_two_operators_settling_one_entry_at_once_one_sends(pg_url: str) -> None:
    with Journal(pg_url, operator="alice") as alice, Journal(pg_url, operator="bob") as bob:
        for round_ in range(10):
            entry_id = pay(alice, key=f"k-{round_}")
            alice.record_result(entry_id, status="unknown", now=T0, error="lost")
            start = threading.Barrier(2)
            outcomes: dict[str, str] = {}

            def settle(
                journal: Journal,
                name: str,
                entry_id: int = entry_id,
                start: threading.Barrier = start,
                outcomes: dict[str, str] = outcomes,
            ) -> None:
                start.wait()
                try:
                    journal.record_retry(entry_id, now=T0)
                    outcomes[name] = "sends"
                except EntryBusyError as busy:
                    outcomes[name] = str(busy)

            threads = [
                threading.Thread(target=settle, args=(journal, name))
                for journal, name in ((alice, "alice"), (bob, "bob"))
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            [sender] = [name for name, outcome in outcomes.items() if outcome == "sends"]
            [told] = [outcome for outcome in outcomes.values() if outcome != "sends"]
            assert f"is being sent right now by {sender} on " in told
            entry = alice.get(entry_id)
            assert entry is not None and entry.operator == sender


async def test_retry_from_two_consoles_sends_once(
    pg_url: str, sandbox_app: FastAPI, tmp_path: Path
) -> None:
    """Through Operations and the sandbox: one retry sends (with the old key), the other
    is refused and names the operator sending it; the API took one payment."""
    client = PaymentsClient(
        "http://127.0.0.1/v1", sandbox_app.state.api_key, transport=httpx.ASGITransport(sandbox_app)
    )
    with Journal(pg_url, operator="alice") as alice, Journal(pg_url, operator="bob") as bob:
        entry_id = pay(alice, "9.00", key="k-team")
        alice.record_result(entry_id, status="unknown", now=T0, error="lost")
        alice.record_retry(entry_id, now=T0)  # alice is sending it (her console runs)
        refused = Operations(client, bob, "shop", lambda: T0).retry(entry_id)
        with pytest.raises(NotRetryableError, match="being sent right now \\(by alice on "):
            await refused
        alice.record_result(entry_id, status="unknown", now=T0, error="lost")
        both = await asyncio.gather(
            Operations(client, alice, "shop", lambda: T0).retry(entry_id),
            Operations(client, bob, "shop", lambda: T0).retry(entry_id),
            return_exceptions=True,
        )
        sent = [result for result in both if not isinstance(result, BaseException)]
        assert len(sent) == 1, both
        assert isinstance(next(r for r in both if r not in sent), NotRetryableError)
    await client.aclose()
    with sqlite3.connect(tmp_path / "sandbox.db") as sandbox:
        assert sandbox.execute("SELECT count(*) FROM payments").fetchone() == (1,)


def test_copy_brings_a_files_entries_and_batches_once(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "journal.sqlite3"
    shutil.copy(FIXTURES / "journal-v4.sqlite3", path)  # entries from before operators
    with (
        Journal(path, operator="carol") as mine,
        Journal(pg_url, operator="carol") as team,
        another_console(mine) as running,
    ):
        sending = pay(mine, key="k-new", at=T0)  # by a console still running: left for later
        mine._write("UPDATE operations SET owner = ? WHERE id = ?", (running, sending))
        done = copy_journal(mine, team, now=T0)
        assert (done.copied, done.already_there, done.being_sent) == (4, 0, 1)
        copied = {e.idempotency_key: e for e in team.recent()}
        assert copied["k-v4-usd"].amount == Decimal("10.00")
        assert {e.operator for e in copied.values()} == {"carol"}  # the copier's
        assert team.row_failure("cd" * 16, 2) == (copied[f"batch-{'cd' * 16}-2"].id, "refused")
        again = copy_journal(mine, team, now=T0)
        assert (again.copied, again.already_there) == (0, 4)
        assert team.count() == 4


def test_the_cli_copies_then_reads_the_shared_journal(
    isolated_dirs: Path, tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "settings.toml"
    local = tmp_path / "mine.sqlite3"
    config.write_text(f'journal = "{local}"\noperator = "dave"\n')
    with Journal(local, operator="dave") as mine:
        mine.record_result(pay(mine, key="k-dave"), status="failed", now=T0, error="no")
    argv = ["journal", "copy", "--to", pg_url, "--config", str(config)]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"Copied 1 operation from {local} to ")
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["already_there"] == 1
    config.write_text(f'journal = "{pg_url}"\n')
    assert main(["history", "--config", str(config), "--json", "--operator", "dave"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert (entry["idempotency_key"], entry["status"]) == ("k-dave", "failed")


def test_a_restarted_server_fails_one_statement_and_the_journal_carries_on(
    pg_url: str, pg_cluster: Cluster
) -> None:
    """The server restarted mid-payment: the result that could not be written is an
    error the caller shows (the API's answer with it); the next statement reconnects, a
    new session with its own proof of life, and the entry settles."""
    with Journal(pg_url, operator="alice") as alice:
        entry_id = pay(alice)
        before = alice.owner
        pg_cluster.restart()
        with pytest.raises(JournalServerError, match="the shared journal"):
            alice.record_result(entry_id, status="succeeded", now=T0, response={"id": "pay_1"})
        alice.record_result(entry_id, status="succeeded", now=T0, response={"id": "pay_1"})
        settled = alice.get(entry_id)
        assert settled is not None and (settled.status, settled.payment_id) == (
            "succeeded",
            "pay_1",
        )
        assert alice.owner != before and alice.is_running(alice.owner)
        assert not alice.is_running(before)


def test_a_journal_server_that_cannot_be_reached_is_one_plain_line(
    isolated_dirs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://payments@/console?host={tmp_path}/nowhere"
    with pytest.raises(JournalServerError, match="cannot be reached"):
        Journal(url)
    with pytest.raises(JournalServerError, match="holds a password"):
        Journal(f"{url}&password=hunter2")
    (tmp_path / "settings.toml").write_text(f'journal = "{url}"\n')
    assert main(["history", "--config", str(tmp_path / "settings.toml")]) == 2
    err = capsys.readouterr().err
    assert f"Cannot open the journal at {url}: the shared journal" in err
    assert "Traceback" not in err and os.linesep not in err.rstrip()
