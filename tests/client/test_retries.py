"""Which answers are retried, how long the client waits, and the idempotency key it sends."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest

from console.api import (
    APIConnectionError,
    APIError,
    IdempotencyError,
    PaymentCreate,
    PaymentsClient,
    PaymentsError,
    RateLimitError,
    RefundCreate,
)
from console.api.client import MAX_RETRY_AFTER, backoff_delay, parse_retry_after
from tests.client.rawserver import PAYMENT, RawRequest, reply, response, serve

KEY = "sk_test_retries0000"
NEW_PAYMENT = PaymentCreate(amount=Decimal("10.00"), currency="USD", source="tok_visa")
CREATED = response(201, PAYMENT)
FAILED = response(500, {"error": "Internal error", "code": "api_error"})


class Sleeps:
    """Records the delays the client asks for, without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def client(url: str, **options: Any) -> PaymentsClient:
    return PaymentsClient(url, KEY, **({"timeout": 2.0, "sleep": Sleeps()} | options))


async def test_post_is_retried_with_the_same_generated_idempotency_key() -> None:
    async with serve(reply(FAILED, FAILED, CREATED)) as server, client(server.url) as api:
        payment = await api.create_payment(NEW_PAYMENT)
    assert payment.id == "pay_1"
    keys = {request.headers["idempotency-key"] for request in server.requests}
    assert len(server.requests) == 3 and len(keys) == 1
    assert uuid.UUID(keys.pop()).version == 4


async def test_each_logical_post_gets_a_new_key() -> None:
    async with serve(reply(CREATED)) as server, client(server.url) as api:
        await api.create_payment(NEW_PAYMENT)
        await api.create_payment(NEW_PAYMENT)
    first, second = (request.headers["idempotency-key"] for request in server.requests)
    assert first != second


async def test_given_idempotency_key_is_sent_on_every_retry() -> None:
    refund = response(
        201,
        '{"id": "refund_1", "payment_id": "pay_1", "amount": 5.00, "status": "succeeded",'
        ' "created_at": "2024-06-10T13:00:00Z"}',
    )
    conflict = response(409, {"error": "in use", "code": "idempotency_key_in_use"})
    async with serve(reply(conflict, FAILED, refund)) as server, client(server.url) as api:
        result = await api.create_refund(
            RefundCreate(payment_id="pay_1", amount=Decimal("5.00")), idempotency_key="order-77"
        )
    assert result.amount == Decimal("5.00")
    assert [request.headers["idempotency-key"] for request in server.requests] == ["order-77"] * 3
    assert server.requests[0].body == b'{"payment_id":"pay_1","amount":5.00}'


@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there"])
async def test_bad_idempotency_key_is_refused_before_sending(key: str) -> None:
    async with serve(reply(CREATED)) as server, client(server.url) as api:
        with pytest.raises(ValueError, match="idempotency key"):
            await api.create_payment(NEW_PAYMENT, idempotency_key=key)
    assert server.requests == []


async def test_get_carries_no_idempotency_key_and_reuses_the_connection() -> None:
    async with serve(reply(response(200, PAYMENT))) as server, client(server.url) as api:
        await api.get_payment("pay_1")
        await api.get_payment("pay_1")
    assert all("idempotency-key" not in request.headers for request in server.requests)
    assert server.connections == 1


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
async def test_client_errors_are_never_retried(status: int) -> None:
    answer = response(status, {"error": "No", "code": "whatever"})
    async with serve(reply(answer)) as server, client(server.url, max_retries=5) as api:
        with pytest.raises(PaymentsError) as caught:
            await api.create_payment(NEW_PAYMENT)
        assert len(server.requests) == 1
    assert caught.value.http_status == status
    assert not caught.value.outcome_unknown


