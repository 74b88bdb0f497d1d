"""The Textual app: wiring of screens, bindings, styles and the command palette.

Build it with `make_app(...)`: the command line and the tests hand it its client,
journal, settings, profile and clock, or a loader that reads them after the first frame.
Screens reach them as `self.app.ctx`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import tzinfo
from functools import partialmethod
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import SystemCommand
from textual.binding import BindingType
from textual.command import CommandPalette
from textual.reactive import var
from textual.screen import Screen

import console
from console.clock import Clock, utc_now
from console.context import Connector, ConsoleContext, Loader, Opening, Services
from console.error_text import describe_error
from console.safe_text import for_terminal, one_line
from console.screens import registry
from console.screens.base import ConsoleScreen
from console.screens.home import HomeScreen
from console.screens.palette import system_commands
from console.screens.read_only import ReadOnlyAndKeymap
from console.screens.registry import ACTIONS
from console.session import ClientFactory, default_client_factory

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from console.api.client import PaymentsClient
    from console.config import Profile, Settings
    from console.journal import Journal


def styles_dir() -> Path:
    """styles/ of a checkout (editable install) or console/styles inside the wheel."""
    package = Path(console.__file__).parent
    for candidate in (package / "styles", package.parent / "styles"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the console's styles/*.tcss are missing from this installation")


def stylesheets() -> list[str | PurePath]:
    """app.tcss first, then every other stylesheet (one per screen) in name order."""
    paths = sorted(styles_dir().glob("*.tcss"), key=lambda path: (path.stem != "app", path.name))
    return list(paths)


LOADER_GRACE = 0.05
"""Seconds the console stays still (a screen drawn, no other opened) before the loader
starts: a merchant's first key is served first."""
QUIT_AGAIN_SECONDS = 5.0
"""A second ctrl+q within this time quits even while a request is being sent."""
LOAD = "load-context"


