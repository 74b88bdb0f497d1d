"""Answers no real API gives, from a raw TCP server: each is a clear error, never a hang."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from console.api import (
    APIConnectionError,
    PaymentCreate,
    PaymentsClient,
    PaymentsError,
    ResponseFormatError,
)
from tests.client.rawserver import RawRequest, reply, response, serve

KEY = "sk_test_hostile0000"
NEW_PAYMENT = PaymentCreate(amount=Decimal("10.00"), currency="USD", source="tok_visa")


def client(url: str, **options: Any) -> PaymentsClient:
    settings: dict[str, Any] = {
        "timeout": 1.0,
        "connect_timeout": 1.0,
        "max_retries": 0,
        "retry_delay": 0.001,
    }
    return PaymentsClient(url, KEY, **(settings | options))


async def failure(url: str, **options: Any) -> PaymentsError:
    async with client(url, **options) as api:
        with pytest.raises(PaymentsError) as caught:
            await asyncio.wait_for(api.get_payment("pay_1"), timeout=10)
    return caught.value


def close_after(*chunks: bytes) -> Callable[[RawRequest, asyncio.StreamWriter], Any]:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        writer.close()

    return handler


async def test_garbage_instead_of_http_is_a_connection_error() -> None:
    async with serve(close_after(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff garbage\r\n\r\n")) as server:
        error = await failure(server.url)
    assert isinstance(error, APIConnectionError)
    assert error.may_have_reached_server


async def test_garbage_body_is_a_format_error() -> None:
    async with serve(reply(response(200, b"}{ not json \x00\xff"))) as server:
        error = await failure(server.url)
    assert isinstance(error, ResponseFormatError)
    assert error.http_status == 200
    assert "not valid JSON" in str(error)
    assert error.outcome_unknown  # a 2xx: the server did something we cannot read


async def test_absurdly_nested_json_is_a_format_error() -> None:
    async with serve(reply(response(200, "[" * 200_000 + "]" * 200_000))) as server:
        error = await failure(server.url)
    assert isinstance(error, ResponseFormatError)
    assert "not valid JSON" in str(error)


async def test_html_502_is_retried_then_a_format_error() -> None:
    page = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
    answer = response(502, page, content_type="text/html")
    async with serve(reply(answer)) as server:
        error = await failure(server.url, max_retries=2)
        assert len(server.requests) == 3
    assert isinstance(error, ResponseFormatError)
    assert error.http_status == 502
    assert "HTML page" in str(error)
    assert error.outcome_unknown


async def test_truncated_body_is_a_format_error() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    async with serve(close_after(head + b'{"id": "pay_1", "amo')) as server:
        error = await failure(server.url, max_retries=1)
        assert len(server.requests) == 2  # a cut-off answer is retried like a lost one
    assert isinstance(error, ResponseFormatError)
    assert "(HTTP 200) was cut off" in str(error)
    assert error.http_status == 200
    assert error.outcome_unknown


async def test_connection_closed_mid_headers_is_a_connection_error() -> None:
    async with serve(close_after(b"HTTP/1.1 200 OK\r\nContent-Ty")) as server:
        error = await failure(server.url)
    assert isinstance(error, APIConnectionError)
    assert error.may_have_reached_server


async def test_connection_closed_without_answer_is_a_connection_error() -> None:
    async with serve(close_after()) as server:
        error = await failure(server.url, max_retries=2)
        assert len(server.requests) == 3
    assert isinstance(error, APIConnectionError)
    assert error.may_have_reached_server


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_ten_megabyte_body_is_refused_without_reading_it(declared: bool) -> None:
    size = 10 * 1024 * 1024
    block = b"x" * 65536

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        framing = f"Content-Length: {size}" if declared else "Transfer-Encoding: chunked"
        writer.write(f"HTTP/1.1 200 OK\r\n{framing}\r\n\r\n".encode())
        for _ in range(size // len(block)):
            writer.write(block if declared else b"10000\r\n" + block + b"\r\n")
            await writer.drain()

    tracemalloc.start()
    try:
        async with serve(handler) as server:
            error = await failure(server.url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, ResponseFormatError)
    assert "larger than the 1 MiB limit" in str(error)
    assert peak < 4 * 1024 * 1024


async def test_answer_that_never_ends_hits_the_deadline() -> None:
    async def trickle(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:  # one byte every 50 ms: never silent long enough for a read timeout
            writer.write(b"1\r\n \r\n")
            await writer.drain()
            await asyncio.sleep(0.05)

    async with serve(trickle) as server:
        started = time.monotonic()
        error = await failure(server.url, timeout=0.5)
        elapsed = time.monotonic() - started
    assert isinstance(error, APIConnectionError)
    assert error.may_have_reached_server
    assert "0.5 s" in str(error)
    assert elapsed < 2


async def test_silence_after_headers_is_a_read_timeout() -> None:
    async def silent(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        await asyncio.sleep(30)

    async with serve(silent) as server:
        started = time.monotonic()
        error = await failure(server.url, timeout=0.3)
    assert isinstance(error, APIConnectionError)
    assert error.may_have_reached_server
    assert time.monotonic() - started < 2


async def test_no_answer_at_all_times_out_and_is_retried() -> None:
    async def mute(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with serve(mute) as server:
        error = await failure(server.url, timeout=0.2, max_retries=1)
        assert len(server.requests) == 2
    assert isinstance(error, APIConnectionError)
    assert error.may_have_reached_server


async def test_refused_connection_never_reached_the_server() -> None:
    async with serve(reply(b"")) as server:
        url = server.url
    error = await failure(url, max_retries=2)
    assert isinstance(error, APIConnectionError)
    assert not error.may_have_reached_server
    assert not error.outcome_unknown
    assert "Could not connect" in str(error)


async def test_tls_failure_is_not_retried() -> None:
    # A server speaking plain HTTP where TLS is expected: the handshake fails.
    accepted = 0

    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.write(response(400, "plain http"))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await failure(f"https://127.0.0.1:{port}", max_retries=3)
    finally:
        server.close()
    assert isinstance(error, APIConnectionError)
    assert not error.may_have_reached_server
    assert "secure connection" in str(error)
    assert accepted == 1


async def test_self_signed_certificate_is_refused(tmp_path: Any) -> None:
    ssl_server = pytest.importorskip("tests.client.selfsigned")
    async with ssl_server.serve_tls(tmp_path, response(200, "{}")) as port:
        error = await failure(f"https://127.0.0.1:{port}", max_retries=2)
    assert isinstance(error, APIConnectionError)
    assert "certificate" in str(error).lower()
    assert not error.may_have_reached_server


async def test_a_post_dropped_then_refused_says_it_may_have_been_processed() -> None:
    async def drop_and_quit(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.close()
        assert server.server is not None
        server.server.close()  # every later attempt is refused

    async with serve(drop_and_quit) as server, client(server.url, max_retries=3) as api:
        with pytest.raises(APIConnectionError) as caught:
            await api.create_payment(NEW_PAYMENT)
    assert len(server.requests) == 1
    assert caught.value.may_have_reached_server
    assert caught.value.outcome_unknown
    assert "same idempotency key" in str(caught.value)
