"""The API key never shows in repr(), exception messages, log records or tracebacks."""

from __future__ import annotations

import asyncio
import logging
import traceback
from decimal import Decimal

import pytest

from console.api import PaymentCreate, PaymentsClient, PaymentsError
from tests.client.rawserver import RawRequest, response, serve

KEY = "sk_test_S3CRET_do_not_leak_4242"
NEW_PAYMENT = PaymentCreate(amount=Decimal("10.00"), currency="USD", source="tok_visa")


async def echo_key(request: RawRequest, writer: asyncio.StreamWriter) -> None:
    """A careless server that echoes the Authorization header everywhere it can."""
    echoed = request.headers["authorization"]
    scenario = request.path.rsplit("/", 1)[-1]
    if scenario == "auth":
        body = {"error": f"Invalid API key: {echoed}", "code": echoed, "param": echoed}
        writer.write(response(401, body, headers={"Request-Id": echoed}))
    elif scenario == "html":
        writer.write(response(502, f"<html>{echoed}</html>", content_type="text/html"))
    elif scenario == "shape":
        writer.write(response(200, {"id": echoed, "amount": echoed}))
    elif scenario == "cut":
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n" + echoed.encode())
        writer.close()
    elif scenario == "garbage":
        writer.write(echoed.encode() + b"\r\n\r\n")
        writer.close()
    elif scenario == "slow":
        await asyncio.sleep(5)
    else:  # a POST
        writer.write(response(402, {"error": echoed, "decline_code": echoed, "payment_id": echoed}))


SCENARIOS = ["auth", "html", "shape", "cut", "garbage", "slow", "post", "refused"]


def leaks(text: str) -> bool:
    return KEY in text or KEY[8:] in text


async def raise_scenario(url: str, scenario: str) -> PaymentsError:
    async with PaymentsClient(url, KEY, timeout=0.3, max_retries=1, retry_delay=0.001) as api:
        call = api.create_payment(NEW_PAYMENT) if scenario == "post" else api.get_payment(scenario)
        with pytest.raises(PaymentsError) as caught:
            await call
    return caught.value


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_key_never_leaks(scenario: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "console", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    async with serve(echo_key) as server:
        url = server.url
        if scenario == "refused":
            await server.stop()
        error = await raise_scenario(url, scenario)
        assert scenario == "refused" or server.requests  # the server did see the key

    assert not leaks(str(error))
    assert not leaks(repr(error))
    assert not any(leaks(repr(value)) for value in vars(error).values())
    assert not leaks("".join(traceback.format_exception(error)))
    # What a locals-showing traceback (rich, Textual's crash screen) would print:
    frames = traceback.walk_tb(error.__traceback__)
    for frame, _ in frames:
        assert not any(leaks(repr(value)) for value in frame.f_locals.values()), frame

    assert caplog.records, "expected httpx/httpcore/client debug records"
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        assert not leaks(formatter.format(record)), record.name
        assert not leaks(repr(record.args))


async def test_client_repr_hides_the_key() -> None:
    async with PaymentsClient("https://api.example.com", KEY) as client:
        assert not leaks(repr(client))
        assert not leaks(str(client))
        assert not any(leaks(repr(value)) for value in vars(client).values())
        assert not leaks(repr(client._http.headers))  # httpx masks Authorization


def test_construction_errors_do_not_echo_the_key() -> None:
    with pytest.raises(ValueError, match="use https://") as caught:
        PaymentsClient("http://example.com", KEY)
    assert not leaks("".join(traceback.format_exception(caught.value)))
    with pytest.raises(ValueError, match="control characters") as caught:
        PaymentsClient("https://example.com", KEY + "\n")
    assert not leaks("".join(traceback.format_exception(caught.value)))


async def test_log_redaction_does_not_keep_dropped_clients_alive() -> None:
    import gc
    import weakref

    from console.api.transport import REDACT_KEYS

    client = PaymentsClient("https://api.example.com", "sk_test_dropped_client_0001")
    secret = weakref.ref(client._secret)
    assert secret() in REDACT_KEYS.secrets
    await client.aclose()
    del client
    gc.collect()
    assert secret() is None
