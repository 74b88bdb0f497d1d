"""Idempotency-Key on POSTs, by Stripe's rules: replay, mismatch, endpoint, account, in flight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from console.sandbox.app import API_KEY_ENV
from tests.sandbox.conftest import Api, body, error_of

KEY = {"Idempotency-Key": "order-12345"}


async def test_a_repeat_replays_the_stored_answer_and_creates_nothing(api: Api) -> None:
    first = await api.pay("10.00", headers=KEY)
    again = await api.pay("10.0", headers=KEY)  # the same amount, written differently
    assert first.status_code == again.status_code == 201
    assert again.text == first.text
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["request-id"] == first.headers["request-id"]
    assert api.count("payments") == 1


async def test_a_declined_payment_is_replayed_not_retried(api: Api) -> None:
    first = await api.pay(source="tok_chargeDeclined", headers=KEY)
    again = await api.pay(source="tok_chargeDeclined", headers=KEY)
    assert first.status_code == again.status_code == 402
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert error_of(again)["request_id"] == first.headers["request-id"]
    assert api.count("payments") == 1


async def test_refund_answers_are_stored_whatever_they_were(api: Api) -> None:
    payment_id = await api.paid("5.00")
    for amount, status in (("6.00", 400), ("5.00", 201)):
        headers = {"Idempotency-Key": f"refund-{amount}"}
        first = await api.refund(payment_id, amount, headers=headers)
        again = await api.refund(payment_id, amount, headers=headers)
        assert first.status_code == again.status_code == status
        assert (again.text, again.headers["idempotent-replayed"]) == (first.text, "true")
    missing = [await api.refund("pay_nope", headers=KEY) for _ in range(2)]
    assert [answer.status_code for answer in missing] == [404, 404]
    assert missing[1].headers["idempotent-replayed"] == "true"
    assert api.count("refunds") == 1


async def test_the_same_key_with_another_body_is_an_idempotency_error(api: Api) -> None:
    first = await api.pay("10.00", headers=KEY)
    other = await api.pay("11.00", headers=KEY)
    assert other.status_code == 400
    error = error_of(other)
    assert (error["code"], error["param"]) == ("idempotency_error", "Idempotency-Key")
    original = await api.pay("10.00", headers=KEY)
    assert original.text == first.text
    assert api.count("payments") == 1


async def test_a_key_is_bound_to_the_endpoint_it_was_first_used_on(api: Api) -> None:
    payment = await api.pay(headers=KEY)
    assert payment.status_code == 201
    refund = await api.refund(payment.json()["id"], headers=KEY)
    assert refund.status_code == 400
    error = error_of(refund)
    assert (error["code"], error["param"]) == ("idempotency_error", "Idempotency-Key")
    assert error["error"] == (
        "Keys for idempotent requests can only be used for the same endpoint they were"
        " first used for."
    )
    assert "idempotent-replayed" not in refund.headers
    assert (api.count("payments"), api.count("refunds")) == (1, 0)
    assert (await api.pay(headers=KEY)).text == payment.text  # the key still means the payment


async def test_a_refused_key_stays_bound_to_its_first_endpoint(api: Api) -> None:
    """The endpoint rule holds whatever the first answer was (here a stored 404)."""
    missing = await api.refund("pay_nope", headers=KEY)
    assert missing.status_code == 404
    payment = await api.pay(headers=KEY)
    assert (payment.status_code, error_of(payment)["code"]) == (400, "idempotency_error")
    assert api.count("payments") == 0


SECOND_KEY = "sk_test_second_key_of_this_sandbox"


@pytest.fixture
def second_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """PAYMENTS_SANDBOX_API_KEY set; request it before `api` so the sandbox accepts it."""
    monkeypatch.setenv(API_KEY_ENV, SECOND_KEY)
    return SECOND_KEY


async def test_keys_are_scoped_to_the_account_not_the_api_key(second_key: str, api: Api) -> None:
    """Every API key of one sandbox is the one account: the second key replays the first."""
    other = {"Authorization": f"Bearer {second_key}", **KEY}
    mine = await api.pay("1.00", headers=KEY)
    theirs = await api.pay("1.00", headers=other)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert theirs.text == mine.text
    assert theirs.headers["idempotent-replayed"] == "true"
    assert theirs.headers["request-id"] == mine.headers["request-id"]
    changed = await api.pay("2.00", headers=other)
    assert (changed.status_code, error_of(changed)["code"]) == (400, "idempotency_error")
    refund = await api.refund(mine.json()["id"], headers=other)
    assert (refund.status_code, error_of(refund)["code"]) == (400, "idempotency_error")
    assert (api.count("payments"), api.count("refunds")) == (1, 0)


@pytest.mark.parametrize("values", [("order-1", "order-2"), ("order-1", "order-1")])
async def test_two_idempotency_key_headers_are_refused(api: Api, values: tuple[str, str]) -> None:
    headers = [("Idempotency-Key", value) for value in values]
    payload = body(amount="10.00", currency="USD", source="tok_visa")
    answer = await api.client.post("payments", content=payload, headers=headers)
    assert answer.status_code == 400
    error = error_of(answer)
    assert (error["code"], error["param"]) == ("parameter_invalid", "Idempotency-Key")
    assert "one Idempotency-Key" in error["error"]
    assert (api.count("payments"), api.count("idempotency")) == (0, 0)


async def _unauthorized(api: Api) -> httpx.Response:
    return await api.pay(headers={**KEY, "Authorization": "Bearer sk_test_not_this_one"})


async def _invalid(api: Api) -> httpx.Response:
    return await api.pay("0.001", headers=KEY)


async def _rate_limited(api: Api) -> httpx.Response:
    injector = api.app.state.fault_injector
    api.app.state.faults.rate_limit = 1
    injector.seconds = lambda: 1000.0  # one second, however slowly the requests go
    await api.client.get("payments/pay_uses_up_this_second")
    answer = await api.pay(headers=KEY)
    api.app.state.faults.rate_limit = None
    injector.seconds = time.monotonic
    return answer


async def _injected_failure(api: Api) -> httpx.Response:
    api.app.state.faults.fail_rate = 1.0
    answer = await api.pay(headers=KEY)
    api.app.state.faults.fail_rate = 0.0
    return answer


@pytest.mark.parametrize(
    ("reject", "status"),
    [(_unauthorized, 401), (_invalid, 400), (_rate_limited, 429), (_injected_failure, 500)],
)
async def test_answers_given_before_execution_are_not_stored(
    api: Api, reject: Callable[[Api], Awaitable[httpx.Response]], status: int
) -> None:
    rejected = await reject(api)
    assert rejected.status_code == status
    assert api.count("payments") == 0
    accepted = await api.pay(headers=KEY)
    assert accepted.status_code == 201
    assert "idempotent-replayed" not in accepted.headers


async def test_a_key_in_flight_gets_409_then_the_answer(api: Api) -> None:
    api.app.state.faults.latency_ms = 300
    answers = await asyncio.gather(api.pay(headers=KEY), api.pay(headers=KEY))
    api.app.state.faults.latency_ms = 0
    by_status = {answer.status_code: answer for answer in answers}
    assert set(by_status) == {201, 409}
    error = error_of(by_status[409])
    assert (error["code"], error["param"]) == ("idempotency_key_in_use", "Idempotency-Key")
    later = await api.pay(headers=KEY)
    assert later.headers["idempotent-replayed"] == "true"
    assert later.text == by_status[201].text
    assert api.count("payments") == 1


@pytest.mark.parametrize(("length", "status"), [(255, 201), (256, 400)])
async def test_keys_are_at_most_255_characters(api: Api, length: int, status: int) -> None:
    answer = await api.pay(headers={"Idempotency-Key": "k" * length})
    assert answer.status_code == status
    if status == 400:
        assert error_of(answer)["param"] == "Idempotency-Key"


async def test_gets_ignore_idempotency_keys(api: Api) -> None:
    payment_id = await api.paid()
    answers = [await api.client.get(f"payments/{payment_id}", headers=KEY) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert "idempotent-replayed" not in answers[1].headers
