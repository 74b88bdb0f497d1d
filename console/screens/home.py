"""Home: operations whose outcome is unknown, the day at a glance, then recent activity.

Only the current profile's operations (every profile's while none is chosen): another
profile's were sent to another API, which is where they can be opened or retried. The
day's figures (payments taken, refunded, net, per currency, and a 14-day sparkline of
net volume) are the current profile's, summed by the journal for the merchant's local
day: the console's clock, in the display time zone (None: this machine's offset now).
Unknown outcomes stay first: they are in no figure until the API settles them.

While the console is opening (settings and journal not loaded yet), it says so; the
app's `profile_revision` bump when they are loaded fills it in.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Label

from console.batch.stopped import stopped_batch
from console.display import amount_text
from console.safe_text import one_line
from console.screens import registry
from console.screens.base import ConsoleScreen
from console.screens.confirm import ConfirmScreen
from console.screens.keymap import keys_text
from console.widgets.day_figures import DayFigures
from console.widgets.entry_cells import entry_columns
from console.widgets.entry_table import Column, EntryTable

if TYPE_CHECKING:
    from console.figures import RecentDays
    from console.journal import JournalEntry

LOAD = "load-journal"
RETRY = "retry"
RECENT_LIMIT = 50
UNKNOWN_LIMIT = 20


def describe_entry(entry: JournalEntry) -> str:
    """'payment of USD 100.00 (tok_visa)', 'refund of USD 5.00 for pay_1', 'full refund of ...'
    (journal text made safe to draw: `safe_text.one_line`)."""
    if entry.kind == "payment":
        amount = amount_text(entry.amount, entry.currency)
        return one_line(f"payment of {amount} ({entry.request.get('source', '?')})")
    if entry.amount is None:
        return one_line(f"full refund of {entry.payment_id}")
    return one_line(f"refund of {amount_text(entry.amount, entry.currency)} for {entry.payment_id}")


class HomeScreen(ConsoleScreen[None]):
    """Recent payments and refunds; Enter opens one, `u` retries an unknown one."""

    SCREEN_TITLE = "Home"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "u",
            "retry",
            "Retry unknown",
            id="home.retry",
            tooltip="Send the selected unknown operation again with its idempotency key",
        ),
        Binding(
            "g",
            "reload",
            "Reload",
            id="home.reload",
            show=False,
            tooltip="Read the journal again",
        ),
        Binding(
            "w",
            "app.first_run",
            "Connect",
            id="home.connect",
            tooltip="Choose the local sandbox or enter a base URL and key",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.unknown: list[JournalEntry] = []
        self.columns: tuple[Column, ...] | None = None
        """The tables' columns, in the display time zone (None until the journal is read)."""

    def compose_body(self) -> ComposeResult:
        columns = entry_columns(None, datetime.now(UTC))  # in the display zone once loaded
        yield Label("", id="home-batch", classes="section-title", markup=False)
        yield Label("", id="unknown-title")
        yield EntryTable(columns, id="unknown")
        yield DayFigures(id="figures")
        yield Label("Recent activity", id="recent-title", classes="section-title")
        yield EntryTable(columns, id="recent", zebra_stripes=True)
        yield Label("", id="home-hint")

    def on_mount(self) -> None:
        self._show_unknown([], 0)
        self.query_one("#home-batch").display = False
        self.query_one("#recent").display = self.query_one("#recent-title").display = False
        if not self.console.loaded:
            self.query_one("#home-hint", Label).update("Opening…")
        self.watch(self.app, "profile_revision", self.action_reload, init=False)

    def on_screen_resume(self) -> None:
        if self.console.loaded:
            self.load()

    def action_reload(self) -> None:
        self.load()

    @work(exclusive=True, group=LOAD, exit_on_error=False)
    async def load(self) -> None:
        """Read the journal (in threads: a locked journal never freezes the console), then
        show the unknown outcomes and the recent activity."""
        journal, profile = self.ctx.journal, self.ctx.journal_profile
        now = self.ctx.clock()
        try:
            # A console or command that stopped while sending leaves its entry pending: unknown.
            await asyncio.to_thread(journal.recover_abandoned, now=now)
            recent = await asyncio.to_thread(journal.recent, RECENT_LIMIT, profile=profile)
            unknown = await asyncio.to_thread(journal.unknown, UNKNOWN_LIMIT, profile=profile)
            unknown_total = await asyncio.to_thread(journal.count_unknown, profile=profile)
            days = await asyncio.to_thread(self._recent_days, profile, now)
            stopped = (
                None
                if profile is None
                else await asyncio.to_thread(stopped_batch, journal, profile)
            )
        except Exception as error:
            self.show_error(error)
            return
        self.columns = entry_columns(self.ctx.display_tz, now)
        batch = self.query_one("#home-batch", Label)
        resume = "" if self.ctx.profile is None or self.ctx.profile.read_only else " · b to resume"
        batch.update(f"{stopped.describe()}{resume}" if stopped else "")
        batch.display = stopped is not None
        self._show_unknown(unknown, unknown_total)
        self.query_one(DayFigures).show(days)
        self._show_recent(recent)
        focus = "#unknown" if unknown else "#recent"
        self.query_one(focus, EntryTable).focus()
        self.refresh_bindings()

    def _recent_days(self, profile: str | None, now: datetime) -> RecentDays | None:
        """The profile's last 14 local days in figures (None while no profile is chosen:
        figures are one profile's)."""
        if profile is None:
            return None
        tz: tzinfo | None = self.ctx.display_tz or now.astimezone().tzinfo
        assert tz is not None
        return self.ctx.journal.recent_days(profile, now=now, tz=tz)

    def _show_unknown(self, unknown: list[JournalEntry], total: int) -> None:
        """The newest unknown outcomes (at most UNKNOWN_LIMIT) under a title with them all."""
        self.unknown = unknown
        title = self.query_one("#unknown-title", Label)
        table = self.query_one("#unknown", EntryTable)
        title.display = table.display = bool(unknown)
        shown = "" if total == len(unknown) else f", the newest {len(unknown)} here"
        settle = (
            "sent again only when not read-only"
            if self.console.read_only
            else "u sends it again with its idempotency key"
        )
        title.update(
            f"⚠ {total} operation{'s' if total != 1 else ''} with an unknown outcome{shown} · "
            + settle
        )
        table.show(unknown, self.columns)

    def _show_recent(self, recent: list[JournalEntry]) -> None:
        """The recent activity (title and table hidden while there is none), and the hint."""
        table = self.query_one("#recent", EntryTable)
        table.show(recent, self.columns)
        table.display = self.query_one("#recent-title").display = bool(recent)
        self._show_hint(bool(recent))

    def _show_hint(self, has_entries: bool) -> None:
        hint = self.query_one("#home-hint", Label)
        key = self._key
        if self.ctx.client is None:
            hint.update(f"Not connected yet.  {key('settings')} settings · {key('help')} help")
        elif self.console.read_only:
            hint.update(
                f"Read-only profile: Enter opens the selected payment · {key('find_payment')}"
                f" find · {key('history')} history"
            )
        elif has_entries:
            hint.update(
                f"Enter opens the selected payment · {key('new_payment')} new payment"
                f" · {key('find_payment')} find · {key('refund')} refund"
            )
        else:
            hint.update(
                f"Nothing sent yet.  {key('new_payment')} take a payment"
                f" · {key('find_payment')} find a payment · {key('help')} help"
            )

    def _key(self, action: str) -> str:
        """The first key of the app's `action` in force (keymap applied), as the footer
        shows it."""
        binding = registry.BY_NAME[action].binding()
        return keys_text(self.app, binding, self.ctx.settings.keymap).split(" / ")[0]

    # --- opening and retrying -----------------------------------------------------

    def _selected(self, table_id: str) -> JournalEntry | None:
        return self.query_one(f"#{table_id}", EntryTable).selected

    def _retry_target(self) -> JournalEntry | None:
        focused = self.focused
        if focused is not None and focused.id == "recent":
            entry = self._selected("recent")
            return entry if entry is not None and entry.status == "unknown" else None
        return self._selected("unknown")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return not self.console.read_only and self._retry_target() is not None
        if action == "reload":
            return self.console.loaded
        return True

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        table = event.data_table
        entry = table.selected if isinstance(table, EntryTable) else None
        if entry is None:
            return
        if entry.status == "unknown":
            self.action_retry()
        elif entry.payment_id is not None:
            from console.screens.payment_detail import PaymentDetailScreen

            self.app.push_screen(PaymentDetailScreen(entry.payment_id))
        else:
            self.notify(entry.error or "This operation has no payment ID.", title="Nothing to open")

    def action_retry(self) -> None:
        entry = self._retry_target()
        if entry is None or self.console.refuses_money():
            return
        key = entry.idempotency_key
        message = (
            f"Send the {describe_entry(entry)} again with its original idempotency key "
            f"(…{key[-8:]}). If the first attempt went through, the API answers with "
            "that result instead of charging again."
        )
        self.app.push_screen(
            ConfirmScreen("Retry this operation?", message, confirm_label="Retry"),
            lambda confirmed: self._confirmed_retry(entry.id, confirmed),
        )

    def _confirmed_retry(self, entry_id: int, confirmed: bool | None) -> None:
        if confirmed:
            self.retry(entry_id)

    @work(exclusive=True, group=RETRY, exit_on_error=False)
    async def retry(self, entry_id: int) -> None:
        """Send entry `entry_id` again with its key, say what the API answered, read the
        journal again."""
        from console.api.models import Refund  # loaded by now; not before the first frame

        try:
            sent = await self.ctx.operations().retry(entry_id)
        except Exception as error:
            self.show_error(error)
        else:
            kind = "Refund" if isinstance(sent.result, Refund) else "Payment"
            self.notify(f"{kind} {sent.result.id}: {sent.result.status}", title="Retry answered")
            self.warn_unrecorded(kind.lower(), sent.journal_error)
        self.load()
