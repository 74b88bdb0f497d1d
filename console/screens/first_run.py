"""First run: no profile and no key yet. Offer the local sandbox, or a base URL and key."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, LoadingIndicator, Select

from console import credentials, session
from console.api.errors import AuthenticationError
from console.config import MODES, Profile, save_settings
from console.error_text import describe_error
from console.screens.base import ConsoleScreen
from console.widgets.panels import ErrorPanel, FormField

CONNECT = "connect"
DEFAULT_BASE_URL = "https://api.paymentprocessing.com/v1"


class FirstRunScreen(ConsoleScreen[None]):
    """Choose where payments go; the key is checked against the API, then kept in the keyring."""

    SCREEN_TITLE = "Welcome"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "connect", "Connect", id="first_run.connect", tooltip="Check and save"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False

    def compose_body(self) -> ComposeResult:
        profile = self.ctx.profile
        sandbox_ready = self.console.sandbox is not None
        with Vertical(id="first-run"):
            yield Label("No API is connected yet. Where should payments go?", id="first-run-intro")
            with Horizontal(id="sandbox-choice"):
                yield Button(
                    "Use the local sandbox",
                    id="use-sandbox",
                    variant="primary",
                    disabled=not sandbox_ready,
                )
                yield Label(
                    "A test API on this machine: nothing real is charged, no key needed."
                    if sandbox_ready
                    else "Start the console with --sandbox to use the local sandbox.",
                    classes="choice-help",
                )
            yield Label("Or connect to an API with your key", classes="section-title")
            yield FormField(
                "Profile name",
                Input(value=profile.name if profile else "default", id="profile-name"),
                name="profile-name",
            )
            yield FormField(
                "Base URL",
                Input(value=profile.base_url if profile else DEFAULT_BASE_URL, id="base-url"),
                name="base-url",
            )
            with Horizontal(id="key-row"):
                yield FormField(
                    "API key (kept in the OS keyring, never in a file)",
                    Input(password=True, placeholder="sk_test_...", id="api-key"),
                    name="api-key",
                )
                yield FormField(
                    "Mode",
                    Select(
                        [(mode.upper(), mode) for mode in MODES],
                        value=profile.mode if profile else "test",
                        allow_blank=False,
                        id="mode",
                    ),
                    name="mode",
                )
            yield ErrorPanel(id="first-run-error")
            with Horizontal(id="first-run-progress", classes="progress-row"):
                yield LoadingIndicator()
                yield Label("Checking the key with the API…", id="first-run-progress-text")

    def on_mount(self) -> None:
        self.query_one("#first-run-progress").display = False
        self.query_one("#use-sandbox" if self.console.sandbox else "#api-key").focus()

    @on(Input.Changed, "#api-key")
    def _infer_mode(self, event: Input.Changed) -> None:
        mode = credentials.infer_mode(event.value.strip())
        if mode is not None:
            self.query_one("#mode", Select).value = mode

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "api-key":
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
        name = self.query_one("#profile-name", Input).value.strip()
        key = self.query_one("#api-key", Input).value.strip()
        mode = self.query_one("#mode", Select).value
        problems: dict[str, str | None] = {"profile-name": None, "base-url": None, "api-key": None}
        profile: Profile | None = None
        try:
            profile = Profile(
                name=name,
                base_url=self.query_one("#base-url", Input).value,
                mode=mode if isinstance(mode, str) else "test",
            )
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                field = "base-url" if "base_url" in error["loc"] else "profile-name"
                problems[field] = str(error["msg"]).removeprefix("Value error, ")
        try:
            credentials.check_key_shape(key)
        except ValueError as exc:
            problems["api-key"] = str(exc)
        for field, message in problems.items():
            self.query_one(f"#field-{field}", FormField).set_error(message)
        if profile is None or problems["api-key"] is not None:
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
        self._connected()

    @work(exclusive=True, group=CONNECT, exit_on_error=False)
    async def connect(self, profile: Profile, key: str) -> None:
        """Check the key with the API, keep it in the keyring, save the profile, use it."""
        ctx = self.ctx
        try:
            connection = ctx.session.connect(profile, key)
            try:
                await session.verify(connection)
            except BaseException:
                await connection.client.aclose()
                raise
            await asyncio.to_thread(session.save_key, profile, key)
            settings = ctx.settings.with_profile(profile, make_default=True)
            await asyncio.to_thread(save_settings, settings, ctx.config_path)
            ctx.settings = settings
            await self.console.use_client(profile, connection.client)
        except Exception as error:
            self._not_connected(error)
            return
        self._connected()

    def _connected(self) -> None:
        profile = self.ctx.profile
        self.notify(f"Connected to {profile.base_url}" if profile else "Connected", title="Ready")
        self.dismiss(None)

    def _not_connected(self, error: Exception) -> None:
        self.busy = False
        self.query_one("#first-run-progress").display = False
        self.query_one("#first-run").disabled = False
        self.query_one(ErrorPanel).show_message(*describe_error(error))
        if isinstance(error, AuthenticationError):
            self.query_one("#field-api-key", FormField).set_error("The API did not accept this key")
            self.query_one("#api-key").focus()
