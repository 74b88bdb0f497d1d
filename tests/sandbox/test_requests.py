"""What a developer rehearsing an integration with curl sends: media types, odd JSON,
odd URLs, HEAD, size limits, slow or vanishing clients. Every answer is a JSON error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from console.sandbox.body import MAX_BODY_BYTES
from console.sandbox.fields import MAX_DESCRIPTION_LENGTH
from tests.sandbox.conftest import Api, body, error_of

PAYMENT = b'{"amount": 10.00, "currency": "USD", "source": "tok_visa"}'


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", ""],
)
async def test_a_body_that_is_not_sent_as_json_gets_415(api: Api, content_type: str) -> None:
    answer = await api.client.post(
        "payments", content=PAYMENT, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 415
    error = error_of(answer)
    assert (error["code"], error["param"]) == ("unsupported_media_type", "Content-Type")
    assert "application/json" in error["error"]
    assert api.count("payments") == 0
    refund = await api.client.post(
        "refunds", content=b'{"payment_id": "pay_x"}', headers={"Content-Type": content_type}
    )
    assert refund.status_code == 415


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json", "application/json; charset=utf-8", "Application/JSON"],
)
async def test_json_media_types_and_no_content_type_are_accepted(
    api: Api, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = await api.client.post("payments", content=PAYMENT, headers=headers)
    assert answer.status_code == 201, answer.text


async def test_a_key_given_twice_is_refused_by_name(api: Api) -> None:
    answer = await api.client.post(
        "payments",
        content=b'{"amount": 10, "amount": 1000, "currency": "USD", "source": "tok_visa"}',
    )
    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["code"], error["param"]) == ("parameter_invalid", "amount")
    assert "'amount' more than once" in error["error"]
    assert api.count("payments") == 0
    refund = await api.client.post(
        "refunds", content=b'{"payment_id": "pay_a", "payment_id": "pay_b"}'
    )
    assert refund.status_code == 400
    assert error_of(refund)["param"] == "payment_id"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "payments/"),
        ("POST", "payments/"),
        ("POST", "refunds/"),
        ("GET", "payments/pay_x/"),
        ("GET", "payments/..%2f"),
        ("GET", "payments/..%2fpayments"),
        ("GET", "payments/..%2f..%2fopenapi.json"),
        ("GET", "refunds/..%2F"),
    ],
)
async def test_odd_urls_get_a_json_404_never_a_redirect(api: Api, method: str, path: str) -> None:
    answer = await api.client.request(
        method,
        path,
        content=PAYMENT if method == "POST" else None,
        headers={"Host": "evil.example"},
    )
    assert answer.status_code == 404
    assert "location" not in answer.headers
    assert "evil.example" not in answer.text
    error = error_of(answer)
    assert error["code"] == "resource_missing"
    assert error["error"].startswith("Unrecognized request URL")
    if path.endswith("/"):
        assert error["error"].endswith("drop the trailing slash")
    assert api.count("payments") == 0


IGNORED_HEADERS = {"request-id", "date"}


def _headers(answer: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in answer.headers.items() if name not in IGNORED_HEADERS}


async def test_head_answers_get_routes_with_their_status_and_headers(api: Api) -> None:
    payment_id = await api.paid()
    refund = await api.refund(payment_id, "1.00")
    refund_id = refund.json()["id"]
    for path in (f"payments/{payment_id}", f"refunds/{refund_id}", "payments/pay_nope"):
        got, head = await api.client.get(path), await api.client.head(path)
        assert head.status_code == got.status_code
        assert _headers(head) == _headers(got)
        assert head.content == b""
        assert head.headers["content-length"] == str(len(got.content))
    unauthenticated = await api.client.head(f"payments/{payment_id}", headers={"Authorization": ""})
    assert unauthenticated.status_code == 401
    assert unauthenticated.content == b""


async def test_allow_names_head_beside_get(api: Api) -> None:
    answer = await api.client.delete("payments/pay_x")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"
    assert error_of(answer)["code"] == "method_not_allowed"
    head_on_post = await api.client.head("payments")
    assert (head_on_post.status_code, head_on_post.headers["allow"]) == (405, "POST")


def _payment_with(amount: bytes) -> bytes:
    return b'{"amount": ' + amount + b', "currency": "USD", "source": "tok_visa"}'


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (b"null", "amount must be a number, not null"),
        (b"true", "amount must be a number, not true"),
        (b"false", "amount must be a number, not false"),
        (b"[]", "amount must be a number, not an array"),
        (b'{"value": 10}', "amount must be a number, not an object"),
        (b'"10.00"', 'amount must be a number, not a string (write 10.00, not "10.00")'),
        (b"1" * 5001, "amount: Amount must be less than 100,000,000"),
        (b"1" * 5001 + b".5", "amount: Amount must be less than 100,000,000"),
    ],
    ids=["null", "true", "false", "array", "object", "string", "5001-digits", "5001-digits.5"],
)
async def test_an_amount_of_the_wrong_type_or_size_is_named(
    api: Api, amount: bytes, message: str
) -> None:
    answer = await api.client.post("payments", content=_payment_with(amount))
    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["error"], error["code"], error["param"]) == (
        message,
        "parameter_invalid",
        "amount",
    )
    assert "Decimal input" not in answer.text
    assert "not valid JSON" not in answer.text


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (b"true", "not true"),
        (b"[]", "not an array"),
        (b'"1.00"', "not a string"),
    ],
)
async def test_a_refund_amount_of_the_wrong_type_is_named_after_the_spec_sentence(
    api: Api, amount: bytes, problem: str
) -> None:
    payment_id = await api.paid()
    raw = b'{"payment_id": "' + payment_id.encode() + b'", "amount": ' + amount + b"}"
    answer = await api.client.post("refunds", content=raw)
    assert answer.status_code == 400
    error = error_of(answer)
    assert error["error"].startswith("Invalid refund amount: amount must be a number, ")
    assert problem in error["error"]
    assert (error["code"], error["param"]) == ("amount_invalid", "amount")
    huge = await api.client.post(
        "refunds",
        content=b'{"payment_id": "' + payment_id.encode() + b'", "amount": ' + b"9" * 5001 + b"}",
    )
    assert error_of(huge)["error"] == "Invalid refund amount"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("currency", b"840", "currency must be a string, not a number"),
        ("currency", b"null", "currency must be a string, not null"),
        ("description", b"[]", "description must be a string, not an array"),
    ],
)
async def test_other_fields_of_the_wrong_type_are_named(
    api: Api, field: str, value: bytes, message: str
) -> None:
    fields = {"amount": b"10.00", "currency": b'"USD"', "source": b'"tok_visa"', field: value}
    raw = b"{" + b", ".join(b'"%s": %s' % (name.encode(), v) for name, v in fields.items()) + b"}"
    answer = await api.client.post("payments", content=raw)
    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["error"], error["param"]) == (message, field)
    assert (await api.pay(description=None)).status_code == 201  # null is "no description"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"amount": 10.00,}', "The request body is not valid JSON: Expecting property name"),
        (b'{"amount": NaN}', "The request body is not valid JSON: JSON constant NaN"),
        (b'{"description": "\xff"}', "The request body is not UTF-8 text"),
        (b'{"x": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", "nested too deeply"),
    ],
    ids=["trailing-comma", "nan", "latin-1", "deep"],
)
async def test_a_body_that_cannot_be_read_says_why(api: Api, raw: bytes, message: str) -> None:
    answer = await api.client.post("payments", content=raw)
    assert answer.status_code == 400
    assert message in error_of(answer)["error"]


async def test_a_valid_body_with_a_valid_amount_still_succeeds(api: Api) -> None:
    answer = await api.client.post("payments", content=_payment_with(b"10"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["amount"] == 10
    assert '"amount":10.00,' in answer.text


def _payment_described(description: str) -> bytes:
    return body(amount="10.00", currency="USD", source="tok_visa", description=description).encode()


async def test_a_body_over_64_kb_gets_413_and_nothing_is_made(api: Api) -> None:
    exactly = _payment_described("x" * 10)
    padded = exactly[:-1] + b" " * (MAX_BODY_BYTES - len(exactly)) + b"}"
    assert len(padded) == MAX_BODY_BYTES
    assert (await api.client.post("payments", content=padded)).status_code == 201
    for too_large in (padded + b" ", b"{" + b" " * (10 * MAX_BODY_BYTES) + b"}"):
        answer = await api.client.post("payments", content=too_large)
        assert answer.status_code == 413
        error = error_of(answer)
        assert error["code"] == "request_too_large"
        assert "65,536 bytes" in error["error"]
    assert api.count("payments") == 1
    refund = await api.client.post(
        "refunds", content=b'{"payment_id": "' + b"p" * MAX_BODY_BYTES + b'"}'
    )
    assert refund.status_code == 413


async def test_a_chunked_body_over_the_limit_gets_413(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 4096
        yield PAYMENT

    answer = await api.client.post("payments", content=chunks())
    assert answer.status_code == 413
    assert error_of(answer)["code"] == "request_too_large"
    assert api.count("payments") == 0


async def test_a_description_has_at_most_1000_characters(api: Api) -> None:
    longest = await api.pay(description="é" * MAX_DESCRIPTION_LENGTH)
    assert longest.status_code == 201, longest.text
    fetched = await api.client.get(f"payments/{longest.json()['id']}")
    assert fetched.json()["description"] == "é" * MAX_DESCRIPTION_LENGTH
    for description in ("x" * (MAX_DESCRIPTION_LENGTH + 1), " " * (MAX_DESCRIPTION_LENGTH + 1)):
        answer = await api.pay(description=description)
        assert answer.status_code == 400
        error = error_of(answer)
        assert (error["code"], error["param"]) == ("parameter_invalid", "description")
        assert error["error"] == "description must be at most 1,000 characters, not 1,001"
    assert api.count("payments") == 1