class PaymentsConsoleApp(ReadOnlyAndKeymap):
    """A keyboard-driven console for the Payment Processing API."""

    TITLE = "Payments Console"
    CSS_PATH = stylesheets()

    BINDINGS: ClassVar[list[BindingType]] = list(registry.bindings())
    """One per row of `console.screens.registry.ACTIONS` with a key; each action that opens
    a screen is an `action_<name>` made from `action_open` (see the end of this class)."""

    profile_revision: var[int] = var(0)
    """Bumped whenever ctx.profile or ctx.client changes; headers follow it."""

    def __init__(
        self,
        ctx: ConsoleContext | None = None,
        *,
        load: Callable[[], ConsoleContext] | None = None,
        connect: Connector | None = None,
        sandbox: Connector | None = None,
        opening: Opening | None = None,
        cursor_blink: bool = True,
    ) -> None:
        """Either `ctx`, or `load`: called in a thread after the first frame, it returns
        the context; meanwhile the console says it is opening (on `opening`, if known)."""
        super().__init__()
        self._quit_asked_at = float("-inf")
        if (ctx is None) == (load is None):
            raise TypeError("PaymentsConsoleApp takes either ctx or load")
        self.cursor_blink = cursor_blink
        self._ctx = ctx
        self._load = load
        self.load_error: BaseException | None = None
        """Why `load` failed; the app then exits at once (with return code 1)."""
        self.connect_on_start = connect
        self.sandbox = sandbox
        self.opening = opening
        self._loaded = asyncio.Event()
        if ctx is not None:
            self._apply_settings(ctx)

    @property
    def ctx(self) -> ConsoleContext:
        """The services; only once `loaded` (screens that need them wait for it)."""
        if self._ctx is None:
            raise RuntimeError("the console is still opening: its context is not loaded yet")
        return self._ctx

    @property
    def loaded(self) -> bool:
        return self._ctx is not None

    async def until_loaded(self) -> ConsoleContext:
        """The context, once the loader is done (at once if it is)."""
        if self._ctx is None:
            await self._loaded.wait()
        return self.ctx

    def _apply_settings(self, ctx: ConsoleContext) -> None:
        if ctx.settings.theme in self.available_themes:
            self.theme = ctx.settings.theme
        self.apply_keymap(ctx.settings.keymap)

    def get_default_screen(self) -> Screen[None]:
        return HomeScreen()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens' and widgets' `notify` end here): its text often
        comes from the API or the journal, so it is made safe (`safe_text`) and shown as
        plain text: `markup` is ignored (a `[/]` in an error would break the toast)."""
        super().notify(
            for_terminal(message),
            title=one_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Steady text cursors when asked (snapshots and screenshots must not blink).

        Any widget with a blinking cursor (Input, TextArea...): naming TextArea here would
        import it, and its document machinery, before the first frame.
        """
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    def on_mount(self) -> None:
        if self._load is not None:
            self.call_after_refresh(self.load_context, self._load)
        else:
            self._start()

    def _start(self) -> None:
        """Once the context is there: connect (e.g. start the sandbox), or the first run."""
        if self.connect_on_start is not None:
            self.call_after_refresh(self.run_connector, self.connect_on_start)
        elif self.ctx.client is None:
            self.action_open("first_run")

    async def on_unmount(self) -> None:
        if self._ctx is not None:
            await self._ctx.aclose()

    @work(exclusive=True, group=LOAD, exit_on_error=False)
    async def load_context(self, load: Callable[[], ConsoleContext]) -> None:
        """Read settings and journal in a thread, then show them and go on as `_start`;
        if that fails, exit at once (return code 1, the error in `load_error`)."""
        try:
            await self._quiet_moment()
            ctx = await asyncio.to_thread(load)
            self._ctx = ctx
            self._loaded.set()
            self._apply_settings(ctx)
            self.profile_revision += 1
            self.refresh_bindings()
            self._start()
        except Exception as error:
            self.load_error = error
            self.exit(return_code=1)

    async def _quiet_moment(self) -> None:
        """Until the screen shown has been drawn and none other opened for LOADER_GRACE.

        The loader runs in a thread, but its imports and queries hold the interpreter's
        lock as much as the screens do: started while the merchant opens a screen (`n` at
        the first frame), it would slow that screen's first frame several times over."""
        while True:
            screen = self.screen
            await screen.wait_for_refresh()
            await asyncio.sleep(LOADER_GRACE)
            if self.screen is screen:
                return

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def run_connector(self, connector: Connector) -> None:
        """Obtain a profile and client (e.g. start the sandbox) without blocking the UI;
        if that fails, say why and open the first run."""
        try:
            profile, client = await connector()
            await self.use_client(profile, client)
        except Exception as error:
            title, message = describe_error(error)
            self.notify(message, title=title, severity="error", timeout=10)
            self.action_open("first_run")

    async def use_client(self, profile: Profile, client: PaymentsClient) -> None:
        await self.ctx.use_client(profile, client)
        self.profile_revision += 1

    async def use_profile(self, profile: Profile, api_key: str) -> None:
        """Switch profile (settings screen, first run): builds the client, updates headers."""
        await self.ctx.connect(profile, api_key)
        self.profile_revision += 1

    # --- actions -------------------------------------------------------------

    def _current(self) -> Screen[object]:
        """The screen shown, or the one under the command palette (what it acts on)."""
        return next(s for s in reversed(self.screen_stack) if not isinstance(s, CommandPalette))

    def _shown_payment_id(self) -> str | None:
        shown = getattr(self._current(), "shown_payment_id", None)
        return shown if isinstance(shown, str) else None

    def _typing(self) -> bool:
        """True while a text field (or a searchable select) takes printable keys.

        The command palette's own search field does not count: it asks what the screen
        under it offers.
        """
        focused = self._current().focused
        return focused is not None and focused.check_consume_key("a", "a")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open" and parameters:
            return self.check_action(str(parameters[0]), ())
        if self.hides(action) or (action in self.stand_aside and self._typing()):
            return False
        if action == "copy_id":
            return self._shown_payment_id() is not None
        if action == "back":
            return len(self.screen_stack) > 1
        if action in registry.LEAVING and self._leave_refusal(anywhere=True) is not None:
            return None
        shown = type(self._current())
        if registry.OPENS.get(action) == f"{shown.__module__}:{shown.__qualname__}":
            return False
        if not self.loaded and action in registry.EARLY and self.opening is not None:
            return True
        if action in registry.NEEDS_CONTEXT and not self.loaded:
            return None
        if action in registry.NEEDS_CLIENT and self.ctx.client is None:
            return None
        if action == "first_run":
            return self.ctx.client is None
        return True

    def action_open(self, name: str) -> None:
        """Open the screen of the registry row `name` (imported now, on first use): given
        the payment shown if the row says so, else only if it is not the one shown."""
        row = registry.BY_NAME[name]
        if row.moves_money and self.refuses_money():
            return
        screen_type = row.screen_class()
        if row.payment_id:
            opened: Callable[..., Screen[object]] = screen_type
            self.push_screen(opened(payment_id=self._shown_payment_id()))
        elif type(self._current()) is not screen_type:
            self.push_screen(screen_type())

    def action_copy_id(self) -> None:
        payment_id = self._shown_payment_id()
        if payment_id is not None:
            self.copy_to_clipboard(payment_id)
            self.notify(f"Copied {payment_id}", title="Clipboard")

    async def action_back(self) -> None:
        refusal = self._leave_refusal()
        if refusal is not None:
            self.notify(refusal, title="Please wait", severity="warning")
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    async def action_quit(self) -> None:
        """Quit; while a payment or refund is being sent, only when asked twice; a screen
        that asks first (a batch being sent) quits itself once it may."""
        screens = [s for s in self.screen_stack if isinstance(s, ConsoleScreen)]
        if any(screen.ask_before_quitting() for screen in screens):
            return
        refusal = self._leave_refusal(anywhere=True)
        now = asyncio.get_running_loop().time()
        if refusal is None or now - self._quit_asked_at < QUIT_AGAIN_SECONDS:
            self.exit()
            return
        self._quit_asked_at = now
        self.notify(
            f"{refusal} Press ctrl+q again to quit anyway: the console will then not learn "
            "whether it went through.",
            title="Still sending",
            severity="warning",
        )

    def _leave_refusal(self, *, anywhere: bool = False) -> str | None:
        """Why the current screen (or, `anywhere`, a screen of the stack: the help may be
        open over one that is sending) may not be left now (`ConsoleScreen.leave_refusal`)."""
        screens = reversed(self.screen_stack) if anywhere else [self._current()]
        refusals = (s.leave_refusal for s in screens if isinstance(s, ConsoleScreen))
        return next((refusal for refusal in refusals if refusal is not None), None)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """See `console.screens.palette.system_commands`."""
        return system_commands(self, screen, super().get_system_commands(screen), self.keymap)


