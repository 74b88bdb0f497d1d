"""Run `python -m console sandbox` as a child process and learn its URL and key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_URL = re.compile(r"listening on (http://\S+)")
_KEY = re.compile(r"API key: (\S+)")


@dataclass
class SandboxProcess:
    process: subprocess.Popen[str]
    base_url: str
    api_key: str
    banner: list[str]


def start_sandbox(*args: str, env: dict[str, str] | None = None) -> SandboxProcess:
    """Start the command with `args` and read its banner up to "Press Ctrl-C"."""
    process = subprocess.Popen(
        [sys.executable, "-m", "console", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).parents[2],
    )
    assert process.stdout is not None
    banner: list[str] = []
    for line in process.stdout:
        banner.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            break
    text = "\n".join(banner)
    url, key = _URL.search(text), _KEY.search(text)
    if url is None or key is None:
        process.kill()
        _, errors = process.communicate()
        raise AssertionError(f"the sandbox did not start:\n{text}\n{errors}")
    return SandboxProcess(process, url.group(1), key.group(1), banner)
