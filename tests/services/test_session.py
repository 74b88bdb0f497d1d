"""The session: one way from a profile and its key to a client and its operations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import keyring
import pytest
from fastapi import FastAPI

from console import credentials, session
from console.api.client import PaymentsClient
from console.api.errors import AuthenticationError
from console.api.models import PaymentCreate
from console.config import Profile
from console.error_text import describe_error
from console.journal import Journal
from console.profile import ReadOnlyProfileError
from console.session import ConnectError, Connection, MissingKeyError, NotConnectedError, Session
from tests.fake_keys import live_key

TEST_KEY = "sk_test_session0123"
PROFILE = Profile(name="shop", base_url="http://127.0.0.1:9", mode="test")


def clock() -> datetime:
    return datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as opened:
        yield opened


def asgi_factory(app: FastAPI) -> session.ClientFactory:
    def build(profile: Profile, key: str) -> PaymentsClient:
        return PaymentsClient(
            "http://127.0.0.1/v1", key, transport=httpx.ASGITransport(app=app), max_retries=0
        )

    return build


def test_the_stored_key_is_used_and_a_missing_one_is_named() -> None:
    with pytest.raises(MissingKeyError, match="No API key for profile 'shop'"):
        session.connect(PROFILE)
    credentials.set_key("shop", TEST_KEY)
    connection = session.connect(PROFILE)
    assert connection.profile == PROFILE and connection.key_warning is None


def test_the_environment_key_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_password(credentials.SERVICE, "shop", "not a key at all")
    with pytest.raises(ConnectError, match="keyring's key for profile 'shop'") as caught:
        session.connect(PROFILE)
    assert "not a key" not in str(caught.value)
    monkeypatch.setenv(credentials.ENV_VAR, live_key("with spaces") + " x")
    with pytest.raises(ConnectError, match=rf"^{credentials.ENV_VAR}: Not an API key"):
        session.connect(PROFILE)
    monkeypatch.setenv(credentials.ENV_VAR, TEST_KEY)
    assert session.connect(PROFILE).profile == PROFILE


def test_a_given_key_is_shape_checked_and_never_shown() -> None:
    with pytest.raises(ConnectError, match=r"^the key: Not an API key") as caught:
        session.connect(PROFILE, "sk_test short key")
    assert "short" not in str(caught.value)


def test_a_profile_the_client_refuses_is_a_connect_error_naming_it() -> None:
    remote = PROFILE.model_copy(update={"base_url": "http://payments.example.com"})
    with pytest.raises(ConnectError, match=r"^Profile 'shop': ") as caught:
        session.connect(remote, TEST_KEY)
    assert TEST_KEY not in str(caught.value)


def test_a_key_of_another_mode_is_a_warning() -> None:
    live = PROFILE.model_copy(update={"mode": "live"})
    connection = session.connect(live, TEST_KEY)
    assert connection.key_warning is not None and "live mode" in connection.key_warning


async def test_verify_asks_the_api(sandbox_app: FastAPI) -> None:
    build = asgi_factory(sandbox_app)
    good = session.connect(PROFILE, sandbox_app.state.api_key, client_factory=build)
    await session.verify(good)
    bad = session.connect(PROFILE, TEST_KEY, client_factory=build)
    with pytest.raises(AuthenticationError):
        await session.verify(bad)
    await good.client.aclose()
    await bad.client.aclose()


def test_keys_are_saved_and_removed_in_the_keyring() -> None:
    session.save_key(PROFILE, TEST_KEY)
    assert credentials.get_key("shop") == TEST_KEY
    assert session.remove_key("shop") is True
    assert session.remove_key("shop") is False


async def test_operations_are_bound_to_the_connected_profile(
    sandbox_app: FastAPI, journal: Journal
) -> None:
    current = Session(journal, clock=clock, client_factory=asgi_factory(sandbox_app))
    with pytest.raises(NotConnectedError):
        current.operations()
    await current.use(current.connect(PROFILE, sandbox_app.state.api_key))
    request = PaymentCreate(amount=Decimal("4.20"), currency="USD", source="tok_visa")
    sent = await current.operations().create_payment(request)
    entry = journal.get(sent.entry_id)
    assert entry is not None
    assert (entry.profile, entry.status, entry.created_at) == ("shop", "succeeded", clock())
    await current.aclose()
    assert current.client is None


async def test_switching_closes_the_previous_client(sandbox_app: FastAPI, journal: Journal) -> None:
    build = asgi_factory(sandbox_app)
    first = build(PROFILE, TEST_KEY)
    current = Session(journal, connection=Connection(PROFILE, first))
    other = PROFILE.model_copy(update={"name": "other"})
    await current.use(current.connect(other, TEST_KEY))
    assert first._http.is_closed and current.profile == other
    await current.aclose()


def test_a_chosen_profile_without_a_key_is_the_profile_but_not_connected(
    journal: Journal,
) -> None:
    current = Session(journal, profile=PROFILE)
    assert current.profile == PROFILE and current.client is None
    with pytest.raises(NotConnectedError):
        current.require_client()


async def test_a_read_only_profile_has_no_operations(
    sandbox_app: FastAPI, journal: Journal
) -> None:
    audit = PROFILE.model_copy(update={"name": "audit", "read_only": True})
    current = Session(journal, client_factory=asgi_factory(sandbox_app))
    await current.use(current.connect(audit, sandbox_app.state.api_key))
    with pytest.raises(ReadOnlyProfileError, match="Profile 'audit' is read-only"):
        current.operations()
    assert describe_error(ReadOnlyProfileError(audit))[0] == "Read-only profile"
    await current.aclose()
