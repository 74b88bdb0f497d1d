"""Batch refunds or payments from a CSV file, as `payments-console batch` runs them.

The path (completed as it is typed), refunds or payments, Enter: the file is checked
whole (`console.batch`: every problem with its line and column, nothing can be sent until
there is none), then each row shows what would happen, with the totals per currency.
`ctrl+s` asks (in live mode each currency's total is typed), then sends, with a progress
bar and live counts; afterwards `f` lists the rows that failed (Enter shows one whole)
and `e` exports the report (the command line's CSV). Esc or ctrl+q while rows are sent
asks first, then stops cleanly: the rows in flight finish, the rest stay unsent, and the
batch resumes when it is opened again (the home screen offers it).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, ProgressBar, RadioButton, RadioSet

from console.batch.batch_run import BatchRun
from console.batch.plan import Invalid, Plan
from console.batch.rows import BatchKind
from console.batch.runner import Settled
from console.batch.stopped import StoppedBatch, stopped_batch
from console.batch.worktable import WorkRow
from console.error_text import describe_error
from console.profile import ReadOnlyProfileError
from console.safe_text import one_line
from console.screens import batch_tables as tables
from console.screens.batch_confirm import send_question, stop_question
from console.screens.batch_export import ReportExport
from console.screens.batch_paths import PathSuggester, path_problem
from console.widgets.panels import FormField

CHECK = "batch-check"
SEND = "batch-send"
TABLES = ("#batch-problems", "#batch-rows", "#batch-failed")
SEND_KEY = "ctrl+s"


class BatchScreen(ReportExport):
    """Choose a file, check it, see the dry run, send it, watch it, read what failed."""

    SCREEN_TITLE = "Batch"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(SEND_KEY, "send", "Send", id="batch.send", tooltip="Confirm, then send the rows"),
        Binding("f", "failed", "Failed rows", id="batch.failed", tooltip="Rows not done, or all"),
        Binding("e", "export", "Export report", id="batch.export", tooltip="The report as CSV"),
        Binding(
            "escape", "leave", "Back", id="batch.back", tooltip="Back (asks first while sending)"
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan: Plan | None = None
        self._sending = False
        self._then: str | None = None
        """What to do once the rows in flight are answered: 'back' or 'quit'."""
        self._asking = False
        self._failed: list[WorkRow] = []
        """The rows the last run left refused, unknown or not sent."""

    @property
    def leave_refusal(self) -> str | None:
        if self._sending:
            return "A batch is being sent: esc asks to stop it first."
        return None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="batch-choose"):
            yield FormField(
                "CSV file",
                Input(
                    placeholder="e.g. ~/refunds.csv (→ completes)",
                    suggester=PathSuggester(),
                    id="batch-path",
                ),
                name="batch-path",
            )
            with RadioSet(id="batch-kind"):
                yield RadioButton("Refunds", value=True, id="batch-refunds")
                yield RadioButton("Payments", id="batch-payments")
        yield Label("Type the file's path, then Enter checks it.", id="batch-status")
        for selector in TABLES:
            yield DataTable[Text](id=selector[1:], cursor_type="row")
        yield Label("", id="batch-detail")
        with Horizontal(id="batch-progress"):
            yield ProgressBar(show_eta=False, id="batch-bar")
            yield Label("", id="batch-counts")
        yield Label("", id="batch-totals")
        yield Label("", id="batch-report")

    def on_mount(self) -> None:
        super().on_mount()
        for selector in (*TABLES, "#batch-detail", "#batch-progress", "#batch-report"):
            self.query_one(selector).display = False
        self.query_one("#batch-path", Input).focus()
        self.find_stopped()

    async def on_unmount(self) -> None:
        """The batch is given up (a run that cannot say so is taken over by the next)."""
        if self.run is not None:
            run, self.run = self.run, None
            try:
                await run.close()
            except Exception as error:  # the journal: the next run takes the batch over
                self.app.notify(describe_error(error)[1], title="Batch", severity="warning")

    # --- choosing and checking the file ----------------------------------------------

    @work(exclusive=True, group=CHECK, exit_on_error=False)
    async def find_stopped(self) -> None:
        """Open on the batch the last run left half-way, if there is one: it is checked."""
        profile = self.ctx.journal_profile
        if profile is None:
            return
        stopped = await asyncio.to_thread(stopped_batch, self.ctx.journal, profile)
        if stopped is not None and not self.query_one("#batch-path", Input).value:
            self._open_stopped(stopped)

    def _open_stopped(self, stopped: StoppedBatch) -> None:
        self.query_one("#batch-path", Input).value = str(stopped.path)
        self.query_one(f"#batch-{stopped.kind}", RadioButton).value = True
        self._check(stopped.path, stopped.kind, f"{stopped.describe()}: checking it to resume…")

    @property
    def kind(self) -> BatchKind:
        return "payments" if self.query_one("#batch-payments", RadioButton).value else "refunds"

    @on(Input.Submitted, "#batch-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._sending:
            return
        path = Path(event.value.strip()).expanduser()
        problem = path_problem(event.value)
        self.query_one("#field-batch-path", FormField).set_error(problem)
        if problem is None:
            self._check(path, self.kind, f"Checking {path.name}…")

    @on(Input.Changed, "#batch-path")
    def _typed(self) -> None:
        self.query_one("#field-batch-path", FormField).set_error(None)

    def _check(self, path: Path, kind: BatchKind, status: str) -> None:
        self.plan, self._failed = None, []
        self._show_table(None)
        self.query_one("#batch-totals", Label).update("")
        self.query_one("#batch-report").display = False
        self.query_one("#batch-progress").display = False
        self._status(status)
        self.refresh_bindings()
        self.check(path, kind)

    @work(exclusive=True, group=CHECK, exit_on_error=False)
    async def check(self, path: Path, kind: BatchKind) -> None:
        """Check the file (a new run: the last one is given up), then show the problems or
        the dry run."""
        await self._drop_run()
        if self._sent_elsewhere(path):
            self._status(
                f"{path.name} is being sent by another batch screen: let it finish (esc there"
                " stops it), then Enter checks it again here. Nothing was sent from here."
            )
            return
        self.run = run = BatchRun(self.ctx.session, path, kind, clock=self._seconds)

        def fetched(done: int, total: int) -> None:
            self._status(f"Checking {path.name}: {done:,} of {total:,} payments fetched…")

        try:
            plan = await run.check(fetched)
        except Invalid as invalid:
            self._show_invalid(path, invalid)
            return
        except Exception as error:
            title, message = describe_error(error)
            self._status(f"{title}: {message}")
            return
        self.plan = plan
        self._show_plan(plan)

    async def _drop_run(self) -> None:
        if self.run is not None:
            run, self.run = self.run, None
            await run.close()

    def _show_invalid(self, path: Path, invalid: Invalid) -> None:
        count = len(invalid.problems)
        self._status(
            f"{path.name}: {count:,} problem{'' if count == 1 else 's'}: fix the file, then"
            " Enter checks it again. Nothing can be sent until there is none."
        )
        table = self._show_table("#batch-problems")
        tables.show_problems(table, invalid.problems, invalid.header, self.size.width)

    def _show_plan(self, plan: Plan) -> None:
        assert self.run is not None
        table = self._show_table("#batch-rows")
        left_out = tables.show_rows(table, plan.kind, self.run.rows(), self.size.width)
        more = f" (the first {tables.SHOWN_ROWS:,} shown)" if left_out else ""
        done = plan.counts.get("done", 0)
        earlier = f", {done:,} done in an earlier run" if done else ""
        if not plan.to_send:
            then = "nothing left to send"
        elif not self.run.may_send:
            then = "a read-only profile: nothing can be sent"
        else:
            then = "ctrl+s sends it"
        self._status(f"{plan.path.name}: {plan.rows:,} rows{more}{earlier}, all checked: {then}.")
        totals = tables.totals_line(plan.kind, plan.totals, done=False)
        self.query_one("#batch-totals", Label).update(Text(one_line(totals)))
        table.focus()
        self.refresh_bindings()

    # --- sending ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        run, plan = self.run, self.plan
        if action == "send":
            if plan is None or run is None:
                return False
            return run.runner is None and run.may_send and plan.to_send > 0
        if action == "failed":
            return bool(self._failed) and not self._sending
        if action == "export":
            return self.plan is not None and not self._sending
        return True

    def on_key(self, event: events.Key) -> None:
        """The send key on a read-only profile (where sending is not offered): say why."""
        if event.key == SEND_KEY and self.plan is not None and self._refuses_money():
            event.stop()

    def _refuses_money(self) -> bool:
        """On a read-only profile, say (as elsewhere) that it never pays or refunds."""
        profile = self.ctx.profile
        if profile is None or not profile.read_only:
            return False
        self.show_error(ReadOnlyProfileError(profile))
        return True

    def action_send(self) -> None:
        plan, profile = self.plan, self.ctx.profile
        if plan is None or profile is None or self._refuses_money():
            return
        if not self.check_action("send", ()):
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed and self.check_action("send", ()):
                self.send()

        self.app.push_screen(send_question(plan, profile), answered)

    @work(exclusive=True, group=SEND, exit_on_error=False)
    async def send(self) -> None:
        """Send the rows, the bar and counts following each; then what became of them."""
        run = self.run
        assert run is not None and self.plan is not None
        self._sending = True
        self.query_one("#batch-progress").display = True
        bar = self.query_one("#batch-bar", ProgressBar)
        bar.update(total=max(self.plan.to_send, 1), progress=0)
        self._status(f"Sending {self.plan.path.name}: esc stops it (asks first).")
        self.refresh_bindings()
        try:
            await run.send(self._settled, self._started)
        except Exception as error:
            self.show_error(error)
        finally:
            self._sending = False
        self._show_done(run)
        await self._after_stop()

    def _started(self, row: WorkRow) -> None:
        tables.show_sending(self.query_one("#batch-rows", DataTable), row)

    def _settled(self, settled: Settled) -> None:
        assert self.run is not None
        self.query_one("#batch-bar", ProgressBar).advance(1)
        self.query_one("#batch-counts", Label).update(tables.counts_line(self.run.progress))
        tables.show_settled(self.query_one("#batch-rows", DataTable), settled)
        self.warn_unrecorded("row", settled.journal_error)

    def _show_done(self, run: BatchRun) -> None:
        plan = run.plan
        assert plan is not None
        tally = run.tally()
        self.query_one("#batch-counts", Label).update(tables.counts_line(run.progress))
        status = tables.summary_line(plan.path.name, plan.rows, tally, plan.counts.get("done", 0))
        stopped = run.runner.stopped if run.runner is not None else None
        if tally.left:
            why = f" {one_line(stopped)}." if stopped else ""
            status += f".{why} {tally.left:,} not done: Enter checks the file again to send them."
        self._failed = tables.failed_rows(run.rows())
        self._status(f"{status}. f lists the rows that failed." if self._failed else status)
        totals = tables.totals_line(plan.kind, tally.moved, done=True)
        self.query_one("#batch-totals", Label).update(Text(one_line(totals)))
        if self._failed:
            self.action_failed()
        self.refresh_bindings()

    def action_failed(self) -> None:
        """The rows that failed; again: every row."""
        if self.query_one("#batch-failed").display:
            self._show_table("#batch-rows").focus()
            return
        table = self._show_table("#batch-failed")
        tables.show_failed(table, self._failed, self.size.width)
        table.focus()

    @on(DataTable.RowSelected, "#batch-failed")
    def _open_failed(self, event: DataTable.RowSelected) -> None:
        """The row's error whole, under the table."""
        line = int(str(event.row_key.value))
        row = next(row for row in self._failed if row.line == line)
        detail = self.query_one("#batch-detail", Label)
        detail.update(Text(tables.detail_line(row)))
        detail.display = True

    # --- leaving ------------------------------------------------------------------------

    def action_leave(self) -> None:
        if self._sending:
            self._ask_to_stop("back")
        else:
            self.app.pop_screen()

    def ask_before_quitting(self) -> bool:
        """While rows are sent: ask, stop, then quit. Once stopping, ctrl+q quits at once
        (the rows in flight are then unknown, and sent again on the next run)."""
        if not self._sending or self._then is not None:
            return False
        self._ask_to_stop("quit")
        return True

    def _ask_to_stop(self, then: str) -> None:
        run = self.run
        if self._asking or run is None or run.runner is None:
            return
        self._asking = True
        left = run.progress.total - run.progress.settled - len(run.runner.in_flight)

        def answered(stop: bool | None) -> None:
            self._asking = False
            if stop and self._sending:
                self._then = then
                run.stop()
                self._status("Stopping: the rows in flight finish, then the batch stops…")

        self.app.push_screen(stop_question(len(run.runner.in_flight), left), answered)

    async def _after_stop(self) -> None:
        then, self._then = self._then, None
        if then == "quit":
            self.app.exit()
        elif then == "back":
            self.app.pop_screen()

    # --- helpers ------------------------------------------------------------------------

    def _sent_elsewhere(self, path: Path) -> bool:
        """Whether another batch screen of this console is sending the file at `path`."""
        return any(
            isinstance(screen, BatchScreen)
            and screen is not self
            and screen._sending
            and screen.run is not None
            and screen.run.path.resolve() == path.resolve()
            for screen in self.app.screen_stack
        )

    def _seconds(self) -> float:
        """The console's clock in seconds (the rate; a fixed clock in tests)."""
        return self.ctx.clock().timestamp()

    def _status(self, text: str) -> None:
        self.query_one("#batch-status", Label).update(Text(one_line(text)))

    def _show_table(self, selector: str | None) -> DataTable[Text]:
        """Only the table `selector` shown (None: none)."""
        for table in TABLES:
            self.query_one(table).display = table == selector
        self.query_one("#batch-detail").display = False
        return self.query_one(selector or TABLES[0], DataTable)
