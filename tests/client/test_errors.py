"""Every status maps to its exception, with the server's details kept."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.api import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CardError,
    ForbiddenError,
    IdempotencyError,
    InvalidRequestError,
    NotFoundError,
    PaymentsClient,
    PaymentsError,
    RateLimitError,
    ResponseFormatError,
)
from console.api.client import error_from_body
from console.api.models import ErrorBody
from tests.client.rawserver import reply, response, serve

KEY = "sk_test_errors0000"


def body(**fields: Any) -> dict[str, Any]:
    return {"error": "Something went wrong", "code": "some_code", "param": None} | fields


STATUSES = [
    (400, body(code="parameter_invalid", param="amount"), InvalidRequestError),
    (400, body(code="idempotency_error"), IdempotencyError),
    (401, body(code="invalid_api_key"), AuthenticationError),
    (401, body(code="livemode_key"), AuthenticationError),
    (402, body(code="card_declined", decline_code="insufficient_funds"), CardError),
    (403, body(code="forbidden"), ForbiddenError),
    (404, body(code="resource_missing", param="payment_id"), NotFoundError),
    (405, body(code="method_not_allowed"), APIError),
    (409, body(code="idempotency_key_in_use"), IdempotencyError),
    (418, body(code="teapot"), APIError),
    (422, body(code="unprocessable"), APIError),
    (429, body(code="rate_limited"), RateLimitError),
    (500, body(code="api_error"), APIError),
    (502, body(code="bad_gateway"), APIError),
    (503, body(code="unavailable"), APIError),
    (504, body(code="timeout"), APIError),
]


@pytest.mark.parametrize(("status", "payload", "kind"), STATUSES)
async def test_status_maps_to_its_exception(
    status: int, payload: dict[str, Any], kind: type[PaymentsError]
) -> None:
    headers = {"Request-Id": "req_header", "Retry-After": "7"}
    async with (
        serve(reply(response(status, payload, headers=headers))) as server,
        PaymentsClient(server.url, KEY, max_retries=0) as api,
    ):
        with pytest.raises(PaymentsError) as caught:
            await api.get_payment("pay_1")
    error = caught.value
    assert type(error) is kind
    assert error.http_status == status
    assert error.code == payload["code"]
    assert error.param == payload["param"]
    assert error.request_id == "req_header"
    assert str(error) == "Something went wrong"
    assert error.outcome_unknown is (status >= 500 or status == 409)


async def test_card_error_carries_decline_code_and_payment_id() -> None:
    payload = body(
        error="Your card was declined.",
        code="card_declined",
        decline_code="expired_card",
        payment_id="pay_failed_1",
        request_id="req_body",
    )
    async with (
        serve(reply(response(402, payload, headers={"Request-Id": "req_header"}))) as server,
        PaymentsClient(server.url, KEY) as api,
    ):
        with pytest.raises(CardError) as caught:
            await api.get_payment("pay_1")
        assert len(server.requests) == 1
    error = caught.value
    assert (error.decline_code, error.payment_id) == ("expired_card", "pay_failed_1")
    assert error.request_id == "req_body"  # the body's id wins over the header's
    assert str(error) == "Your card was declined."
    assert "decline_code='expired_card'" in repr(error)


@pytest.mark.parametrize(("header", "expected"), [("3", 3.0), ("0.5", 0.5), (None, None)])
def test_rate_limit_error_has_retry_after(header: str | None, expected: float | None) -> None:
    error = error_from_body(429, ErrorBody(error="Slow down"), retry_after=expected)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == expected


def test_seed_only_error_body_maps_with_a_generic_sentence_when_empty() -> None:
    error = error_from_body(404, ErrorBody(error="Payment not found"))
    assert isinstance(error, NotFoundError)
    assert (error.code, error.param, error.request_id) == (None, None, None)
    assert str(error_from_body(500, ErrorBody(error="  "))) == (
        "The payments server answered HTTP 500."
    )


@pytest.mark.parametrize(
    ("payload", "content_type", "expected"),
    [
        ("<!doctype html><title>Forbidden</title>", "text/html", "HTML page"),
        ("Forbidden", "text/plain", "not valid JSON"),
        ("", "application/json", "empty body"),
        ('{"message": "no error field"}', "application/json", "error: Field required"),
        ("[1, 2]", "application/json", "unexpected shape"),
        ('{"error": NaN}', "application/json", "not valid JSON"),
    ],
)
async def test_unreadable_error_body_is_a_format_error(
    payload: str, content_type: str, expected: str
) -> None:
    async with (
        serve(reply(response(403, payload, content_type=content_type))) as server,
        PaymentsClient(server.url, KEY) as api,
    ):
        with pytest.raises(ResponseFormatError) as caught:
            await api.get_payment("pay_1")
    assert caught.value.http_status == 403
    assert expected in str(caught.value)
    assert not caught.value.outcome_unknown  # a 403 is definitive, whatever its body


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ('{"id": "pay_1"}', "not a valid payment (amount: Field required; currency:"),
        (
            '{"id": "pay_1", "amount": "100.00", "currency": "USD", "status": "succeeded",'
            ' "created_at": "2024-06-10T12:00:00Z"}',
            "amount must be a JSON number, not a string",
        ),
        (
            '{"id": "pay_1", "amount": 1, "currency": "USD", "status": "succeeded",'
            ' "created_at": "2024-06-10T12:00:00"}',
            "created_at: Input should have timezone info",
        ),
        ("null", "not a valid payment"),
    ],
)
async def test_success_of_the_wrong_shape_names_the_field(payload: str, expected: str) -> None:
    async with (
        serve(reply(response(200, payload))) as server,
        PaymentsClient(server.url, KEY) as api,
    ):
        with pytest.raises(ResponseFormatError) as caught:
            await api.get_payment("pay_1")
    assert expected in str(caught.value)
    assert caught.value.http_status == 200
    assert caught.value.outcome_unknown  # a 2xx happened: whatever it said took effect


def test_errors_are_plain_sentences_with_details_in_repr() -> None:
    error = InvalidRequestError(
        "Invalid payment source", 400, "parameter_invalid", "req_1", param="source"
    )
    assert str(error) == "Invalid payment source"
    assert repr(error) == (
        "InvalidRequestError(message='Invalid payment source', http_status=400, "
        "code='parameter_invalid', request_id='req_1', param='source')"
    )
    assert isinstance(error, PaymentsError)
    lost = APIConnectionError("Connection lost.", may_have_reached_server=True)
    assert lost.outcome_unknown and lost.http_status is None
    assert "may_have_reached_server=True" in repr(lost)


def test_error_hierarchy() -> None:
    for kind in (
        InvalidRequestError,
        AuthenticationError,
        CardError,
        ForbiddenError,
        NotFoundError,
        IdempotencyError,
        RateLimitError,
        APIError,
        APIConnectionError,
        ResponseFormatError,
    ):
        assert issubclass(kind, PaymentsError)
    assert not issubclass(IdempotencyError, InvalidRequestError)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirect_is_not_followed_and_names_the_base_url(status: int) -> None:
    headers = {"Location": "https://elsewhere.example/v1/payments/pay_1"}
    async with (
        serve(reply(response(status, "", headers=headers))) as server,
        PaymentsClient(server.url, KEY) as api,
    ):
        with pytest.raises(APIError) as caught:
            await api.get_payment("pay_1")
        assert len(server.requests) == 1
    assert caught.value.http_status == status
    assert "https://elsewhere.example/v1/payments/pay_1" in str(caught.value)
    assert "check the API base URL" in str(caught.value)


async def test_a_dropped_connection_is_one_sentence(tmp_path: Path) -> None:
    """httpx's own full stop is not doubled by ours ("...a response.. The request")."""
    import httpx

    from console.api.models import PaymentCreate
    from console.sandbox.app import create_app
    from console.sandbox.faults import Faults

    app = create_app(tmp_path / "sandbox.db", faults=Faults(drop_after_commit=1.0))
    client = PaymentsClient(
        "http://127.0.0.1/v1", app.state.api_key, max_retries=0,
        transport=httpx.ASGITransport(app),
    )  # fmt: skip
    request = PaymentCreate(amount=Decimal("1.00"), currency="USD", source="tok_visa")
    with pytest.raises(APIConnectionError) as caught:
        await client.create_payment(request, idempotency_key="drop-1")
    await client.aclose()
    app.state.store.close()
    assert ".." not in str(caught.value)
    assert "without sending a response: " not in str(caught.value)
    assert "without sending a response. The request may have been processed" in str(caught.value)
