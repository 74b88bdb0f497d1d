"""Cold start: `payments-console --sandbox` to its first frame, next to a bare Textual app.

Each run is a new process on a pseudo-terminal of 100x30 with fresh config and data dirs;
the clock stops when the frame's text reaches the terminal ("Payments Console" in our
header, the Input's placeholder in the baseline: a Header, an Input and a Footer). Runs
alternate between the two; medians are compared. Target: at most 1.3x.

The settings, the journal and then the embedded sandbox (FastAPI, uvicorn, its SQLite
store) are loaded in workers after the first frame, so the first row does not include
them; the second row measures, in the same runs, when the sandbox has answered and the
header names its profile.
`.venv/bin/python -m bench.startup`
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

from bench.common import at_most, print_table

RUNS = 7
TARGET = 1.3
SIZE = (30, 100)  # rows, columns
TIMEOUT = 60.0

BASELINE = """
from textual.app import App
from textual.widgets import Footer, Header, Input

class Bare(App):
    def compose(self):
        yield Header()
        yield Input(placeholder="baseline ready")
        yield Footer()

Bare().run()
"""
BASELINE_FRAME = b"seline ready"  # the first letter sits under the cursor
FIRST_FRAME = b"Payments Console"
CONNECTED = b"profile sandbox"


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYMENTS_", "TEXTUAL"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        TERM="xterm-256color",
    )
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


def _run(argv: list[str], markers: list[bytes]) -> list[float]:
    """Seconds from spawning `argv` on a new pty until each marker has been written."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as home:
        env = _environment(Path(home))
        started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: size its terminal, then become the program
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", *SIZE, 0, 0))
            os.execve(argv[0], argv, env)  # noqa: S606 - our own fixed argv, no shell
        seen: list[float] = []
        output = b""
        try:
            while len(seen) < len(markers):
                left = TIMEOUT - (time.perf_counter() - started)
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise TimeoutError(f"{argv[0]} showed no {markers[len(seen)]!r}")
                try:
                    output += os.read(fd, 1 << 16)
                except OSError:  # the program ended
                    raise RuntimeError(f"{argv[0]} exited early:\n{output[-2000:]!r}") from None
                while len(seen) < len(markers) and markers[len(seen)] in output:
                    seen.append(time.perf_counter() - started)
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)
        return seen


def measure(runs: int = RUNS) -> dict[str, float]:
    console = str(Path(sys.executable).with_name("payments-console"))
    ours_argv = [console, "--sandbox"]
    baseline_argv = [sys.executable, "-c", BASELINE]
    _run(ours_argv, [FIRST_FRAME, CONNECTED])  # warm the file cache and bytecode once
    _run(baseline_argv, [BASELINE_FRAME])
    first, connected, baseline = [], [], []
    for number in range(runs):
        order = [True, False] if number % 2 else [False, True]
        for ours in order:
            if ours:
                frame, ready = _run(ours_argv, [FIRST_FRAME, CONNECTED])
                first.append(frame)
                connected.append(ready)
            else:
                baseline.append(_run(baseline_argv, [BASELINE_FRAME])[0])
    return {
        "first_frame": statistics.median(first),
        "connected": statistics.median(connected),
        "baseline": statistics.median(baseline),
    }


def main() -> None:
    result = measure()
    base = result["baseline"]
    rows = [
        (
            "cold start to first frame (`payments-console --sandbox`)",
            result["first_frame"],
            at_most(result["first_frame"] / base, TARGET),
        ),
        (
            "cold start until the sandbox answered (same runs)",
            result["connected"],
            "informational",
        ),
    ]
    print_table(
        (name, f"{ours * 1000:.0f} ms", f"{base * 1000:.0f} ms", ours / base, target)
        for name, ours, target in rows
    )
    print(
        f"\nBaseline: a bare Textual app with Header, Input and Footer; median of {RUNS} "
        "alternating runs each, on a 100x30 pseudo-terminal."
    )


if __name__ == "__main__":
    main()
