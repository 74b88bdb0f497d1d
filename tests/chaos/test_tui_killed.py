"""The console (TUI) killed with SIGKILL while a payment is on its way, as a real process
in tmux: the next console shows the entry as unknown at once, and `u` settles it with
exactly one payment (rows counted in the sandbox)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from tests.chaos.harness import ROOT, Cli, Sandbox, running

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One console in a detached tmux session on its own socket, at 100x30."""

    def __init__(self, socket: str, cli: Cli) -> None:
        self.socket = socket
        self.cli = cli

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def open_console(self, session: str) -> int:
        """Start `python -m console` (Textual draws on stderr: never redirected); its pid."""
        env = {**self.cli.env(), "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        exports = " ".join(f"{name}={value}" for name, value in env.items())
        command = f"cd {ROOT} && exec env -i {exports} {sys.executable} -m console"
        self.tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
        self.tmux("set-option", "-t", session, "remain-on-exit", "on")
        return int(self.tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())

    def keys(self, session: str, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", session, key)
            time.sleep(0.15)

    def screen(self, session: str) -> str:
        return self.tmux("capture-pane", "-p", "-t", session)

    def wait_for(self, session: str, check: Callable[[str], bool], timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen(session)
            if check(shown):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"timed out; the screen shows:\n{self.screen(session)}")


@pytest.fixture
def tmux(cli: Cli) -> Iterator[Tmux]:
    terminal = Tmux(f"chaos-tui-{os.getpid()}", cli)
    yield terminal
    subprocess.run(["tmux", "-L", terminal.socket, "kill-server"], capture_output=True)


def test_the_console_killed_mid_payment_then_u_settles_it_once(
    sandbox: Sandbox, cli: Cli, tmux: Tmux
) -> None:
    with running(sandbox, "--latency", "4000"):
        cli.configure()
        pid = tmux.open_console("first")
        tmux.wait_for("first", lambda shown: "SANDBOX" in shown and "New payment" in shown)
        tmux.keys("first", "n")
        tmux.wait_for("first", lambda shown: "Amount" in shown)
        tmux.keys("first", *"12.34", "Tab", "Tab", *"tok_visa", "C-s")
        tmux.wait_for("first", lambda shown: "Take this payment?" in shown)
        tmux.keys("first", "y")
        tmux.wait_for("first", lambda shown: "Charging USD 12.34" in shown)
        cli.wait_for_entry("pending")
        os.kill(pid, signal.SIGKILL)  # mid-request: the sandbox is still waiting
        # The sandbox either finishes the request nobody will hear back from or drops it
        # with the connection: either way the next console must not know which.
        time.sleep(5)
        assert sandbox.count() in (0, 1)

        tmux.open_console("second")
        shown = tmux.wait_for("second", lambda shown: "unknown outcome" in shown)
        assert "USD 12.34" in shown
        [entry] = cli.entries()
        assert entry.status == "unknown"  # at once, not after ten minutes
        tmux.keys("second", "u")
        tmux.wait_for("second", lambda shown: "Retry this operation?" in shown)
        tmux.keys("second", "y")
        tmux.wait_for("second", lambda shown: "Retry answered" in shown, timeout=30)
        [settled] = cli.entries()
        assert (settled.id, settled.status) == (entry.id, "succeeded")
        assert sandbox.count() == 1


_PAY_AND_WAIT = """
import asyncio, sys
from datetime import UTC, datetime
from decimal import Decimal
from console.operations import Operations
from console.api.client import PaymentsClient
from console.api.models import PaymentCreate
from console.journal import Journal

async def main() -> None:
    request = PaymentCreate(amount=Decimal("7.00"), currency="USD", source="tok_visa")
    async with PaymentsClient(sys.argv[1], sys.argv[2]) as client:
        with Journal(sys.argv[3]) as journal:
            chaos = Operations(client, journal, "chaos", lambda: datetime.now(UTC))
            await chaos.create_payment(request)

asyncio.run(main())
"""


async def test_a_console_killed_mid_payment_is_unknown_at_once_in_the_next_one(
    sandbox: Sandbox, cli: Cli
) -> None:
    """The pilot side: the operations a console runs, in a real process SIGKILLed while
    its POST waits in the sandbox; the next console (pilot) shows it unknown at once."""
    from console.api.client import PaymentsClient
    from console.app import make_app
    from console.config import Profile, Settings
    from console.journal import Journal
    from console.screens.confirm import ConfirmScreen
    from console.screens.home import HomeScreen

    with running(sandbox, "--latency", "1500"):
        cli.journal_path.parent.mkdir(parents=True)
        child = subprocess.Popen(
            [sys.executable, "-c", _PAY_AND_WAIT, sandbox.base_url, sandbox.api_key,
             str(cli.journal_path)],
            cwd=ROOT,
        )  # fmt: skip
        cli.wait_for_entry("pending")
        time.sleep(0.3)
        child.kill()
        child.wait()
        time.sleep(1.5)  # the sandbox finishes (or drops) the request nobody hears back about
        assert sandbox.count() in (0, 1)

        profile = Profile(name="chaos", base_url=sandbox.base_url, mode="sandbox")
        with Journal(cli.journal_path) as journal:
            async with PaymentsClient(sandbox.base_url, sandbox.api_key) as client:
                app = make_app(
                    client=client,
                    journal=journal,
                    settings=Settings().with_profile(profile),
                    profile=profile,
                    cursor_blink=False,
                )
                async with app.run_test(size=(100, 30)) as pilot:
                    await pilot.pause()
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    home = app.screen
                    assert isinstance(home, HomeScreen)
                    assert [entry.status for entry in home.unknown] == ["unknown"]
                    await pilot.press("u")
                    await pilot.pause()
                    assert isinstance(app.screen, ConfirmScreen)
                    await pilot.press("y")
                    await pilot.pause()
                    await app.workers.wait_for_complete()
                    await pilot.pause()
                    assert home.unknown == []
            [entry] = journal.recent()
        assert entry.status == "succeeded"
        assert sandbox.count() == 1
