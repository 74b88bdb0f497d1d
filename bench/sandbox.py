"""Sandbox throughput: create-payment and get-payment requests per second over loopback.

Each figure sits next to a trivial FastAPI endpoint served by the same uvicorn settings
(`console.sandbox.server.uvicorn_config`) in the same run. Servers run in child
processes; the load comes from a lean keep-alive HTTP/1.1 client on asyncio streams with
CONCURRENCY connections, so the servers, not the client, set the pace. The three loads
take turns in short rounds and each ratio is the median of per-round ratios, so a
machine that gets busier or quieter during the run does not skew the comparison.

    .venv/bin/python -m bench.sandbox
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench.common import at_least, print_table

CONCURRENCY = 16
WARMUP_SECONDS = 0.5
ROUNDS = 8
ROUND_SECONDS = 0.6
TARGETS = {"create": 0.5, "get": 0.7}

_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


# --- the servers (child processes) ---------------------------------------------------------


def _trivial_app() -> object:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    return app


def _serve(kind: str, db: str) -> None:
    """Child process: bind a free loopback port, print it, serve until killed."""
    import uvicorn

    from console.sandbox.server import bind, uvicorn_config

    if kind == "sandbox":
        from console.sandbox.app import create_app

        app = create_app(db)
        print(f"PORT {bind_port(sock := bind('127.0.0.1', 0))} KEY {app.state.api_key}")
    else:
        app = _trivial_app()
        print(f"PORT {bind_port(sock := bind('127.0.0.1', 0))} KEY -")
    sys.stdout.flush()
    uvicorn.Server(uvicorn_config(app)).run(sockets=[sock])


def bind_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    api_key: str


@contextmanager
def server(kind: str, db: Path) -> Iterator[Server]:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.sandbox", "--serve", kind, "--db", str(db)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        _, port, _, key = child.stdout.readline().split()
        yield Server(int(port), key)
    finally:
        child.terminate()
        child.wait(timeout=10)


# --- the load --------------------------------------------------------------------------------


def _request(method: str, path: str, api_key: str, body: bytes = b"") -> bytes:
    head = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {api_key}",
        f"Content-Length: {len(body)}",
    ]
    if body:
        head.append("Content-Type: application/json")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _connection(
    port: int, requests: list[bytes], expect: bytes, until: float, counts: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    done = 0
    try:
        while time.perf_counter() < until:
            writer.write(requests[done % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(expect):
                raise RuntimeError(f"unexpected answer: {head[:60]!r}")
            length = _LENGTH.search(head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            done += 1
    finally:
        writer.close()
        counts.append(done)


async def _rate(port: int, requests: list[bytes], expect: bytes, seconds: float) -> float:
    """Completed requests per second over `seconds`, CONCURRENCY connections."""
    counts: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(_connection(port, requests, expect, until, counts) for _ in range(CONCURRENCY))
    )
    return sum(counts) / (time.perf_counter() - started)


def rates(loads: dict[str, tuple[int, list[bytes], bytes]]) -> dict[str, list[float]]:
    """Requests per second of each load (port, requests, expected status), per round."""
    for port, requests, expect in loads.values():
        asyncio.run(_rate(port, requests, expect, WARMUP_SECONDS))
    results: dict[str, list[float]] = {name: [] for name in loads}
    for _ in range(ROUNDS):
        for name, (port, requests, expect) in loads.items():
            results[name].append(asyncio.run(_rate(port, requests, expect, ROUND_SECONDS)))
    return results


def _payment_ids(port: int, api_key: str, count: int) -> list[str]:
    import httpx

    url = f"http://127.0.0.1:{port}/v1/payments"
    headers = {"Authorization": f"Bearer {api_key}"}
    payload = b'{"amount": 12.50, "currency": "USD", "source": "tok_visa"}'
    with httpx.Client(headers=headers) as client:
        return [client.post(url, content=payload).json()["id"] for _ in range(count)]


# --- the report ------------------------------------------------------------------------------


def main() -> int:
    payload = b'{"amount": 12.50, "currency": "USD", "source": "tok_visa", "description": "bench"}'
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        with server("baseline", db) as trivial, server("sandbox", db) as sandbox:
            ids = _payment_ids(sandbox.port, sandbox.api_key, 200)
            key = sandbox.api_key
            results = rates(
                {
                    "baseline": (trivial.port, [_request("GET", "/ping", "-")], b"HTTP/1.1 200"),
                    "create": (
                        sandbox.port,
                        [_request("POST", "/v1/payments", key, payload)],
                        b"HTTP/1.1 201",
                    ),
                    "get": (
                        sandbox.port,
                        [_request("GET", f"/v1/payments/{pid}", key) for pid in ids],
                        b"HTTP/1.1 200",
                    ),
                }
            )
    baseline = results["baseline"]
    print(
        f"Loopback, {CONCURRENCY} keep-alive connections, {ROUNDS} interleaved rounds of"
        f' {ROUND_SECONDS:g} s; baseline: a trivial FastAPI GET returning {{"ok": true}}'
        " under the same uvicorn settings. Medians over the rounds.\n"
    )
    rows = []
    for name, label in (
        ("create", "create payment (POST /v1/payments), req/s"),
        ("get", "get payment (GET /v1/payments/{id}), req/s"),
    ):
        ours = results[name]
        ratio = median(mine / base for mine, base in zip(ours, baseline, strict=True))
        rows.append(
            (
                label,
                f"{median(ours):,.0f}",
                f"{median(baseline):,.0f}",
                ratio,
                at_least(ratio, TARGETS[name]),
            )
        )
    print_table(rows)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", choices=["sandbox", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--db", default=":memory:", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        _serve(options.serve, options.db)
    else:
        raise SystemExit(main())
