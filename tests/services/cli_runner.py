"""Runs the real command line in a subprocess with a test's HOME, XDG dirs and keyring.

Subprocesses use a test keyring backend (tests/services/file_keyring.py) whose file lies
outside the config and data dirs, so a leak scan covers everything the console wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Runner:
    """Runs `python -m console ...` with the test's dirs; remembers every output."""

    home: Path
    keyring_file: Path
    outputs: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    """More variables for every run (e.g. the terminal size)."""

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"],
            "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
            "PYTHONPATH": str(ROOT),
            "PYTHON_KEYRING_BACKEND": "tests.services.file_keyring.FileKeyring",
            "CONSOLE_TEST_KEYRING_FILE": str(self.keyring_file),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
        }
        return {**env, **self.extra_env, **extra}

    def __call__(
        self, *args: str, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "console", *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env=self.env(**env),
            cwd=self.home,
            timeout=60,
        )
        self.outputs += [result.stdout, result.stderr]
        return result

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        return result.stdout
