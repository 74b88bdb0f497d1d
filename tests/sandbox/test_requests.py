"""What a developer rehearsing an integration with curl sends: media types, odd JSON,
odd URLs, HEAD, size limits, slow or vanishing clients. Every answer is a JSON error."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Api, error_of

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
