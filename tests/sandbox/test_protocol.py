"""Authentication, Request-Id, unknown routes: what every answer has in common."""

from __future__ import annotations

import httpx
import pytest

from console.sandbox.app import API_KEY_ENV, create_app
from tests.fake_keys import live_key
from tests.sandbox.conftest import Api, client_for, error_of

UNKNOWN_KEY = "sk_test_0123456789abcdefWXYZ"


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "invalid_api_key"),
        ("", "invalid_api_key"),
        ("Bearer", "invalid_api_key"),
        (f"Basic {UNKNOWN_KEY}", "invalid_api_key"),
        (f"Bearer {UNKNOWN_KEY}", "invalid_api_key"),
        (f"Bearer {live_key('0123456789abcdef')}", "livemode_key"),
        (f"Bearer {live_key('0123456789abcdef', 'rk')}", "livemode_key"),
    ],
)
@pytest.mark.parametrize(("method", "path"), [("POST", "payments"), ("GET", "refunds/r")])
async def test_missing_unknown_and_live_keys_get_401(
    api: Api, authorization: str | None, code: str, method: str, path: str
) -> None:
    request = api.client.build_request(method, path, content=b"{}" if method == "POST" else None)
    del request.headers["authorization"]
    if authorization is not None:
        request.headers["authorization"] = authorization
    answer = await api.client.send(request)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    error = error_of(answer)
    assert error["code"] == code
    assert "0123456789abcdef" not in answer.text  # a key is only ever echoed masked
    if code == "livemode_key":
        assert "only accepts test keys" in error["error"]
    if authorization == f"Bearer {UNKNOWN_KEY}":
        assert error["error"].endswith("…WXYZ")


async def test_the_environment_names_one_more_accepted_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(API_KEY_ENV, "sk_test_from_the_environment")
    app = create_app(":memory:")
    async with client_for(app) as client:
        own = await client.get("payments/pay_x")
        extra = await client.get(
            "payments/pay_x", headers={"Authorization": "Bearer sk_test_from_the_environment"}
        )
    assert (own.status_code, extra.status_code) == (404, 404)
    app.state.store.close()


async def test_every_answer_has_a_fresh_request_id(api: Api) -> None:
    payment_id = await api.paid()
    answers = [
        await api.pay(),
        await api.client.get(f"payments/{payment_id}"),
        await api.refund(payment_id, "1"),
        await api.client.get("payments/pay_missing"),
        await api.client.get("nowhere"),
        await api.client.get(api.client.base_url.join("/openapi.json")),
    ]
    ids = [answer.headers["request-id"] for answer in answers]
    assert all(request_id.startswith("req_") for request_id in ids)
    assert len(set(ids)) == len(ids)


async def test_unknown_routes_and_methods_get_error_bodies(api: Api) -> None:
    missing = await api.client.get("charges")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "resource_missing"
    wrong_method = await api.client.delete("payments")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert error_of(wrong_method)["code"] == "method_not_allowed"


async def test_the_openapi_document_is_served(api: Api) -> None:
    answer = await api.client.get(api.client.base_url.join("/openapi.json"))
    assert answer.status_code == 200
    assert set(answer.json()["paths"]) == {
        "/v1/payments",
        "/v1/payments/{payment_id}",
        "/v1/refunds",
        "/v1/refunds/{refund_id}",
    }


def test_an_in_process_client_needs_no_network() -> None:
    app = create_app(":memory:")
    assert isinstance(client_for(app)._transport, httpx.ASGITransport)
    app.state.store.close()
