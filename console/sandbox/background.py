"""The console's embedded sandbox, in its own process, started before anything slow.

`launch(db_path)` binds a loopback socket at once, so the sandbox's base URL is known
from the first moment and a client's first connections simply wait in the socket's
backlog; it mints an API key for this run (given to the child as the first line of its
stdin, never on its command line or in a file) and starts `python -m
console.sandbox.background` on the inherited socket. FastAPI, uvicorn and the store load
there, in parallel with the console's own start, instead of in a thread competing with
it for the interpreter.

The child serves until its stdin closes (the console exited, or died: then the sandbox
goes too) or it gets SIGTERM. It writes one line, "ready", once it accepts requests;
`BackgroundSandbox.wait_ready()` waits for it, or raises `SandboxFailed` with what the
child wrote on stderr (a damaged database, say).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 5.0
READY = "ready"


class SandboxFailed(RuntimeError):
    """The sandbox process ended, or did not start in time; the message says why."""


class BackgroundSandbox:
    """A started sandbox process: its base URL and this run's API key."""

    def __init__(self, process: subprocess.Popen[str], sock: socket.socket, api_key: str) -> None:
        self.process = process
        self.api_key = api_key
        host, port = sock.getsockname()[:2]
        self.base_url = f"http://{host}:{port}/v1"
        self._sock: socket.socket | None = sock
        self._ready = threading.Event()
        self._failure: str | None = None
        threading.Thread(target=self._watch, name="sandbox-watch", daemon=True).start()

    def _watch(self) -> None:
        """Wait for "ready" (then the console's copy of the socket is no longer needed) or
        for the process to end (then closing it turns waiting connections away)."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != READY:
            self.process.wait()
            assert self.process.stderr is not None
            why = self.process.stderr.read().strip().splitlines()
            self._failure = why[-1] if why else f"it exited with code {self.process.returncode}"
        self._close_socket()
        self._ready.set()

    def _close_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def wait_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Block until the sandbox accepts requests; `SandboxFailed` if it cannot."""
        if not self._ready.wait(timeout):
            raise SandboxFailed(f"The local sandbox did not start within {timeout:g} s")
        if self._failure is not None:
            raise SandboxFailed(f"The local sandbox could not start: {self._failure}")

    def stop(self) -> None:
        """Stop the process (idempotent): stdin closed, then SIGTERM, then SIGKILL."""
        process = self.process
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        for stop in (process.terminate, process.kill):  # if closing stdin was not enough
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                stop()
        process.wait()
        self._close_socket()


def launch(db_path: Path) -> BackgroundSandbox:
    """Bind the socket and start the sandbox process on `db_path` (returns at once)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    api_key = f"sk_test_{secrets.token_hex(16)}"
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "console.sandbox.background", str(sock.fileno()), str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=(sock.fileno(),),
        start_new_session=True,  # the terminal's Ctrl-C goes to the console, which stops it
    )
    assert process.stdin is not None
    process.stdin.write(f"{api_key}\n")
    process.stdin.flush()
    return BackgroundSandbox(process, sock, api_key)


def _serve_inherited(fd: int, db_path: str) -> None:
    """The child: serve on socket `fd` until stdin closes or SIGTERM."""
    from console.paths import sqlite_file_problem

    problem = sqlite_file_problem(Path(db_path))
    if problem is not None:  # a file that is not a database is left exactly as it is
        sys.exit(f"Cannot open the sandbox database at {db_path}: {problem}")

    import asyncio

    import uvicorn

    from console.sandbox.app import API_KEY_ENV, create_app
    from console.sandbox.server import StopSignal, serve, uvicorn_config

    os.environ[API_KEY_ENV] = sys.stdin.readline().strip()  # read by create_app
    sock = socket.socket(fileno=fd)
    app = create_app(db_path)
    server = uvicorn.Server(uvicorn_config(app))
    stop = StopSignal()

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()
        stop.request()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: stop.request())

    async def run() -> None:
        serving = asyncio.create_task(serve(server, sock, stop))
        while not server.started and not serving.done():
            await asyncio.sleep(0.002)
        if server.started:
            print(READY, flush=True)
        await serving

    try:
        asyncio.run(run())
    finally:
        app.state.store.close()


if __name__ == "__main__":
    _serve_inherited(int(sys.argv[1]), sys.argv[2])
