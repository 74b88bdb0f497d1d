"""Run the sandbox under uvicorn: in a background thread (`SandboxServer`) or in front."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from console.clock import Clock
from console.sandbox.app import create_app
from console.sandbox.faults import Faults
from console.sandbox.store import IdFactory, Store, random_id

START_TIMEOUT_SECONDS = 10.0
GRACEFUL_SHUTDOWN_SECONDS = 2
KEEP_ALIVE_SECONDS = 5
"""An idle keep-alive connection is closed after this long (uvicorn's timeout_keep_alive)."""
REQUEST_HEAD_TIMEOUT_SECONDS = 10.0
"""A request line and headers must arrive whole within this long of the connection (or of
their first byte on a kept-alive one); then 408 and the connection is closed."""
MAX_HEAD_BYTES = 16 * 1024
"""Request line plus headers beyond this are a 400 (h11_max_incomplete_event_size)."""


def _raw_error(status: int, reason: str, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 error answer with a JSON body, for errors before any request exists."""
    request_id = random_id("req")
    body = json.dumps(
        {"error": message, "code": code, "param": None, "request_id": request_id}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nrequest-id: {request_id}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class SandboxH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for a request's head (uvicorn 0.54 has none:
    a client that connects and sends nothing, or half a header, holds the connection for
    ever), and JSON bodies on the errors uvicorn answers itself."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Time the head while the next request's head is still to come (partly, or at
        all on a new connection); the keep-alive timeout covers an idle connection."""
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(
                    REQUEST_HEAD_TIMEOUT_SECONDS, self._head_timed_out
                )
        else:
            self._cancel_head_timer()

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        pending, _ = self.conn.trailing_data
        if pending:
            self.logger.info("A client sent only part of a request head; closed (408).")
            self.transport.write(
                _raw_error(
                    408,
                    "Request Timeout",
                    "request_timeout",
                    f"The request line and headers did not arrive within"
                    f" {REQUEST_HEAD_TIMEOUT_SECONDS:g} s",
                )
            )
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self.transport.write(
            _raw_error(
                400,
                "Bad Request",
                "request_invalid",
                f"{msg} It is not valid HTTP/1.1, or its request line and headers exceed"
                f" {MAX_HEAD_BYTES:,} bytes.",
            )
        )
        self.transport.close()


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
        http=SandboxH11Protocol,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one (see `sock.getsockname()`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, or asyncio leaves Nagle on for accepted connections (40 ms stalls).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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


class StopSignal:
    """A stop request another thread can make to the server's event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requested = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    async def wait(self) -> None:
        event = asyncio.Event()
        with self._lock:
            self._loop, self._event = asyncio.get_running_loop(), event
            if self._requested:
                event.set()
        await event.wait()

    def request(self) -> None:
        with self._lock:
            self._requested = True
            if self._loop is not None and self._event is not None:
                with contextlib.suppress(RuntimeError):  # the loop ended: it is stopped
                    self._loop.call_soon_threadsafe(self._event.set)


async def serve(server: uvicorn.Server, sock: socket.socket, stop: StopSignal) -> None:
    """uvicorn's serve() without its 0.1 s polling, so tests start and stop servers quickly."""
    config = server.config
    config.load()
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup(sockets=[sock])
        await stop.wait()
        for listener in server.servers:
            listener.close()
        for connection in list(server.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + GRACEFUL_SHUTDOWN_SECONDS
        while server.server_state.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        for listener in server.servers:
            await listener.wait_closed()
    finally:
        sock.close()


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
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = StopSignal()
        self._stopped = False

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:8123/v1"."""
        return base_url(self.host, self.port)

    def start(self) -> SandboxServer:
        if self._thread is not None or self._stopped:
            raise RuntimeError("a sandbox server starts once; make a new one on the same db")
        sock = bind(self.host, self._requested_port)
        self._port = int(sock.getsockname()[1])
        server = uvicorn.Server(uvicorn_config(self.app))
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(serve(server, sock, self._stop),),
            name=f"sandbox-{self._port}",
            daemon=True,
        )
        self._thread.start()
        thread = self._thread
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        """Stop serving (idempotent) and close the database."""
        self._stopped = True
        if self._thread is not None:
            self._stop.request()
            self._thread.join()
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
