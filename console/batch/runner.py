"""Sending a batch's rows, exactly once: each through the journal (`Operations`: recorded
as pending with its key before it is sent), `concurrency` at a time, in line order.

Each row is sent with its own key: a new row with its row key, a row sent before whose
outcome is unknown (or which never reached the API) again as journaled with its key
(`Operations.retry`), a refused row the merchant sends again with a retry key. Every row
ends `done`, `refused`, `unknown` (it may have happened: the next run sends it again with
its key) or `not_sent`; why a failed row failed is kept in the journal (`batch_rows`), so
the next run knows a refusal from a request that never reached the API.

What stops a run: `stop()` (Ctrl-C, SIGTERM: the rows in flight finish, no other starts),
a 401 or 403 (the key is refused: no other row would pass), the API or the journal out of
reach. A 429 holds the whole batch (`pace`); a 5xx or a dropped connection is retried by
the client's policy, and a row still unknown after it is left for the next run.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import cast

from console.api.errors import (
    APIConnectionError,
    AuthenticationError,
    CardError,
    ForbiddenError,
    RateLimitError,
)
from console.api.models import Payment, PaymentCreate, Refund, RefundCreate
from console.batch.plan import Plan
from console.batch.report import ReportStatus
from console.batch.worktable import TO_SEND, WorkRow
from console.journal import RowOutcome
from console.operations import (
    JournalWriteError,
    NotRetryableError,
    OperationFailed,
    Operations,
    Sent,
)

INTERRUPTED = "Interrupted before its answer arrived: its outcome is unknown"


@dataclass(frozen=True)
class Settled:
    """How a row ended in this run."""

    row: WorkRow
    status: ReportStatus
    result_id: str | None = None
    """The refund or payment made (a declined payment's, for a refused payment row)."""
    error: str | None = None
    entry_id: int | None = None
    """The journal entry of this attempt (None when nothing could be journaled)."""
    journal_error: str | None = None
    """Why the journal could not record the answer (it settles on the next run)."""


class Runner:
    """Sends a plan's rows; `on_started` hears of each row as it is sent, `on_settled` as
    it ends."""

    def __init__(
        self,
        plan: Plan,
        operations: Operations,
        *,
        concurrency: int,
        on_settled: Callable[[Settled], None] = lambda settled: None,
        on_started: Callable[[WorkRow], None] = lambda row: None,
    ) -> None:
        self.plan = plan
        self.operations = operations
        self.concurrency = concurrency
        self.on_settled = on_settled
        self.on_started = on_started
        self.stopped: str | None = None
        """Why the run stopped before its end, once it did."""
        self.in_flight: set[int] = set()
        """The lines being sent right now."""
        self.sent = 0
        """Rows settled in this run."""

    def stop(self, reason: str) -> None:
        """Start no other row (the rows in flight finish); the first reason is kept."""
        self.stopped = self.stopped or reason

    async def run(self) -> None:
        """Send every row still to send, or until stopped; cancelling it leaves the rows
        in flight unknown (recorded so in the journal, and in the work table)."""
        rows = self.plan.table.rows(TO_SEND)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.concurrency):
                    group.create_task(self._sender(rows))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def _sender(self, rows: Iterator[WorkRow]) -> None:
        for row in rows:
            if self.stopped:
                return
            self.in_flight.add(row.line)
            self.on_started(row)
            try:
                settled = await self._send(row)
            except asyncio.CancelledError:
                self._settle(Settled(row, "unknown", error=INTERRUPTED))
                raise
            finally:
                self.in_flight.discard(row.line)
            if settled.status in ("refused", "not_sent"):
                settled = await self._record_failure(settled)
            self._settle(settled)

    async def _send(self, row: WorkRow) -> Settled:
        try:
            sent = await self._sent(row)
        except OperationFailed as failed:
            return self._failed(row, failed)
        except NotRetryableError as exc:  # another process sent it since this run began
            return Settled(row, "unknown", error=str(exc), entry_id=row.entry_id)
        return Settled(row, "done", sent.result.id, None, sent.entry_id, sent.journal_error)

    async def _sent(self, row: WorkRow) -> Sent[Payment] | Sent[Refund]:
        operations, identity = self.operations, self.plan.identity
        if row.state == "resend":
            assert row.entry_id is not None
            return await operations.retry(row.entry_id)
        if row.state == "retry":
            assert row.entry_id is not None
            key = identity.retry_key(row.line, row.entry_id)
        else:
            key = identity.row_key(row.line)
        fresh = row.state == "new"  # no entry has its key: the plan found none, under claim
        if self.plan.kind == "refunds":
            assert row.payment_id is not None
            refund = RefundCreate(payment_id=row.payment_id, amount=row.amount)
            return await operations.create_refund(
                refund, idempotency_key=key, currency=row.currency, fresh=fresh
            )
        payment = PaymentCreate.model_validate(row.request)
        return await operations.create_payment(payment, idempotency_key=key, fresh=fresh)

    def _failed(self, row: WorkRow, failed: OperationFailed) -> Settled:
        cause = failed.cause
        turned_away = isinstance(cause, AuthenticationError | ForbiddenError | RateLimitError)
        if isinstance(cause, AuthenticationError | ForbiddenError):
            self.stop(f"The API refused the key: {failed}")
        elif isinstance(cause, JournalWriteError) or (
            isinstance(cause, APIConnectionError) and not cause.may_have_reached_server
        ):
            self.stop(str(failed))
        status: ReportStatus = "not_sent"
        if failed.outcome == "unknown":
            status = "unknown"
        elif failed.outcome == "refused" and not turned_away:
            status = "refused"
        declined = cause.payment_id if isinstance(cause, CardError) else None
        return Settled(row, status, declined, str(failed), failed.entry_id, failed.journal_error)

    async def _record_failure(self, settled: Settled) -> Settled:
        """Keep why the row failed (`refused` or `not_sent`) beside its journal entry. A
        journal that cannot say it only costs the next run a resend with the row's key
        (the API answers as it did), which the returned row's `journal_error` says."""
        if settled.entry_id is None:
            return settled  # nothing was journaled: nothing to say of it
        outcome = cast(RowOutcome, settled.status)
        journal, batch_id = self.operations.journal, self.plan.identity.id
        try:
            await asyncio.to_thread(
                journal.record_row_failure, batch_id, settled.row.line, settled.entry_id, outcome
            )
        except (sqlite3.Error, OSError) as exc:
            error = JournalWriteError(journal.path, f"why row {settled.row.line} failed", exc)
            return replace(settled, journal_error=str(error))
        return settled

    def _settle(self, settled: Settled) -> None:
        self.sent += 1
        self.plan.table.settle(
            settled.row.line,
            settled.status,
            result_id=settled.result_id,
            error=settled.error,
        )
        self.on_settled(settled)
