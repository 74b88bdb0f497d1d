"""Fault injection: latency, injected 500s, rate limits and answers dropped after commit."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from console.sandbox.faults import Faults
from console.sandbox.server import SandboxServer
from tests.sandbox.conftest import Api, client_for, error_of


def test_faults_are_off_by_default() -> None:
    assert not Faults().active
    assert Faults(latency_ms=1).active


@pytest.mark.parametrize(
    "settings",
    [{"latency_ms": -1}, {"fail_rate": 1.5}, {"drop_after_commit": -0.1}, {"rate_limit": 0}],
)
def test_impossible_faults_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        Faults(**settings)  # type: ignore[arg-type]


def test_faults_from_the_environment() -> None:
    env = {
        "PAYMENTS_SANDBOX_LATENCY_MS": "25",
        "PAYMENTS_SANDBOX_FAIL_RATE": "0.5",
        "PAYMENTS_SANDBOX_RATE_LIMIT": "7",
        "PAYMENTS_SANDBOX_DROP_AFTER_COMMIT": " 0.25 ",
        "PAYMENTS_SANDBOX_SEED": "3",
    }
    assert Faults.from_env(env) == Faults(25, 0.5, 7, 0.25, 3)
    assert Faults.from_env({}) == Faults()
    with pytest.raises(ValueError, match="PAYMENTS_SANDBOX_FAIL_RATE must be a number"):
        Faults.from_env({"PAYMENTS_SANDBOX_FAIL_RATE": "often"})


async def test_latency_delays_every_answer(api: Api) -> None:
    payment_id = await api.paid()
    api.app.state.faults.latency_ms = 120
    started = time.perf_counter()
    await api.client.get(f"payments/{payment_id}")
    await api.pay()
    assert time.perf_counter() - started >= 0.24


async def test_injected_failures_answer_500_and_do_nothing(api: Api) -> None:
    api.app.state.faults.fail_rate = 1.0
    answers = [await api.pay(), await api.client.get("payments/pay_x")]
    for answer in answers:
        assert answer.status_code == 500
        assert error_of(answer)["code"] == "api_error"
    assert api.count("payments") == 0


def test_seeded_failures_repeat() -> None:
    def pattern() -> list[int]:
        with SandboxServer(faults=Faults(fail_rate=0.5, seed=7)) as server:
            headers = {"Authorization": f"Bearer {server.api_key}"}
            with httpx.Client(base_url=server.base_url + "/", headers=headers) as client:
                return [client.get("payments/pay_x").status_code for _ in range(20)]

    first = pattern()
    assert set(first) == {404, 500}
    assert pattern() == first


async def test_over_the_rate_limit_answers_429_with_retry_after(api: Api) -> None:
    api.app.state.faults.rate_limit = 2
    answers = await asyncio.gather(*(api.client.get("payments/pay_x") for _ in range(10)))
    statuses = [answer.status_code for answer in answers]
    # 10 requests span at most two one-second windows: at most 4 get through.
    assert statuses.count(404) <= 4
    limited = [answer for answer in answers if answer.status_code == 429]
    assert len(limited) >= 6
    assert limited[0].headers["retry-after"] == "1"
    assert error_of(limited[0])["code"] == "rate_limited"


async def test_rate_limits_count_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_SANDBOX_API_KEY", "sk_test_another_merchant_key")
    from console.sandbox.app import create_app

    app = create_app(faults=Faults(rate_limit=1))
    other = {"Authorization": "Bearer sk_test_another_merchant_key"}
    async with client_for(app) as client:
        mine = [await client.get("payments/pay_x") for _ in range(3)]
        theirs = await client.get("payments/pay_x", headers=other)
    # Three requests span at most two one-second windows: one of mine is limited,
    # while theirs is the first of its key in any window.
    assert 429 in [answer.status_code for answer in mine]
    assert theirs.status_code == 404
    app.state.store.close()


def test_a_dropped_answer_is_a_disconnect_after_commit(sandbox_server: SandboxServer) -> None:
    """What idempotency keys exist for: the payment is made, the answer never comes."""
    sandbox_server.app.state.faults.drop_after_commit = 1.0
    headers = {"Authorization": f"Bearer {sandbox_server.api_key}", **{"Idempotency-Key": "k"}}
    payload = b'{"amount": 3, "currency": "USD", "source": "tok_visa"}'
    with httpx.Client(base_url=sandbox_server.base_url + "/", headers=headers) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.post("payments", content=payload)
        sandbox_server.app.state.faults.drop_after_commit = 0.0
        retried = client.post("payments", content=payload)
        assert retried.status_code == 201
        assert retried.headers["idempotent-replayed"] == "true"
        # The server keeps serving on new connections after a drop.
        assert client.get(f"payments/{retried.json()['id']}").status_code == 200


async def test_in_process_a_dropped_answer_raises_the_same_httpx_error(api: Api) -> None:
    api.app.state.faults.drop_after_commit = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        await api.pay()
    api.app.state.faults.drop_after_commit = 0.0
    assert api.count("payments") == 1
