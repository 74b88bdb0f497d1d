"""First run: no profile and no key yet. Offer the local sandbox, or a profile and its key.

The profile is written in the settings screen's `ProfileForm` (every field, each problem
under it). The key is checked against the API first; then the profile is saved and the
key kept in the OS keyring, or, without a usable keyring, used for this run only, with
the command that gives it next time (`settings_io.save_profile` says which).
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, LoadingIndicator, Select

from console import credentials, session
from console.api.errors import AuthenticationError
from console.config import Profile
from console.error_text import describe_error
from console.screens import settings_io
from console.screens.base import ConsoleScreen
from console.screens.profile_form import ProfileForm
from console.widgets.panels import ErrorPanel

CONNECT = "connect"
KEY_NOTE = "key-note"
DEFAULT_BASE_URL = "https://api.paymentprocessing.com/v1"


class FirstRunScreen(ConsoleScreen[None]):
    """Choose where payments go; the key is checked against the API, then kept."""

    SCREEN_TITLE = "Welcome"

    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012 (as Screen types it)
    """Below 30 rows the form's rows close up, so that the whole form fits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "connect", "Connect", id="first_run.connect", tooltip="Check and save"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False

    def compose_body(self) -> ComposeResult:
        sandbox_ready = self.console.sandbox is not None
        with Vertical(id="first-run"):
            yield Label("No API is connected yet. Where should payments go?", id="first-run-intro")
            with Horizontal(id="sandbox-choice"):
                yield Button(
                    "Use the local sandbox",
                    id="use-sandbox",
                    variant="primary",
                    compact=True,
                    disabled=not sandbox_ready,
                )
                yield Label(
                    "A test API on this machine: nothing real is charged, no key needed."
                    if sandbox_ready
                    else "Start the console with --sandbox to use the local sandbox.",
                    classes="choice-help",
                )
            yield ProfileForm(id="first-run-form")
            yield Button(
                "Connect ^s", id="first-run-connect", compact=True, action="screen.connect"
            )
            yield ErrorPanel(id="first-run-error")
            with Horizontal(id="first-run-progress", classes="progress-row"):
                yield LoadingIndicator()
                yield Label("Checking the key with the API…", id="first-run-progress-text")

    def on_mount(self) -> None:
        self.query_one("#first-run-progress").display = False
        profile = self.ctx.profile  # chosen, its key missing (or none yet)
        start = profile.model_dump() if profile else {"name": "default"}
        form = self.query_one(ProfileForm)
        form.show_new(
            title="Or connect to an API with your key",
            start={"base_url": DEFAULT_BASE_URL, **start},
        )
        self.read_key_note()
        self.query_one("#use-sandbox" if self.console.sandbox else "#profile-key").focus()

    @work(exclusive=True, group=KEY_NOTE, exit_on_error=False)
    async def read_key_note(self) -> None:
        """Say where the key will be kept (the keyring, or this run only)."""
        note = await asyncio.to_thread(settings_io.where_the_key_goes)
        self.query_one(ProfileForm).show_key_note(note)

    @on(Input.Changed, "#profile-key")
    def _infer_mode(self, event: Input.Changed) -> None:
        mode = credentials.infer_mode(event.value.strip())
        if mode is not None:
            self.query_one("#profile-mode", Select).value = mode

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "profile-key":
            self.action_connect()
        else:
            self.focus_next()

    @on(Button.Pressed, "#use-sandbox")
    def _use_sandbox(self) -> None:
        if not self.busy:
            self._busy("Starting the local sandbox…")
            self.start_sandbox()

    def action_connect(self) -> None:
        if self.busy:
            return
        form = self.query_one(ProfileForm)
        read = form.read(None, set())
        if read is None:
            return
        profile, typed = read
        key = typed or credentials.env_key() or ""
        if not key:
            form.show_errors({"key": f"Paste the API key (or set {credentials.ENV_VAR})"})
            return
        self._busy("Checking the key with the API…")
        self.connect(profile, key)

    def _busy(self, text: str) -> None:
        self.busy = True
        self.query_one(ErrorPanel).clear()
        self.query_one("#first-run-progress-text", Label).update(text)
        self.query_one("#first-run-progress").display = True
        self.query_one("#first-run").disabled = True

    @work(exclusive=True, group=CONNECT, exit_on_error=False)
    async def start_sandbox(self) -> None:
        connector = self.console.sandbox
        assert connector is not None
        try:
            profile, client = await connector()
            await self.console.use_client(profile, client)
        except Exception as error:
            self._not_connected(error)
            return
        self._connected(f"Connected to {profile.base_url}")

    @work(exclusive=True, group=CONNECT, exit_on_error=False)
    async def connect(self, profile: Profile, key: str) -> None:
        """Check the key with the API, save the profile (and the key, if a keyring takes
        it), use it."""
        ctx = self.ctx
        try:
            connection = ctx.session.connect(profile, key)
            try:
                await session.verify(connection)
                saved = await settings_io.save_profile(ctx, profile, key)
            except BaseException:
                await connection.client.aclose()
                raise
            await self.console.use_client(profile, connection.client)
        except Exception as error:
            self._not_connected(error)
            return
        if saved.keyring_problem is None:
            self._connected(f"Connected to {profile.base_url}. {saved.describe()}")
        else:  # what to run next time: long enough to read, copy or note down
            self._connected(f"Connected for this run only. {saved.describe()}", warning=True)

    def _connected(self, message: str, *, warning: bool = False) -> None:
        if warning:
            self.notify(message, title="Key not stored", severity="warning", timeout=30)
        else:
            self.notify(message, title="Ready")
        self.dismiss(None)

    def _not_connected(self, error: Exception) -> None:
        self.busy = False
        self.query_one("#first-run-progress").display = False
        self.query_one("#first-run").disabled = False
        self.query_one(ErrorPanel).show_message(*describe_error(error))
        if isinstance(error, AuthenticationError):
            form = self.query_one(ProfileForm)
            form.show_errors({"key": "The API did not accept this key"})
            self.query_one("#profile-key").focus()
