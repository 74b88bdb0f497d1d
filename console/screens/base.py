"""`ConsoleScreen`: the header/footer frame, and the error display, every screen shares.

Screens reach the app through `ConsoleApp`, a Protocol of what they use of it, so that
nothing below `console.app` imports it (no import cycle, counting type-checking ones).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from console.error_text import describe_error
from console.screens import registry
from console.widgets.footer import ConsoleFooter
from console.widgets.header import ConsoleHeader

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.config import Profile
    from console.context import Connector, ConsoleContext, Opening

ResultT = TypeVar("ResultT")


class ConsoleApp(Protocol):
    """What screens use of the console's App (`console.app.PaymentsConsoleApp`)."""

    sandbox: Connector | None
    """Starts the local sandbox (the first run's choice), when the console has one."""
    opening: Opening | None
    """The profile the console opens on, when known before the context is loaded."""

    @property
    def ctx(self) -> ConsoleContext: ...

    @property
    def loaded(self) -> bool: ...

    async def until_loaded(self) -> ConsoleContext: ...

    @property
    def read_only(self) -> bool: ...

    def refuses_money(self) -> bool: ...

    async def use_client(self, profile: Profile, client: PaymentsClient) -> None: ...

    async def use_profile(self, profile: Profile, api_key: str) -> None: ...


class ConsoleScreen(Screen[ResultT]):
    """A screen with the console header and footer.

    Subclasses yield their content from `compose_body`. IO runs in
    `@work(exclusive=True, group=..., exit_on_error=False)` async workers that await it,
    then update the screen themselves (dropping an answer that is stale by then), and
    catch its errors with `except Exception` to show them (`show_error`, or under the
    field concerned). A newer worker of the same group cancels the older one: its
    `CancelledError` is no `Exception`, so it passes through unshown. An error a worker
    lets through (a bug in its drawing, say) is shown by `on_worker_state_changed`:
    never a crash, never silence.
    """

    SCREEN_TITLE: ClassVar[str] = ""

    @property
    def console(self) -> ConsoleApp:
        return cast("ConsoleApp", self.app)

    @property
    def ctx(self) -> ConsoleContext:
        return self.console.ctx

    @property
    def shown_payment_id(self) -> str | None:
        """The payment this screen shows, if any: `c` copies it, `r` refunds it."""
        return None

    @property
    def footer_first(self) -> frozenset[str]:
        """The app's actions the footer keeps with this screen's own keys when short of
        room: those on the payment shown, if there is one."""
        return registry.ON_THE_PAYMENT if self.shown_payment_id is not None else frozenset()

    @property
    def leave_refusal(self) -> str | None:
        """Why the merchant may not leave this screen now (a payment or refund is on its
        way: leaving would cancel the request and lose its outcome), or None."""
        return None

    def ask_before_quitting(self) -> bool:
        """True when this screen asks before the console quits (a batch being sent: it is
        stopped cleanly first), and then quits it itself; False: quit as usual."""
        return False

    def compose(self) -> ComposeResult:
        yield ConsoleHeader(self.SCREEN_TITLE)
        yield from self.compose_body()
        yield ConsoleFooter()

    def on_mount(self) -> None:
        """The header follows the app's `profile_revision`: a profile switch shows at once."""
        self.watch(self.app, "profile_revision", self._show_header_profile)

    def _show_header_profile(self) -> None:
        console = self.console
        profile = console.ctx.profile if console.loaded else None
        header = self.query_one(ConsoleHeader)
        if not console.loaded and console.opening is not None:
            header.show(console.opening.profile_name, console.opening.mode)
        elif not console.loaded:
            header.opening()
        elif profile is None:
            header.not_connected()
        else:
            header.show(profile.name, profile.mode, read_only=profile.read_only)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The error of a worker that did not catch it (a cancelled one is no error)."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def warn_unrecorded(self, what: str, journal_error: str | None) -> None:
        """The API made the `what` (payment, refund) but the journal could not record it
        (`journal_error`, None: it could): say so, and how it settles."""
        if journal_error:
            self.app.notify(
                f"{journal_error}. The {what} went through; its journal entry becomes unknown "
                "and settles when it is sent again (u on the home screen).",
                title="Journal not updated",
                severity="warning",
                timeout=15,
            )

    def show_error(self, error: BaseException) -> None:
        """`error` as a notification, in the words of `describe_error`."""
        title, message = describe_error(error)
        self.notify(message, title=title, severity="error", timeout=8)
