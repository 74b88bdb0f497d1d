"""Cold start: `payments-console --sandbox` until a merchant can use it, next to a bare
Textual app.

Each run is a new process on a pseudo-terminal of 100x30 with fresh config and data dirs.
The baseline's clock stops when its first frame reaches the terminal (the Input's
placeholder: a Header, an Input and a Footer). Ours, in the same alternating runs:
- first frame: "Payments Console" in our header;
- usable: the SANDBOX badge is shown, `n` is pressed at that moment, and the new-payment
  form is drawn (target <= 1.3x: nothing the merchant does first waits for the API);
- sandbox answering: an HTTP request to the sandbox's socket, sent the moment the console
  opens it, is answered (target <= 2.5x). The sandbox starts in its own process in
  parallel (`console.sandbox.background`).
Medians are compared. `.venv/bin/python -m bench.startup`
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import socket
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from bench.common import at_most, print_table

RUNS = 7
PRESS_EVERY = 0.01
USABLE_TARGET = 1.3
ANSWERING_TARGET = 2.5
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
BADGE = b"SANDBOX"
FORM = b"Description (optional)"


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


def _listening_port(pid: int) -> int | None:
    """The loopback TCP port process `pid` listens on, if any (from /proc)."""
    try:
        inodes = {
            os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1]
            for fd in os.listdir(f"/proc/{pid}/fd")
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")
        }
        table = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:  # the process or one of its files went meanwhile
        return None
    for line in table:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            return int(fields[1].rsplit(":", 1)[1], 16)
    return None


def _answered(pid: int, started: float, deadline: float) -> float:
    """Seconds from `started` until the sandbox behind `pid`'s socket answered HTTP."""
    port = None
    while port is None:
        if time.perf_counter() > deadline:
            raise TimeoutError("the console opened no sandbox socket")
        port = _listening_port(pid)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(b"GET /v1/payments/pay_bench HTTP/1.1\r\nHost: bench\r\n\r\n")
        if not connection.recv(16).startswith(b"HTTP/1.1 "):
            raise RuntimeError("the sandbox answered something else than HTTP")
    return time.perf_counter() - started


def _run(
    argv: list[str],
    markers: list[bytes],
    *,
    press: bytes = b"",
    alongside: threading.Thread | None = None,
) -> list[float]:
    """Seconds from spawning `argv` on a new pty until each marker has been written.

    With `press`: from the moment the second marker appears, the key is pressed, and
    pressed again every `PRESS_EVERY` seconds until the next marker shows (the first
    press that works is the moment the console was usable)."""
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
                pressing = press and len(seen) == 2
                wait = min(left, PRESS_EVERY) if pressing else left
                if left <= 0:
                    raise TimeoutError(f"{argv[0]} showed no {markers[len(seen)]!r}")
                if not select.select([fd], [], [], wait)[0]:
                    if pressing:
                        os.write(fd, press)
                    continue
                try:
                    output += os.read(fd, 1 << 16)
                except OSError:  # the program ended
                    raise RuntimeError(f"{argv[0]} exited early:\n{output[-2000:]!r}") from None
                while len(seen) < len(markers) and markers[len(seen)] in output:
                    seen.append(time.perf_counter() - started)
                    if len(seen) == 2 and press:
                        os.write(fd, press)
                        output = b""  # what follows the key press
        finally:
            if alongside is not None:  # what measures the program while it runs
                alongside.join(TIMEOUT)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)
        return seen


def _ours(argv: list[str]) -> tuple[float, float, float]:
    """(first frame, usable, sandbox answering) of one run; the sandbox is probed from a
    thread while the terminal is read."""
    answered: list[float] = []
    started = time.perf_counter()

    def probe() -> None:
        console = _newest_child()
        answered.append(_answered(console, started, started + TIMEOUT))

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    frame, _, usable = _run(argv, [FIRST_FRAME, BADGE, FORM], press=b"n", alongside=prober)
    if not answered:
        raise TimeoutError("the sandbox never answered")
    return frame, usable, answered[0]


def _newest_child() -> int:
    """The pid of this process's newest child (the console just forked on its pty)."""
    deadline = time.perf_counter() + TIMEOUT
    while time.perf_counter() < deadline:
        children = Path(f"/proc/self/task/{threading.main_thread().native_id}/children")
        pids = children.read_text().split()
        if pids:
            return int(pids[-1])
    raise TimeoutError("no console process")


def measure(runs: int = RUNS) -> dict[str, float]:
    console = str(Path(sys.executable).with_name("payments-console"))
    ours_argv = [console, "--sandbox"]
    baseline_argv = [sys.executable, "-c", BASELINE]
    _ours(ours_argv)  # warm the file cache and bytecode once
    _run(baseline_argv, [BASELINE_FRAME])
    first, usable, answering, baseline = [], [], [], []
    for number in range(runs):
        order = [True, False] if number % 2 else [False, True]
        for ours in order:
            if ours:
                frame, ready, answered = _ours(ours_argv)
                first.append(frame)
                usable.append(ready)
                answering.append(answered)
            else:
                baseline.append(_run(baseline_argv, [BASELINE_FRAME])[0])
    return {
        "first_frame": statistics.median(first),
        "usable": statistics.median(usable),
        "answering": statistics.median(answering),
        "baseline": statistics.median(baseline),
    }


def main() -> None:
    result = measure()
    base = result["baseline"]
    rows = [
        (
            "cold start to first frame (`payments-console --sandbox`)",
            result["first_frame"],
            "informational",
        ),
        (
            "cold start until usable: badge shown, `n` opens the form (same runs)",
            result["usable"],
            at_most(result["usable"] / base, USABLE_TARGET),
        ),
        (
            "cold start until the sandbox answers (same runs)",
            result["answering"],
            at_most(result["answering"] / base, ANSWERING_TARGET),
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
