"""Home: operations whose outcome is unknown, then recent activity from the journal.

Only the current profile's operations (every profile's while none is chosen): another
profile's were sent to another API, which is where they can be opened or retried.

While the console is opening (settings and journal not loaded yet), it says so; the
app's `profile_revision` bump when they are loaded fills it in.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Label

from console.display import amount_text, local_time
from console.safe_text import one_line
from console.screens.base import ConsoleScreen
from console.screens.confirm import ConfirmScreen
from console.widgets.panels import status_content

if TYPE_CHECKING:
    from console.journal import JournalEntry

LOAD = "load-journal"
RETRY = "retry"
RECENT_LIMIT = 50
UNKNOWN_LIMIT = 20
AMOUNT_WIDTH = 15
COLUMNS = (("Time", 23), ("Kind", 7), ("Payment", 30), ("Amount", AMOUNT_WIDTH), ("Status", 9))


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
        self.entries: dict[int, JournalEntry] = {}
        self.unknown: list[JournalEntry] = []

    def compose_body(self) -> ComposeResult:
        yield Label("", id="unknown-title")
        yield DataTable(id="unknown", cursor_type="row")
        yield Label("Recent activity", id="recent-title", classes="section-title")
        yield DataTable(id="recent", cursor_type="row", zebra_stripes=True)
        yield Label("", id="home-hint")

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            for label, width in COLUMNS:
                table.add_column(label, width=width)
        self._show_unknown([], 0)
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
        try:
            # A console or command that stopped while sending leaves its entry pending: unknown.
            await asyncio.to_thread(journal.recover_abandoned, now=self.ctx.clock())
            recent = await asyncio.to_thread(journal.recent, RECENT_LIMIT, profile=profile)
            unknown = await asyncio.to_thread(journal.unknown, UNKNOWN_LIMIT, profile=profile)
            unknown_total = await asyncio.to_thread(journal.count_unknown, profile=profile)
        except Exception as error:
            self.show_error(error)
            return
        self.entries = {}
        self._show_unknown(unknown, unknown_total)
        self._fill(self.query_one("#recent", DataTable), recent)
        self._show_hint(bool(recent))
        focus = "#unknown" if unknown else "#recent"
        self.query_one(focus, DataTable).focus()
        self.refresh_bindings()

    def _row(self, entry: JournalEntry) -> tuple[str | Text | Content, ...]:
        """Journal text as `Text` (never read as markup) made safe to draw."""
        return (
            local_time(entry.created_at, self.ctx.display_tz),
            Text(one_line(entry.kind)),
            Text(one_line(entry.payment_id or "") or "—"),
            Text(one_line(amount_text(entry.amount, entry.currency)).rjust(AMOUNT_WIDTH)),
            status_content(entry.status),
        )

    def _fill(self, table: DataTable[Any], entries: list[JournalEntry]) -> None:
        cursor = table.cursor_row
        table.clear()
        for entry in entries:
            self.entries[entry.id] = entry
            table.add_row(*self._row(entry), key=str(entry.id))
        if entries:
            table.move_cursor(row=min(cursor, len(entries) - 1))

    def _show_unknown(self, unknown: list[JournalEntry], total: int) -> None:
        """The newest unknown outcomes (at most UNKNOWN_LIMIT) under a title with them all."""
        self.unknown = unknown
        title = self.query_one("#unknown-title", Label)
        table = self.query_one("#unknown", DataTable)
        title.display = table.display = bool(unknown)
        shown = "" if total == len(unknown) else f", the newest {len(unknown)} here"
        title.update(
            f"⚠ {total} operation{'s' if total != 1 else ''} with an unknown outcome{shown} · "
            "u sends it again with its idempotency key"
        )
        self._fill(table, unknown)

    def _show_hint(self, has_entries: bool) -> None:
        hint = self.query_one("#home-hint", Label)
        if self.ctx.client is None:
            hint.update("Not connected yet.  s settings · ? help")
        elif has_entries:
            hint.update("Enter opens the selected payment · n new payment · / find · r refund")
        else:
            hint.update("Nothing sent yet.  n take a payment · / find a payment · ? help")

    # --- opening and retrying -----------------------------------------------------

    def _selected(self, table_id: str) -> JournalEntry | None:
        table = self.query_one(f"#{table_id}", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.entries.get(int(key)) if key is not None else None

    def _retry_target(self) -> JournalEntry | None:
        focused = self.focused
        if focused is not None and focused.id == "recent":
            entry = self._selected("recent")
            return entry if entry is not None and entry.status == "unknown" else None
        return self._selected("unknown")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self._retry_target() is not None
        if action == "reload":
            return self.console.loaded
        return True

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        entry = self.entries.get(int(key)) if key is not None else None
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
        if entry is None:
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
