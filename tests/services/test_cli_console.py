"""`payments-console [--sandbox]`: what the command line hands to the TUI's make_app.

make_app is replaced by a recorder whose run() does what the app does with the loader
(in a thread after the first frame), the connector and the client; the TUI itself is
tested under tests/tui.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from console.api.errors import NotFoundError
from console.cli import main
from console.config import Profile, Settings, data_dir, save_settings
from console.context import Services
from console.credentials import set_key
from console.journal import Journal
from screenshots.memory_keyring import MemoryKeyring


@dataclass
class Recorder:
    calls: list[dict[str, Any]] = field(default_factory=list)
    loaded: list[Services] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    base_urls: list[str] = field(default_factory=list)

    def make_app(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        recorder = self

        class App:
            return_code = None
            load_error: BaseException | None = None

            def run(self) -> None:
                try:
                    services = kwargs["loader"]()
                except Exception as exc:  # the app exits and keeps it for the command line
                    self.load_error = exc
                    return
                recorder.loaded.append(services)
                asyncio.run(recorder.use(services, kwargs))

        return App()

    async def use(self, services: Services, kwargs: dict[str, Any]) -> None:
        assert isinstance(services.journal, Journal)
        client, profile = services.client, services.profile
        if kwargs["connect"] is not None:
            profile, client = await kwargs["connect"]()
        if client is None or profile is None:
            return
        self.base_urls.append(client.base_url)
        try:
            await client.get_payment("pay_missing")
        except NotFoundError as exc:
            self.seen.append(f"{profile.name}:{profile.mode}:{exc}")
        finally:
            await client.aclose()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr("console.app.make_app", recorder.make_app)
    return recorder


def port_open(url: str) -> bool:
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) == 0


def test_sandbox_starts_a_server_and_never_touches_the_keyring(recorder: Recorder) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # any keyring use would fail
    assert main(["--sandbox"]) == 0
    [loaded] = recorder.loaded
    # Connected from the start: the sandbox's address and key are known before it is up.
    assert loaded.profile is not None and loaded.client is not None
    assert (loaded.profile.name, loaded.profile.mode) == ("sandbox", "sandbox")
    assert loaded.client.base_url == loaded.profile.base_url
    assert recorder.seen == ["sandbox:sandbox:Payment not found"]
    [base_url] = recorder.base_urls
    assert base_url.startswith("http://127.0.0.1:")
    assert not port_open(base_url), "the sandbox server was not stopped"
    assert (data_dir() / "sandbox.db").exists()


def test_a_configured_profile_gets_its_client(
    recorder: Recorder, sandbox_server: Any, memory_keyring: MemoryKeyring
) -> None:
    profile = Profile(name="local", base_url=sandbox_server.base_url, mode="test")
    save_settings(Settings().with_profile(profile))
    set_key("local", sandbox_server.api_key)
    assert main([]) == 0
    [call] = recorder.calls
    [loaded] = recorder.loaded
    assert loaded.profile == profile
    assert call["connect"] is None
    assert call["sandbox"] is not None  # the first-run screen may offer it
    assert recorder.seen == ["local:test:Payment not found"]


def test_a_profile_without_a_key_opens_without_a_client(recorder: Recorder) -> None:
    profile = Profile(name="shop", base_url="https://api.example.com/v1", mode="live")
    save_settings(Settings().with_profile(profile))
    assert main(["--profile", "shop"]) == 0
    [loaded] = recorder.loaded
    assert (loaded.profile, loaded.client) == (profile, None)


def test_no_profile_at_all_opens_the_first_run(recorder: Recorder) -> None:
    assert main([]) == 0
    [call] = recorder.calls
    [loaded] = recorder.loaded
    assert (loaded.profile, loaded.client, call["connect"]) == (None, None, None)
    assert loaded.settings == Settings()


def test_unknown_profile_or_keyring_close_the_tui_with_one_line(
    recorder: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--profile", "nope"]) == 2
    assert "Unknown profile 'nope'" in capsys.readouterr().err
    save_settings(
        Settings().with_profile(Profile(name="a", base_url="https://a.example", mode="test"))
    )
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "No usable OS keyring" in err
    assert "--sandbox" in err
    assert recorder.loaded == []


def test_a_malformed_key_in_the_environment_closes_the_tui_with_one_line(
    recorder: Recorder, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    save_settings(
        Settings().with_profile(Profile(name="a", base_url="https://a.example", mode="test"))
    )
    monkeypatch.setenv("PAYMENTS_API_KEY", "sk_test_abc defghijk")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "PAYMENTS_API_KEY" in err and "defghijk" not in err
    assert recorder.loaded == []


def test_opening_the_console_recovers_operations_a_stopped_console_abandoned(
    recorder: Recorder,
) -> None:
    from datetime import UTC, datetime

    from console.journal import default_journal_path

    with Journal(default_journal_path()) as journal:
        entry = journal.record_pending(
            kind="payment",
            profile="sandbox",
            idempotency_key="left-pending",
            request={"source": "tok_visa"},
            now=datetime(2024, 6, 10, 12, tzinfo=UTC),
        )
    assert main(["--sandbox"]) == 0
    with Journal(default_journal_path()) as journal:
        recovered = journal.get(entry)
    assert recovered is not None
    assert recovered.status == "unknown"
