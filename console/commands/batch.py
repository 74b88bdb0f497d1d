"""`batch refunds FILE` and `batch payments FILE`: a CSV file of refunds or payments, checked
whole before anything is sent, confirmed, sent exactly once, resumable.

The steps: every row read and checked (exit 2 with every problem at once); what the
journal says of each row (a second run resumes the first); refund rows against their
payments; then a dry run shows what would be sent, or a live run is confirmed (`--yes`,
or at a terminal the merchant types each currency's total) and sent (`batch.runner`).
SIGINT, SIGTERM or SIGHUP stops it after the rows in flight (a second one at once: they
stay unknown); either way the report is written and the resume command printed.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sqlite3
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from console.api.errors import PaymentsError
from console.batch.pace import Pace, paced_client_factory
from console.batch.plan import BatchBusy, FetchFailed, Invalid, Plan, Refused, api_figures, prepare
from console.batch.progress import Progress
from console.batch.report import default_report_path
from console.batch.rows import BatchKind
from console.batch.runner import Runner
from console.batch.worktable import WorkTable
from console.commands import batch_output, common
from console.commands.batch_progress import ProgressDisplay
from console.commands.exits import EXIT_API, EXIT_NOT_SENT, EXIT_OK, EXIT_USAGE, Failure, warn
from console.journal import Journal
from console.paths import directory_problem
from console.session import Connection, Session

_T = TypeVar("_T")
_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@dataclass(frozen=True)
class _Batch:
    """What the command line asked."""

    kind: BatchKind
    path: Path
    report: Path
    dry_run: bool
    concurrency: int
    as_json: bool
    yes: bool
    retry_failed: bool
    args: argparse.Namespace


def run(args: argparse.Namespace) -> int:
    path = _input_file(args.file)
    batch = _Batch(
        args.batch_kind,
        path,
        _report_path(args.report, path),
        args.dry_run,
        args.concurrency,
        args.json,
        args.yes,
        args.retry_failed,
        args,
    )
    if not batch.dry_run and not batch.yes and not sys.stdin.isatty():
        raise Failure(
            "--yes is required when stdin is not a terminal (at a terminal, the batch is "
            "confirmed by typing its totals). Nothing was sent"
        )
    pace = Pace()
    connection = _connection(args, pace, batch.concurrency, moves_money=not batch.dry_run)
    journal = common.open_journal(args, sends=True)
    with journal:
        return asyncio.run(_Run(batch, connection, journal).main())


def _input_file(path: Path) -> Path:
    if not path.is_file():
        problem = "no such file" if not path.exists() else "not a file"
        raise Failure(f"{path}: {problem}. Nothing was sent")
    return path


def _report_path(given: Path | None, path: Path) -> Path:
    """The report's path: refused when it is the input, or cannot be written."""
    report = given or default_report_path(path)
    if report.resolve() == path.resolve() or (report.exists() and report.samefile(path)):
        raise Failure(f"--report {report} is the batch file itself: name another. Nothing was sent")
    if report.is_dir():
        raise Failure(f"--report {report} is a directory: name a file. Nothing was sent")
    problem = directory_problem(report) if report.parent.is_dir() else "no such directory"
    if problem is not None:
        raise Failure(
            f"The report cannot be written in {report.parent}: {problem}. Nothing was sent"
        )
    return report


def _connection(
    args: argparse.Namespace, pace: Pace, concurrency: int, *, moves_money: bool
) -> Connection:
    """The profile connected with a client whose every request keeps the batch's pace
    (`common.connection` first: the key's checks and warnings, and a read-only profile
    refused when the batch `moves_money`)."""
    from console import credentials, session

    profile = common.connection(args, moves_money=moves_money).profile
    try:
        return session.connect(profile, client_factory=paced_client_factory(pace, concurrency))
    except (session.ConnectError, credentials.KeyringUnavailableError) as exc:
        raise Failure(str(exc)) from None


