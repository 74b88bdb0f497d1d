"""The console's sandbox process: usable before it is up, gone when the console is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from console.sandbox.background import SandboxFailed, launch


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return status != "Z"


def test_a_request_sent_before_it_is_up_waits_and_is_answered(tmp_path: Path) -> None:
    sandbox = launch(tmp_path / "sandbox.db")
    try:
        # Sent at once: the connection waits in the socket's backlog until the child serves.
        answer = httpx.get(
            f"{sandbox.base_url}/payments/pay_missing",
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
            timeout=30,
        )
        assert answer.status_code == 404 and answer.json()["code"] == "resource_missing"
        sandbox.wait_ready()
        pid = sandbox.process.pid
        # The run's key is on no command line and in no environment.
        assert sandbox.api_key.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        assert sandbox.api_key.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        sandbox.stop()
    assert sandbox.process.returncode == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sandbox.base_url}/payments/pay_missing", timeout=5)


def test_a_damaged_database_is_said_and_left_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    db.write_bytes(b"not a database, and no one may change it")
    sandbox = launch(db)
    try:
        with pytest.raises(SandboxFailed, match="Cannot open the sandbox database at") as caught:
            sandbox.wait_ready()
        assert "Traceback" not in str(caught.value)
        # Connections are turned away at once, not left waiting for a timeout.
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{sandbox.base_url}/payments/pay_1", timeout=5)
    finally:
        sandbox.stop()
    assert db.read_bytes() == b"not a database, and no one may change it"


CONSOLE = """
import sys, time
from pathlib import Path
from console.sandbox.background import launch
sandbox = launch(Path(sys.argv[1]))
sandbox.wait_ready()
print(sandbox.process.pid, flush=True)
time.sleep(60)
"""


def test_the_sandbox_goes_when_the_console_is_killed(tmp_path: Path) -> None:
    console = subprocess.Popen(
        [sys.executable, "-c", CONSOLE, str(tmp_path / "sandbox.db")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert console.stdout is not None
    child = int(console.stdout.readline())
    assert _alive(child)
    console.send_signal(signal.SIGKILL)
    console.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the sandbox outlived the console"