async def test_idempotency_mismatch_is_not_retried() -> None:
    mismatch = response(400, {"error": "Key reused", "code": "idempotency_error"})
    async with serve(reply(mismatch)) as server, client(server.url) as api:
        with pytest.raises(IdempotencyError):
            await api.create_payment(NEW_PAYMENT)
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 409])
async def test_retries_stop_after_max_retries(status: int) -> None:
    sleeps = Sleeps()
    answer = response(status, {"error": "Try later", "code": "whatever"})
    async with (
        serve(reply(answer)) as server,
        client(server.url, max_retries=3, sleep=sleeps) as api,
    ):
        with pytest.raises(PaymentsError) as caught:
            await api.create_payment(NEW_PAYMENT)
        assert len(server.requests) == 4
    assert caught.value.http_status == status
    assert caught.value.outcome_unknown
    assert "same idempotency key" in str(caught.value)
    # Defaults: 0.5 s x 2^n, jittered into the upper half of each step.
    for retry, delay in enumerate(sleeps.delays):
        step = 0.5 * 2**retry
        assert step / 2 <= delay <= step


async def test_zero_retries_means_one_attempt() -> None:
    async with serve(reply(FAILED)) as server, client(server.url, max_retries=0) as api:
        with pytest.raises(APIError):
            await api.get_payment("pay_1")
    assert len(server.requests) == 1


async def test_get_exhausted_on_5xx_is_not_flagged_as_a_post() -> None:
    async with serve(reply(FAILED)) as server, client(server.url, max_retries=1) as api:
        with pytest.raises(APIError) as caught:
            await api.get_payment("pay_1")
    assert str(caught.value) == "Internal error"


async def test_429_waits_out_retry_after() -> None:
    limited = response(
        429, {"error": "Too many requests", "code": "rate_limited"}, headers={"Retry-After": "0.3"}
    )
    async with (
        serve(reply(limited, response(200, PAYMENT))) as server,
        client(server.url, sleep=asyncio.sleep, retry_delay=0.001) as api,
    ):
        started = time.monotonic()
        await api.get_payment("pay_1")
        assert time.monotonic() - started >= 0.3
    assert len(server.requests) == 2


async def test_retry_after_is_capped() -> None:
    sleeps = Sleeps()
    limited = response(
        429, {"error": "Slow down", "code": "rate_limited"}, headers={"Retry-After": "3600"}
    )
    async with serve(reply(limited)) as server, client(server.url, sleep=sleeps) as api:
        with pytest.raises(RateLimitError) as caught:
            await api.get_payment("pay_1")
    assert sleeps.delays == [MAX_RETRY_AFTER, MAX_RETRY_AFTER]
    assert caught.value.retry_after == 3600
    assert not caught.value.outcome_unknown  # a 429 never executed anything


async def test_connection_lost_then_success() -> None:
    async def flaky(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if len(server.requests) == 1:
            writer.close()
        else:
            writer.write(CREATED)

    async with serve(flaky) as server, client(server.url) as api:
        assert (await api.create_payment(NEW_PAYMENT)).id == "pay_1"
    assert len({request.headers["idempotency-key"] for request in server.requests}) == 1


async def test_dropped_then_a_definitive_400_settles_the_outcome() -> None:
    async def drop_then_fail(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        if len(server.requests) == 1:
            writer.close()
        else:
            writer.write(response(400, {"error": "bad", "code": "parameter_invalid"}))

    async with serve(drop_then_fail) as server, client(server.url) as api:
        with pytest.raises(PaymentsError) as caught:
            await api.create_payment(NEW_PAYMENT)
    # A definitive 400 on the retry settles it: nothing was created.
    assert not caught.value.outcome_unknown


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    for retry in range(8):
        step = min(5.0, 0.5 * 2**retry)
        delays = {backoff_delay(retry, 0.5, 5.0) for _ in range(50)}
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(delays) > 1  # jittered


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        ("0.25", 0.25),
        ("-5", 0.0),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    from datetime import UTC, datetime

    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == expected


async def test_connect_errors_are_retried() -> None:
    async with serve(reply(CREATED)) as server:
        url = server.url
    sleeps = Sleeps()
    async with client(url, max_retries=2, sleep=sleeps) as api:
        with pytest.raises(APIConnectionError) as caught:
            await api.create_payment(NEW_PAYMENT)
    assert len(sleeps.delays) == 2
    assert not caught.value.may_have_reached_server
    assert "same idempotency key" not in str(caught.value)