class _Run:
    """One run of the command, in its event loop."""

    def __init__(self, batch: _Batch, connection: Connection, journal: Journal) -> None:
        from console.clock import utc_now

        self.batch = batch
        self.connection = connection
        self.journal = journal
        self.now = utc_now
        self.caught: list[str] = []
        self.task: asyncio.Future[Any] | None = None
        self.runner: Runner | None = None
        self.notes: Callable[[str], None] = warn
        """Where a warning goes (the progress display, while it shows)."""

    async def main(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in _SIGNALS:
            loop.add_signal_handler(signum, self._signalled, signum)
        try:
            async with self.connection.client:
                with WorkTable() as table:
                    return await self._batch(table)
        finally:
            for signum in _SIGNALS:
                loop.remove_signal_handler(signum)

    async def _batch(self, table: WorkTable) -> int:
        batch = self.batch
        started = time.monotonic()
        try:
            plan = await self._before_sending(self._prepare(table))
        except Invalid as invalid:
            return batch_output.invalid(invalid, batch.path, batch.as_json)
        checking = time.monotonic() - started
        if batch.dry_run:
            return batch_output.dry_run(plan, batch.report, batch.as_json)
        finished = False
        try:
            if plan.to_send and not batch.yes:
                await self._before_sending(batch_output.confirm(plan, self.connection.profile))
            code, finished = await self._send(plan, checking=checking)
            return code
        finally:
            await self._release(plan, finished)

    async def _release(self, plan: Plan, finished: bool) -> None:
        """The batch is no longer this process's (a journal that cannot say so leaves it
        to a dead process: the next run takes it over)."""
        release = self.journal.release_batch
        try:
            await asyncio.to_thread(release, plan.identity.id, finished=finished, now=self.now())
        except (sqlite3.Error, OSError) as exc:
            warn(f"The journal at {self.journal.path} could not record the end of the batch: {exc}")

    async def _prepare(self, table: WorkTable) -> Plan:
        batch, client = self.batch, self.connection.client
        display = ProgressDisplay(Progress(0), sys.stderr, steps="payments checked")
        try:
            return await prepare(
                batch.path,
                batch.kind,
                profile=self.connection.profile.name,
                journal=self.journal,
                table=table,
                fetch=api_figures(client, self.journal),
                concurrency=batch.concurrency,
                now=self.now,
                retry_failed=batch.retry_failed,
                claim=not batch.dry_run,
                fetched=lambda done, total: display.step(total),
            )
        except BatchBusy as busy:
            raise Failure(str(busy), EXIT_NOT_SENT) from None
        except Refused as refused:
            raise Failure(str(refused), EXIT_USAGE) from None
        except FetchFailed as failed:
            raise Failure(str(failed), EXIT_NOT_SENT) from None
        except (sqlite3.Error, OSError) as exc:  # the journal could not record the batch
            raise Failure(
                f"The journal at {self.journal.path} could not record the batch: {exc}."
                " Nothing was sent",
                EXIT_NOT_SENT,
            ) from None
        finally:
            display.close()

    async def _before_sending(self, step: Coroutine[Any, Any, _T]) -> _T:
        """Run `step`; a signal meanwhile ends the command: nothing was sent."""
        try:
            return await self._cancellable(step)
        except asyncio.CancelledError:
            if not self.caught:
                raise
            raise Failure(
                f"Interrupted ({self.caught[0]}) before anything was sent", EXIT_NOT_SENT
            ) from None
        except PaymentsError as exc:
            raise Failure(f"{exc}. Nothing was sent", EXIT_NOT_SENT) from None

    async def _send(self, plan: Plan, *, checking: float) -> tuple[int, bool]:
        """Send the rows; the exit code, and whether nothing is left to send (`checking`:
        the seconds the file's checks took, for the summary)."""
        session = Session(self.journal, clock=self.now, connection=self.connection)
        operations = session.operations()  # a read-only profile was refused already
        display = ProgressDisplay(Progress(plan.to_send), sys.stderr)
        self.notes = display.note
        self.runner = runner = Runner(
            plan, operations, concurrency=self.batch.concurrency, on_settled=display.settled
        )
        started = time.monotonic()
        try:
            await self._cancellable(runner.run())
        except asyncio.CancelledError:
            if not self.caught:
                raise
            runner.stop(f"Interrupted ({self.caught[0]}) while rows were sent")
        finally:
            display.close()
        seconds = batch_output.Seconds(checking, time.monotonic() - started)
        code = batch_output.summary(plan, self.batch.report, runner, self.batch.args, seconds)
        return code, code in (EXIT_OK, EXIT_API)

    async def _cancellable(self, step: Coroutine[Any, Any, _T]) -> _T:
        """Run `step` as the task a signal cancels."""
        task = asyncio.ensure_future(step)
        self.task = task
        try:
            return await task
        finally:
            self.task = None

    def _signalled(self, signum: int) -> None:
        name = signal.Signals(signum).name
        self.caught.append(name)
        runner = self.runner
        if runner is not None and len(self.caught) == 1:
            runner.stop(f"Interrupted ({name})")
            in_flight = len(runner.in_flight)
            self.notes(
                f"{name}: stopping once the {in_flight} row{'s' if in_flight != 1 else ''} in"
                " flight are answered (again to stop at once: their outcome would be unknown)"
            )
        elif self.task is not None:
            self.task.cancel()
