"""`payments-console sandbox`: banner, defaults, loopback guard, options, Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from console.cli import build_parser
from console.hosts import is_loopback
from console.sandbox import command
from console.sandbox.faults import Faults
from tests.sandbox.process import start_sandbox


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(argv)


def test_serves_from_the_user_data_dir_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "PAYMENTS_SANDBOX_LATENCY_MS": "5"}
    sandbox = start_sandbox(env=env)
    db = tmp_path / "data" / "payments-console" / "sandbox.db"
    try:
        assert sandbox.base_url.startswith("http://127.0.0.1:")
        assert sandbox.base_url.endswith("/v1")
        assert sandbox.api_key.startswith("sk_test_")
        assert f"Database: {db}" in sandbox.banner
        assert "Faults: latency 5 ms" in sandbox.banner
        answer = httpx.get(
            f"{sandbox.base_url}/payments/pay_x",
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
        )
        assert answer.status_code == 404
    finally:
        sandbox.process.send_signal(signal.SIGINT)
        out, errors = sandbox.process.communicate(timeout=10)
    assert sandbox.process.returncode == 0, errors
    assert out.strip().endswith("Sandbox stopped.")
    assert "Traceback" not in errors
    assert db.exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.com", "::"])
def test_a_host_that_is_not_loopback_needs_public(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert command.run(_args("--host", host, "--db", ":memory:")) == 2
    assert "--public" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("LOCALHOST", True), ("0.0.0.0", False), ("10.0.0.1", False),
     ("sandbox.local", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_port_in_use_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert command.run(_args("--port", str(port), "--db", ":memory:")) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_a_bad_fault_variable_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAYMENTS_SANDBOX_DROP_AFTER_COMMIT", "sometimes")
    assert command.run(_args("--db", ":memory:")) == 2
    assert "PAYMENTS_SANDBOX_DROP_AFTER_COMMIT" in capsys.readouterr().err


def test_options_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_SANDBOX_LATENCY_MS", "100")
    monkeypatch.setenv("PAYMENTS_SANDBOX_FAIL_RATE", "0.2")
    args = _args("--latency", "0", "--rate-limit", "5", "--drop-after-commit", "0.1")
    assert command._faults(args) == Faults(
        latency_ms=0, fail_rate=0.2, rate_limit=5, drop_after_commit=0.1
    )
    assert command._describe(command._faults(args)) == (
        "fail rate 0.2, rate limit 5/s per key, drop after commit 0.1"
    )


@pytest.mark.parametrize(
    "argv",
    [["--fail-rate", "2"], ["--drop-after-commit", "x"], ["--rate-limit", "0"],
     ["--latency", "-5"], ["--port", "-1"], ["--port", "65536"], ["--port", "99999"]],
)  # fmt: skip
def test_impossible_options_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        _args(*argv)


def test_the_cli_delegates_to_this_command() -> None:
    args = build_parser().parse_args(["sandbox", "--port", "0", "--db", ":memory:"])
    assert args.handler is command.run
    assert (args.port, args.db, args.public) == (0, ":memory:", False)


@pytest.mark.parametrize("module", ["console.sandbox", "console.sandbox.command"])
def test_the_command_line_does_not_pay_for_fastapi(module: str) -> None:
    """Building the CLI imports these; FastAPI and uvicorn wait until a sandbox runs."""
    code = (
        f"import sys, {module}; "
        "sys.exit(sorted({'fastapi', 'uvicorn', 'sqlite3'} & set(sys.modules)) or 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_second_ctrl_c_stops_at_once_in_one_line() -> None:
    """A request still being answered (5 s of latency) is cut off: one line says so, no
    traceback, and the exit code is 130 (a first Ctrl-C alone would wait for it)."""
    sandbox = start_sandbox(env={"PAYMENTS_SANDBOX_LATENCY_MS": "5000"})
    url = f"{sandbox.base_url}/payments/pay_x"
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    answers: list[int] = []
    request = threading.Thread(
        target=lambda: answers.append(httpx.get(url, headers=headers, timeout=10).status_code)
    )
    request.start()
    time.sleep(0.5)  # the request is in, waiting for its latency
    sandbox.process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    sandbox.process.send_signal(signal.SIGINT)
    out, errors = sandbox.process.communicate(timeout=10)
    request.join(timeout=10)
    assert sandbox.process.returncode == command.INTERRUPTED, errors
    assert "Traceback" not in errors
    assert "A request still being answered was cut off by the stop." in errors
    assert out.strip().endswith("Sandbox stopped at once (second Ctrl-C).")
    assert answers == [500]
