"""Run the sandbox under uvicorn: in a background thread (`SandboxServer`) or in front."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from console.sandbox.app import create_app
from console.sandbox.faults import Faults
from console.sandbox.store import Clock, IdFactory, Store

START_TIMEOUT_SECONDS = 10.0


def uvicorn_config(
    app: Any, *, log_level: str = "warning", access_log: bool = False
) -> uvicorn.Config:
    """The uvicorn settings the sandbox runs with (the benchmark's baseline uses them too)."""
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=access_log,
        lifespan="off",
        loop="asyncio",
        http="h11",
        timeout_graceful_shutdown=2,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one (see `sock.getsockname()`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"


class SandboxServer:
    """The sandbox on a real socket, served by uvicorn in a background thread.

    `start()` returns once it accepts connections; `stop()` shuts it down and closes
    the database. Also a context manager.
    """

    def __init__(
        self,
        db_path: str | Path = ":memory:",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        clock: Clock | None = None,
        id_factory: IdFactory | None = None,
    ) -> None:
        self.db_path = db_path
        self.host = host
        self.app = create_app(db_path, faults=faults, clock=clock, id_factory=id_factory)
        self.api_key: str = self.app.state.api_key
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the sandbox server is not started")
        return int(self._socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:8123/v1"."""
        return base_url(self.host, self.port)

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("the sandbox server is already started")
        self._socket = bind(self.host, self._requested_port)
        server = uvicorn.Server(uvicorn_config(self.app))
        sockets = [self._socket]
        thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=sockets)),
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving (idempotent) and close the database."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=START_TIMEOUT_SECONDS)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join()
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = None
        store: Store = self.app.state.store
        store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
