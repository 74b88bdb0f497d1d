"""`payments-console batch` end to end, in subprocesses, against a sandbox on 127.0.0.1:
the dry run, the file's problems, the confirmation (--yes, or typed at a terminal), the
report, refused rows, and a second run that sends nothing again."""

from __future__ import annotations

import csv
import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from console import money
from console.config import load_settings, save_settings
from console.journal import Journal, default_journal_path
from console.sandbox.server import SandboxServer
from tests.services.cli_runner import ROOT, Runner
from tests.services.test_cli import logged_in, secret_windows


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("sandbox") / "sandbox.db") as server:
        yield server


@pytest.fixture
def cli(isolated_dirs: Path, tmp_path: Path, server: SandboxServer) -> Runner:
    runner = Runner(home=isolated_dirs, keyring_file=tmp_path / "test-keyring.json")
    logged_in(runner, server)
    return runner


def paid(server: SandboxServer, amount: str = "10.00") -> str:
    """A new payment, made straight through the API."""
    answer = httpx.post(
        f"{server.base_url}/payments",
        headers={"Authorization": f"Bearer {server.api_key}"},
        json={"amount": float(amount), "currency": "USD", "source": "tok_visa"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def refunds_of(server: SandboxServer, *payment_ids: str) -> dict[str, list[int]]:
    marks = ",".join("?" * len(payment_ids))
    with sqlite3.connect(server.app.state.store.path) as db:
        found = db.execute(
            f"SELECT payment_id, amount FROM refunds WHERE payment_id IN ({marks})"  # noqa: S608
            " ORDER BY rowid",
            payment_ids,
        ).fetchall()
    refunds: dict[str, list[int]] = {payment_id: [] for payment_id in payment_ids}
    for payment_id, amount in found:
        refunds[payment_id].append(amount)
    return {payment_id: sorted(amounts) for payment_id, amounts in refunds.items()}


def batch_file(tmp_path: Path, *lines: str, name: str = "refunds.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_a_dry_run_shows_each_row_and_the_totals_and_sends_nothing(
    cli: Runner, server: SandboxServer, tmp_path: Path
) -> None:
    first, second = paid(server), paid(server, "25.00")
    path = batch_file(
        tmp_path, "payment_id,amount,reference", f"{first},2.50,A-1", f"{second},,A-2"
    )
    out = cli.ok("batch", "refunds", str(path), "--dry-run")
    lines = out.splitlines()
    assert lines[0].split() == ["line", "2", first, "USD", "2.50", "would", "refund", "A-1"]
    assert lines[1].split()[-5:] == ["refund", "(all", "that", "remains)", "A-2"]
    assert "Would refund: USD 27.50 in 2 rows. Nothing was sent (dry run)." in out
    report = tmp_path / "refunds.report.csv"
    assert f"Report: {report}" in out
    assert [(r["row"], r["reference"], r["amount"], r["status"]) for r in report_rows(report)] == [
        ("2", "A-1", "2.50", "would_send"),
        ("3", "A-2", "25.00", "would_send"),
    ]
    summary = money.loads(cli.ok("batch", "refunds", str(path), "--dry-run", "--json"))
    assert (summary["dry_run"], summary["rows"], summary["would_send"]) == (True, 2, 2)
    assert summary["totals"] == {"USD": {"rows": 2, "amount": Decimal("27.50")}}
    assert refunds_of(server, first, second) == {first: [], second: []}
    with Journal(default_journal_path()) as journal:
        assert journal.recent() == []


def test_the_files_problems_are_listed_at_once_with_line_and_column(
    cli: Runner, server: SandboxServer, tmp_path: Path
) -> None:
    good = paid(server)
    path = batch_file(
        tmp_path,
        "payment_id;amount",
        f"{good};12,00",
        "pay_nosuchpayment123;1",
        "sk_test_abcdefghijklmnop1234;1",
        f"{good};12,00",
    )
    result = cli("batch", "refunds", str(path), "--yes")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "line 2, column B (amount): USD 12.00 is more than the USD 10.00 left to refund",
        "line 3, column A (payment_id): No such payment",
        "line 4, column A (payment_id): this looks like an API key (sk_test_…1234); an API key"
        " never goes in a payment field. Remove it (and revoke the key if it was shared).",
        "line 5: Repeats line 2: remove one, or tell them apart with a reference",
        "payments-console: error: refunds.csv: 4 problems (above): fix the file, then run the "
        "same command again. Nothing was sent",
    ]
    as_json = cli("batch", "refunds", str(path), "--yes", "--json")
    problems = json.loads(as_json.stdout)["problems"]
    assert [(p["line"], p["column_letter"], p["kind"]) for p in problems] == [
        (2, "B", "over_refund"),
        (3, "A", "payment_not_found"),
        (4, "A", "key_in_text"),
        (5, None, "duplicate_row"),
    ]
    assert as_json.returncode == 2
    assert refunds_of(server, good) == {good: []}


def test_without_a_terminal_a_live_run_needs_yes_and_the_report_is_never_the_input(
    cli: Runner, server: SandboxServer, tmp_path: Path
) -> None:
    payment = paid(server)
    path = batch_file(tmp_path, "payment_id,amount", f"{payment},1.00")
    result = cli("batch", "refunds", str(path))
    assert result.returncode == 2
    assert "--yes is required when stdin is not a terminal" in result.stderr
    same = cli("batch", "refunds", str(path), "--yes", "--report", str(path))
    assert same.returncode == 2
    assert "is the batch file itself" in same.stderr
    assert refunds_of(server, payment) == {payment: []}


def test_a_payments_batch_reports_a_decline_and_a_second_run_sends_nothing_again(
    cli: Runner, server: SandboxServer, tmp_path: Path
) -> None:
    path = batch_file(
        tmp_path,
        "amount,currency,source,description,reference",
        "10.00,USD,tok_visa,Order 1,o-1",
        "20.00,EUR,tok_chargeDeclined,Order 2,o-2",
        "3000,JPY,tok_visa,Order 3,o-3",
        name="payments.csv",
    )
    first = cli("batch", "payments", str(path), "--yes")
    assert first.returncode == 1, first.stderr
    assert "payments.csv: 3 rows: 2 done, 1 refused" in first.stdout
    assert "paid JPY 3,000 in 1 row; USD 10.00 in 1 row" in first.stdout
    assert "line 3: refused: Your card was declined" in first.stderr
    rows = report_rows(tmp_path / "payments.report.csv")
    assert [(r["reference"], r["status"], r["result_id"][:4]) for r in rows] == [
        ("o-1", "done", "pay_"),
        ("o-2", "refused", "pay_"),
        ("o-3", "done", "pay_"),
    ]
    again = cli("batch", "payments", str(path), "--yes", "--json")
    summary = money.loads(again.stdout)
    assert (again.returncode, summary["done"], summary["refused"]) == (1, 2, 1)
    assert (summary["sent"], summary["seconds"]["sending"]) == (0, Decimal("0.000"))
    with Journal(default_journal_path()) as journal:
        assert sorted(e.status for e in journal.recent()) == ["failed", "succeeded", "succeeded"]
        assert {e.idempotency_key.rpartition("-")[2] for e in journal.recent()} == {"2", "3", "4"}
    written = [*cli.outputs, (tmp_path / "payments.report.csv").read_text()]
    written.append(default_journal_path().read_bytes().decode(errors="replace"))
    for window in secret_windows(server.api_key):
        assert not any(window in text for text in written)


def test_at_a_terminal_the_merchant_types_each_total(
    cli: Runner, server: SandboxServer, tmp_path: Path
) -> None:
    payment = paid(server, "50.00")
    path = batch_file(tmp_path, "payment_id,amount", f"{payment},12.34", f"{payment},1.00")
    cancelled = _at_a_terminal(cli, path, ["\x04"])
    assert cancelled.returncode == 3 and "Cancelled: nothing was sent" in cancelled.output
    typed = _at_a_terminal(cli, path, ["13.00\n", "USD 13.34\n"])
    assert "To refund from refunds.csv on profile local (SANDBOX): 2 of 2 rows" in typed.output
    assert "That is not the batch's total in USD: type 13.34" in typed.output
    assert typed.returncode == 0, typed.output
    assert refunds_of(server, payment) == {payment: [100, 1234]}


class _Ended:
    def __init__(self, returncode: int, output: str) -> None:
        self.returncode = returncode
        self.output = output


def _at_a_terminal(cli: Runner, path: Path, typed: list[str]) -> _Ended:
    """Run the batch on a pseudo-terminal, typing each of `typed` at a 'total:' prompt."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "console", "batch", "refunds", str(path)],
        stdin=terminal, stdout=terminal, stderr=terminal, env=cli.env(), cwd=ROOT,
    )  # fmt: skip
    os.close(terminal)
    output, pending = b"", list(typed)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.1)
        if ready:
            try:
                output += os.read(controller, 4096)
            except OSError:
                break
        if pending and output.count(b"total:") > len(typed) - len(pending):
            os.write(controller, pending.pop(0).encode())
    process.wait(timeout=10)
    os.close(controller)
    return _Ended(process.returncode, output.decode(errors="replace"))


def test_a_read_only_profile_shows_a_dry_run_but_sends_nothing(
    cli: Runner, server: SandboxServer, tmp_path: Path
) -> None:
    settings = load_settings()
    save_settings(
        settings.with_profile(settings.get_profile("local").model_copy(update={"read_only": True}))
    )
    payment = paid(server)
    path = batch_file(tmp_path, "payment_id,amount", f"{payment},1.00")
    assert "Would refund: USD 1.00 in 1 row." in cli.ok("batch", "refunds", str(path), "--dry-run")
    refused = cli("batch", "refunds", str(path), "--yes")
    assert refused.returncode == 2
    assert "Profile 'local' is read-only" in refused.stderr
    assert refunds_of(server, payment) == {payment: []}