for _row in ACTIONS:
    if _row.screen is not None:
        # The binding keeps its action name (footer, keymaps and `app.<name>` use it).
        setattr(
            PaymentsConsoleApp,
            f"action_{_row.action}",
            partialmethod(PaymentsConsoleApp.action_open, _row.action),
        )
del _row


def make_app(
    *,
    client: PaymentsClient | None = None,
    journal: Journal | None = None,
    settings: Settings | None = None,
    profile: Profile | None = None,
    loader: Loader | None = None,
    clock: Clock = utc_now,
    config_path: Path | None = None,
    client_factory: ClientFactory = default_client_factory,
    connect: Connector | None = None,
    sandbox: Connector | None = None,
    opening: Opening | None = None,
    display_tz: tzinfo | None = None,
    cursor_blink: bool = True,
) -> PaymentsConsoleApp:
    """Build the console, on `journal` and `settings`, or on what `loader` returns.

    With a `loader` (and none of client, journal, settings, profile), the first frame
    comes first: the loader runs in a thread after it, and the home screen says the
    console is opening until it is done.

    `client`/`profile` may be None: with `connect`, the app obtains them after its
    first frame; with neither, the first-run screen asks for the local sandbox
    (`sandbox`) or a base URL and key.
    """

    def context(services: Services) -> ConsoleContext:
        PaymentsConsoleApp.check_keymap(services.settings.keymap)
        return ConsoleContext(
            client=services.client,
            journal=services.journal,
            settings=services.settings,
            profile=services.profile,
            clock=clock,
            config_path=config_path,
            client_factory=client_factory,
            display_tz=display_tz,
        )

    if loader is None:
        if journal is None or settings is None:
            raise TypeError("make_app needs a journal and settings (or a loader)")
        services = Services(settings=settings, journal=journal, profile=profile, client=client)
        return PaymentsConsoleApp(
            context(services), connect=connect, sandbox=sandbox, cursor_blink=cursor_blink
        )
    if any(given is not None for given in (client, journal, settings, profile)):
        raise TypeError("make_app takes a loader or client/journal/settings/profile, not both")

    def load() -> ConsoleContext:
        return context(loader())

    return PaymentsConsoleApp(
        load=load, connect=connect, sandbox=sandbox, opening=opening, cursor_blink=cursor_blink
    )
