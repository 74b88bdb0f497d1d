"""What goes on the wire: URLs, headers, exact decimals; and which base URLs are accepted."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from console import __version__
from console.api import Payment, PaymentCreate, PaymentsClient
from console.api.client import USER_AGENT, normalize_base_url
from console.hosts import is_loopback
from tests.client.rawserver import reply, response, serve

KEY = "sk_test_wire0000"
HTTPS_ONLY = re.escape("must use https:// (plain http:// only for 127.0.0.1/localhost)")
PAYMENT_JSON = (
    '{"id": "pay_1", "amount": 1234.50, "currency": "USD", "status": "succeeded",'
    ' "created_at": "2024-06-10T12:00:00Z"}'
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.paymentprocessing.com/v1", "https://api.paymentprocessing.com/v1"),
        ("https://api.paymentprocessing.com/v1/", "https://api.paymentprocessing.com/v1"),
        ("https://api.paymentprocessing.com", "https://api.paymentprocessing.com/v1"),
        ("https://api.paymentprocessing.com/", "https://api.paymentprocessing.com/v1"),
        ("https://gw.example.com/payments-api", "https://gw.example.com/payments-api/v1"),
        ("  http://127.0.0.1:8000/v1 ", "http://127.0.0.1:8000/v1"),
        ("http://localhost:8000", "http://localhost:8000/v1"),
        ("http://LOCALHOST:8000", "http://localhost:8000/v1"),
        ("http://127.8.9.10/v1", "http://127.8.9.10/v1"),
        ("http://[::1]:9000", "http://[::1]:9000/v1"),
        ("https://bücher.example/v1", "https://xn--bcher-kva.example/v1"),
    ],
)
def test_base_url_may_or_may_not_end_in_v1(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("http://api.paymentprocessing.com/v1", HTTPS_ONLY),
        ("http://10.0.0.5:8000", HTTPS_ONLY),
        ("http://128.0.0.1", HTTPS_ONLY),
        ("http://localhost.evil.com", HTTPS_ONLY),
        ("ftp://127.0.0.1/v1", "must start with https://"),
        ("api.paymentprocessing.com/v1", "must start with https://"),
        ("", "must start with https://"),
        ("https://user:pw@api.example.com", "user name or password"),
        ("https://api.example.com/v1?x=1", "query string"),
        ("https://exa mple.com", "no valid host name"),
        ("https://:443/v1", "name a host"),
        ("http://[::1", "not a valid URL"),
    ],
)
def test_bad_base_url_is_refused_before_any_request(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PaymentsClient(given, KEY)


def test_loopback_hosts() -> None:
    assert all(map(is_loopback, ["localhost", "127.0.0.1", "127.255.0.1", "::1"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "10.0.0.1", "example.com", "localhost."]))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "Timeouts must be positive"),
        ({"connect_timeout": -1}, "Timeouts must be positive"),
        ({"max_retries": -1}, "max_retries must be zero or more"),
        ({"retry_delay": -0.1}, "Retry delays must be zero or more"),
        ({"max_response_bytes": 0}, "max_response_bytes must be positive"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PaymentsClient("https://api.example.com", KEY, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", "sk_test_ab cd", "sk_test_\nInjected: yes"])
def test_bad_api_key_is_refused_without_echoing_it(key: str) -> None:
    with pytest.raises(ValueError, match="empty or contains spaces") as caught:
        PaymentsClient("https://api.example.com", key)
    assert key.strip() == "" or key not in str(caught.value)


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_requests_go_under_v1(suffix: str) -> None:
    async with serve(reply(response(200, PAYMENT_JSON))) as server:
        async with PaymentsClient(server.url + suffix, KEY) as api:
            await api.get_payment("pay_1")
        assert server.requests[0].path == "/v1/payments/pay_1"


async def test_prefix_path_is_kept() -> None:
    refund = (
        '{"id": "refund_9", "payment_id": "pay_1", "amount": 5.00, "status": "succeeded",'
        ' "created_at": "2024-06-10T13:00:00Z"}'
    )
    async with serve(reply(response(200, refund))) as server:
        async with PaymentsClient(server.url + "/gateway", KEY) as api:
            await api.get_refund("refund_9")
        assert server.requests[0].path == "/gateway/v1/refunds/refund_9"


async def test_ids_cannot_escape_their_path() -> None:
    async with serve(reply(response(200, PAYMENT_JSON))) as server:
        async with PaymentsClient(server.url, KEY) as api:
            await api.get_payment("../refunds/x?y=1")
            with pytest.raises(ValueError, match="payment id is required"):
                await api.get_payment("  ")
        assert [r.path for r in server.requests] == ["/v1/payments/..%2Frefunds%2Fx%3Fy%3D1"]


async def test_post_headers_and_exact_decimal_body() -> None:
    async with serve(reply(response(201, PAYMENT_JSON))) as server:
        async with PaymentsClient(server.url, KEY) as api:
            request = PaymentCreate(
                amount=Decimal("1234.50"), currency="usd", source="tok_visa", description="ü #1"
            )
            payment = await api.create_payment(request)
        sent = server.requests[0]
    assert sent.method == "POST" and sent.path == "/v1/payments"
    expected = '{"amount":1234.50,"currency":"USD","source":"tok_visa","description":"ü #1"}'
    assert sent.body == expected.encode()
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["user-agent"] == USER_AGENT == f"payments-console/{__version__}"
    assert sent.headers["accept"] == "application/json"
    assert payment.amount == Decimal("1234.50") and str(payment.amount) == "1234.50"


async def test_seed_response_and_extra_fields_both_parse() -> None:
    extended = PAYMENT_JSON[:-1] + ', "amount_refunded": 0.10, "livemode": false, "meta": {"a": 1}}'
    answers = reply(response(200, PAYMENT_JSON), response(200, extended))
    async with serve(answers) as server, PaymentsClient(server.url, KEY) as api:
        seed_only = await api.get_payment("pay_1")
        grown = await api.get_payment("pay_1")
    assert isinstance(seed_only, Payment) and seed_only.amount_refunded is None
    assert grown.amount_refunded == Decimal("0.10")
    assert grown.model_extra == {"livemode": False, "meta": {"a": 1}}


async def test_float_amount_never_sneaks_in() -> None:
    body = PAYMENT_JSON.replace("1234.50", "0.1")
    async with serve(reply(response(200, body))) as server, PaymentsClient(server.url, KEY) as api:
        payment = await api.get_payment("pay_1")
    assert type(payment.amount) is Decimal and payment.amount == Decimal("0.1")


async def test_gzip_encoded_answer_is_read() -> None:
    import gzip

    packed = gzip.compress(PAYMENT_JSON.encode())
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {len(packed)}\r\n\r\n"
    ).encode()
    async with serve(reply(head + packed)) as server, PaymentsClient(server.url, KEY) as api:
        assert (await api.get_payment("pay_1")).id == "pay_1"


async def test_gzip_bomb_is_stopped_at_the_limit() -> None:
    import gzip

    from console.api import ResponseFormatError

    packed = gzip.compress(b" " * (20 * 1024 * 1024))  # 20 MiB of spaces, ~20 KiB packed
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {len(packed)}\r\n\r\n"
    ).encode()
    async with serve(reply(head + packed)) as server, PaymentsClient(server.url, KEY) as api:
        with pytest.raises(ResponseFormatError, match="larger than the 1 MiB limit"):
            await api.get_payment("pay_1")


@pytest.mark.parametrize("amount", ["1e9999999", "1e-9999999", "1e40"])
async def test_an_absurd_amount_in_an_answer_is_a_format_error(amount: str) -> None:
    """Not a number anyone can pay: the answer is unreadable, rather than a Payment whose
    amount prints as ten million digits (or traps in Decimal arithmetic)."""
    from console.api.errors import ResponseFormatError

    body = PAYMENT_JSON.replace("1234.50", amount)
    async with serve(reply(response(200, body))) as server, PaymentsClient(server.url, KEY) as api:
        with pytest.raises(ResponseFormatError, match="amount"):
            await api.get_payment("pay_1")
