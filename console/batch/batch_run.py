"""One batch as the console runs it, UI-free: checked, then sent, stopped, and released.

The command line's steps (`plan.prepare`, then `runner.Runner`, then the report), through
the console's `Session`, at the command line's pace (`pace`: a 429 holds every request of
the batch): its client, so paced, fetches the payments and sends the rows (as
operations), its journal records the batch and every row. On a profile that may move
money, checking the file makes this process the batch's runner (as a live run of the
command does before it asks for the totals), so no other run sends its rows meanwhile;
`close` gives it up, saying whether anything is left to send.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from console.batch.pace import Pace, paced
from console.batch.plan import Fetched, Plan, api_figures, prepare
from console.batch.progress import Progress
from console.batch.report import ReportRow, write_report
from console.batch.rows import BatchKind
from console.batch.runner import Runner, Settled
from console.batch.summary import Tally, report_rows
from console.batch.worktable import WorkRow, WorkTable
from console.session import Connection, Session

CONCURRENCY = 4
"""Requests in flight: the command line's default."""
STOPPED_HERE = "Stopped from the console"


class BatchRun:
    """The batch in the file at `path`: `check` it, then `send` it (once)."""

    def __init__(
        self,
        session: Session,
        path: Path,
        kind: BatchKind,
        *,
        concurrency: int = CONCURRENCY,
        clock: Callable[[], float] = time.monotonic,
        pace: Pace | None = None,
    ) -> None:
        self.session = session
        self.path = path
        self.kind = kind
        self.concurrency = concurrency
        self.clock = clock
        """Seconds, for the rate (the console gives its own clock's)."""
        self.table = WorkTable()
        self.plan: Plan | None = None
        self.runner: Runner | None = None
        self.progress = Progress(0, clock=clock)
        self.pace = pace or Pace()
        """Held by a 429 to any of the batch's requests, for all of them."""
        self._paced: Session | None = None
        self._claimed = False

    @property
    def may_send(self) -> bool:
        """The profile may move money (a read-only one only checks and shows)."""
        profile = self.session.profile
        return profile is not None and not profile.read_only

    async def check(self, fetched: Fetched = lambda done, total: None) -> Plan:
        """Read and check the file, and each refund row against its payment (`fetched`
        hears of each); raises `plan.Invalid` with every problem, or `Refused`,
        `BatchBusy`, `FetchFailed`, or the journal's error. Nothing is sent."""
        session = self._paced_session()
        client, profile = session.require_client(), session.profile
        assert profile is not None
        self.plan = await prepare(
            self.path,
            self.kind,
            profile=profile.name,
            journal=session.journal,
            table=self.table,
            fetch=api_figures(client, session.journal),
            concurrency=self.concurrency,
            now=session.clock,
            claim=self.may_send,
            fetched=fetched,
        )
        self._claimed = self.may_send
        return self.plan

    async def send(
        self,
        on_settled: Callable[[Settled], None],
        on_started: Callable[[WorkRow], None] = lambda row: None,
    ) -> None:
        """Send the rows still to send (`on_started` hears of each as it is sent,
        `on_settled` as it ends, after `progress` counted it), until done or `stop`ped."""
        plan = self.plan
        assert plan is not None and self.runner is None, "check first, and send once"
        operations = self._paced_session().operations()
        self.progress = Progress(plan.to_send, clock=self.clock)

        def settled(row: Settled) -> None:
            self.progress.add(row.status)
            on_settled(row)

        self.runner = Runner(
            plan,
            operations,
            concurrency=self.concurrency,
            on_settled=settled,
            on_started=on_started,
        )
        await self.runner.run()

    def _paced_session(self) -> Session:
        """The console's session, its client's twin keeping the batch's pace (made once)."""
        if self._paced is None:
            session, client = self.session, self.session.require_client()
            assert session.connection is not None
            connection = Connection(session.connection.profile, paced(client, self.pace))
            self._paced = Session(session.journal, clock=session.clock, connection=connection)
        return self._paced

    def stop(self, reason: str = STOPPED_HERE) -> None:
        """No other row starts; the rows in flight finish (see `Runner.stop`)."""
        if self.runner is not None:
            self.runner.stop(reason)

    def rows(self) -> Iterator[WorkRow]:
        return self.table.rows()

    def report(self, tally: Tally) -> Iterator[ReportRow]:
        """The report's rows (as the command writes them), counted in `tally`."""
        stopped = self.runner.stopped if self.runner is not None else None
        return report_rows(self.rows(), tally, dry_run=self.runner is None, stopped=stopped)

    def tally(self) -> Tally:
        tally = Tally()
        for _ in self.report(tally):
            pass
        return tally

    async def write_report(self, path: Path) -> int:
        """Write the report to `path` (the input's dialect); how many rows it has."""
        assert self.plan is not None
        rows = list(self.report(Tally()))
        return await asyncio.to_thread(write_report, path, rows, self.plan.dialect)

    async def close(self) -> None:
        """Give the batch up (nothing left to send: it is finished), then the work table."""
        try:
            if self._claimed and self.plan is not None:
                finished = self.tally().left == 0
                journal, batch_id = self.session.journal, self.plan.identity.id
                now = self.session.clock()
                await asyncio.to_thread(journal.release_batch, batch_id, finished=finished, now=now)
                self._claimed = False
        finally:
            self.table.close()
            if self._paced is not None:
                await self._paced.aclose()  # the twin only: the console's client stays open
