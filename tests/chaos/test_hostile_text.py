"""Hostile text from the network (a payment's description, an API error message) through
the real CLI's `pay`, `get` and `--json`, and the journal's CSV export: no control byte
reaches the output, and what is readable stays readable."""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from console.journal import Journal
from tests.chaos.harness import Cli, Sandbox, running

HOSTILE = {
    "osc52": "Order \x1b]52;c;aGFja2Vk\x07 done",
    "csi": "Order \x1b[2J\x1b[H done",
    "c1": "Order \x9b31m\x9d0;title\x9c done",
    "cr": "Order \rREFUNDED IN FULL done",
    "bidi": "Order \u202edone",
}
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_clean(text: str) -> None:
    assert not CONTROL.search(text), repr(text)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_descriptions_through_pay_get_and_json(
    sandbox: Sandbox, cli: Cli, name: str
) -> None:
    description = HOSTILE[name]
    with running(sandbox):
        cli.configure()
        paid = cli.run("pay", "--amount", "5.00", "--source", "tok_visa",
                       "--description", description)  # fmt: skip
        assert paid.returncode == 0, paid.stderr
        assert_clean(paid.stdout + paid.stderr)
        [payment_id] = re.findall(r"pay_\w+", paid.stdout)
        shown = cli.run("get", payment_id)
        assert shown.returncode == 0, shown.stderr
        assert_clean(shown.stdout)
        assert "Order" in shown.stdout and "done" in shown.stdout
        as_json = cli.run("get", payment_id, "--json")
    assert_clean(as_json.stdout)  # every control character is a \\uXXXX escape...
    assert json.loads(as_json.stdout)["description"] == description  # ...data unchanged


class _HostileErrors(BaseHTTPRequestHandler):
    """An API whose every answer is a 400 with a hostile message."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps({"error": HOSTILE["osc52"] + HOSTILE["c1"]}).encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def hostile_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileErrors)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_hostile_error_messages_through_the_cli(
    cli: Cli, sandbox: Sandbox, hostile_api: str
) -> None:
    sandbox.port = int(hostile_api.rsplit(":", 1)[1].split("/")[0])
    sandbox.api_key = "sk_test_" + "h" * 24
    cli.configure()
    for args in (["get", "pay_1"], ["pay", "--amount", "1", "--source", "tok_visa"]):
        for extra in ([], ["--json"]):
            result = cli.run(*args, *extra)
            assert result.returncode == 1, result.stderr
            assert_clean(result.stdout + result.stderr)
            assert "Order" in result.stdout + result.stderr


def test_the_csv_export_has_no_control_characters(tmp_path: Path) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with Journal(tmp_path / "journal.sqlite3") as journal:
        for name, text in HOSTILE.items():
            entry = journal.record_pending(
                kind="payment",
                profile="shop",
                idempotency_key=f"key-{name}",
                request={"source": "tok_visa", "description": text},
                now=now,
            )
            journal.record_result(entry, status="failed", now=now, error=text)
        assert journal.export_csv("", tmp_path / "export.csv") == len(HOSTILE)
    exported = (tmp_path / "export.csv").read_text(encoding="utf-8")
    assert_clean(exported.replace("\r\n", ""))
    with (tmp_path / "export.csv").open(newline="", encoding="utf-8") as file:
        errors = [row["error"] for row in csv.DictReader(file)]
    assert all("Order" in error for error in errors)


def test_key_shaped_text_in_a_data_field_is_refused_before_anything(
    sandbox: Sandbox, cli: Cli
) -> None:
    pasted = "sk_live_" + "Zx9" * 8
    with running(sandbox):
        cli.configure()
        for args in (
            ["pay", "--amount", "1", "--source", pasted],
            ["pay", "--amount", "1", "--source", "tok_visa", "--description", f"key {pasted}"],
            ["refund", pasted],
            ["get", pasted],
        ):
            result = cli.run(*args)
            assert result.returncode == 2, (args, result.stderr)
            assert "looks like an API key" in result.stderr
            assert pasted not in result.stdout + result.stderr
        assert sandbox.count() == 0
    assert cli.entries() == []
