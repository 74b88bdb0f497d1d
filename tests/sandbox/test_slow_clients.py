"""Slow, silent and vanishing clients over a real socket: uvicorn times them out, and a
client that goes away mid-request is one log line, never a traceback."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from console.sandbox import body as sandbox_body
from console.sandbox import server as sandbox_server
from console.sandbox.server import SandboxServer, uvicorn_config

SHORT = 0.3


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """A sandbox whose head, body and keep-alive timeouts are short."""
    monkeypatch.setattr(sandbox_server, "REQUEST_HEAD_TIMEOUT_SECONDS", SHORT)
    monkeypatch.setattr(sandbox_server, "KEEP_ALIVE_SECONDS", 1)
    monkeypatch.setattr(sandbox_body, "BODY_TIMEOUT_SECONDS", SHORT)
    with SandboxServer(tmp_path / "slow.db") as started:
        yield started


def _connect(server: SandboxServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=5)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (5 s at most)."""
    data = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the server did not close the connection: {data!r}")


def _read_answer(sock: socket.socket) -> bytes:
    """One whole answer (head and Content-Length bytes) on a connection that stays open."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _json_answer(raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def test_uvicorn_runs_with_explicit_limits() -> None:
    config = uvicorn_config(object())
    assert config.timeout_keep_alive == sandbox_server.KEEP_ALIVE_SECONDS == 5
    assert config.h11_max_incomplete_event_size == 16 * 1024
    assert config.http is sandbox_server.SandboxH11Protocol


def test_half_a_request_head_gets_408_and_the_connection_closes(server: SandboxServer) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        status, headers, error = _json_answer(_read_all(sock))
    assert time.monotonic() - started < 3
    assert status == 408
    assert headers["connection"] == "close"
    assert error["code"] == "request_timeout"
    assert error["request_id"] == headers["request-id"]
    assert "did not arrive within 0.3 s" in error["error"]


def test_a_connection_that_sends_nothing_is_closed(server: SandboxServer) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        assert _read_all(sock) == b""
    assert time.monotonic() - started < 3


def test_a_kept_alive_connection_is_closed_when_idle_and_a_late_head_is_timed(
    server: SandboxServer,
) -> None:
    request = (
        f"GET /v1/payments/pay_x HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {server.api_key}\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(request.encode())
        assert _read_answer(sock).startswith(b"HTTP/1.1 404 ")
        sock.sendall(b"GET /v1/pay")  # a second request's head, never finished
        status, _, error = _json_answer(_read_all(sock))
    assert (status, error["code"]) == (408, "request_timeout")
    with _connect(server) as sock:
        sock.sendall(request.encode())
        assert _read_answer(sock).startswith(b"HTTP/1.1 404 ")
        started = time.monotonic()
        assert _read_all(sock) == b""  # the keep-alive timeout
    assert 0.5 < time.monotonic() - started < 4


def test_a_body_that_stops_arriving_gets_408(server: SandboxServer) -> None:
    head = (
        "POST /v1/payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {server.api_key}\r\nContent-Length: 100\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(head.encode() + b'{"amount": ')
        status, headers, error = _json_answer(_read_all(sock))
    assert status == 408
    assert headers["connection"] == "close"
    assert error["code"] == "request_timeout"
    assert "11 of 100 bytes came" in error["error"]


def test_headers_over_16_kb_get_a_json_400(server: SandboxServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /v1/payments/pay_x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000)
        status, _, error = _json_answer(_read_all(sock))
    assert status == 400
    assert error["code"] == "request_invalid"
    assert "16,384 bytes" in error["error"]


def test_a_client_gone_mid_body_is_one_log_line_not_a_traceback(
    server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(caplog.handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        head = (
            "POST /v1/payments HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {server.api_key}\r\nContent-Length: 100\r\n\r\n"
        )
        with _connect(server) as sock:
            sock.sendall(head.encode() + b'{"amount": ')
            time.sleep(0.05)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not caplog.records:
            time.sleep(0.01)
        time.sleep(0.1)
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)
    records = [r for r in caplog.records if r.name.startswith("uvicorn")]
    assert len(records) == 1, [r.getMessage() for r in records]
    (record,) = records
    assert record.exc_info is None
    assert "disconnected before sending the whole body" in record.getMessage()
    assert server.app.state.store.path  # the sandbox still serves


async def test_in_process_a_body_that_stops_arriving_gets_408(
    sandbox_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_body, "BODY_TIMEOUT_SECONDS", SHORT)
    sent: list[dict[str, Any]] = []
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b'{"amount": ', "more_body": True}
        await anyio.sleep(60)
        raise AssertionError("not reached")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/payments",
        "raw_path": b"/v1/payments",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {sandbox_app.state.api_key}".encode()),
            (b"content-length", b"100"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    with anyio.fail_after(5):
        await sandbox_app(scope, receive, send)
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["code"] == "request_timeout"
