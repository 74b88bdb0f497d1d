"""Real processes for the chaos tests: a sandbox (uvicorn on 127.0.0.1, a SQLite file we
count rows in) and the real CLI, each in its own process, killed as real machines do."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from console.journal import Journal, JournalEntry

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Sandbox:
    """`python -m console sandbox` on a fixed port and database, restartable."""

    db: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    api_key: str = ""
    _readers: list[threading.Thread] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, *faults: str) -> Sandbox:
        """Start it and wait until it serves; its output is read from then on (it logs
        every request, and a pipe no one reads would stall it after a few thousand)."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "console", "sandbox", "--port", str(self.port),
             "--db", str(self.db), *faults],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("PAYMENTS_")},
        )  # fmt: skip
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("API key:"):
                self.api_key = line.split()[-1]
            if line.startswith("Press Ctrl-C"):
                self._readers = [_drain(self.process.stdout), _drain(self.process.stderr)]
                return self
        _, errors = self.process.communicate()
        raise AssertionError(f"the sandbox did not start: {errors}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for reader in self._readers:  # they end with the process's output
            reader.join(timeout=10)
        self._readers = []
        self.process = None

    def count(self, description: str | None = None) -> int:
        """Payments in the sandbox's database (with that description, if given)."""
        with sqlite3.connect(self.db) as db:
            if description is None:
                row = db.execute("SELECT count(*) FROM payments").fetchone()
            else:
                query = "SELECT count(*) FROM payments WHERE description = ?"
                row = db.execute(query, (description,)).fetchone()
        return int(row[0])


def _drain(stream: IO[str] | None) -> threading.Thread:
    """A thread reading `stream` to its end (the output is not looked at)."""
    assert stream is not None

    def read() -> None:
        for _ in stream:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@contextmanager
def running(sandbox: Sandbox, *faults: str) -> Iterator[Sandbox]:
    sandbox.start(*faults)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@dataclass
class Cli:
    """The real `payments-console` in a subprocess, on a profile of `sandbox`, with its
    own HOME and XDG dirs (so its own journal)."""

    home: Path
    sandbox: Sandbox

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "PYTHONPATH": str(ROOT),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PAYMENTS_API_KEY": self.sandbox.api_key,
            "LANG": "C.UTF-8",
            "TZ": "UTC",
        }

    def configure(self) -> None:
        config = self.home / "config" / "payments-console" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            f'default_profile = "chaos"\n\n[profiles.chaos]\nbase_url = "{self.sandbox.base_url}"\n'
            'mode = "sandbox"\ntimeout = 30\n'
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "console", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=self.env(), cwd=self.home,
        )  # fmt: skip

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        process = self.start(*args)
        out, err = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    @property
    def journal_path(self) -> Path:
        return self.home / "data" / "payments-console" / "journal.sqlite3"

    def entries(self) -> list[JournalEntry]:
        if not self.journal_path.exists():
            return []
        with Journal(self.journal_path) as journal:
            return journal.recent(1000)

    def wait_for_entry(self, status: str, timeout: float = 20) -> JournalEntry:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [entry for entry in self.entries() if entry.status == status]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no {status} journal entry within {timeout} s")
