"""A batch before anything is sent: its file read and checked, what the journal says of
each row (a run of the same file again resumes it), each refund row against its payment,
and the totals the merchant confirms.

`prepare` does it all, in this order, and raises `Invalid` with every problem of the file
at once (nothing is sent then). Rows already sent are not checked again: a row done is
done, and a row whose outcome is unknown is sent again exactly as journaled (its amount
too: an empty amount resolved to what remained then), since the API's answer to its key
settles it. The rows still to send are checked against the payments as they are now; the
API refuses any refund beyond what remains, so a row re-sent beside them never
over-refunds a payment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from console.api.client import PaymentsClient, backoff_delay
from console.api.errors import APIConnectionError, NotFoundError, PaymentsError, RateLimitError
from console.api.retry import transient
from console.batch.batch_file import BatchFile
from console.batch.csv_file import Dialect
from console.batch.identity import BatchIdentity
from console.batch.problems import Problem
from console.batch.refund_plan import refund_problems, resolve_refund
from console.batch.rows import BatchKind
from console.batch.totals import CurrencyTotal, totals
from console.batch.worktable import TO_SEND, RowState, WorkTable
from console.display import local_time
from console.entries import JournalEntry
from console.journal import Journal, RowOutcome
from console.refunds import RefundFigures

FETCH_ATTEMPTS = 4
"""How many times a payment is fetched (each with the client's own retries) before the
batch stops for it."""

FetchFigures = Callable[[str], Awaitable[RefundFigures | None]]
"""A payment's refund figures from the API, None when it has no such payment."""
Fetched = Callable[[int, int], None]
"""Told (done, total) as each payment is fetched."""


class Priced(NamedTuple):
    amount: Decimal
    currency: str


class Invalid(Exception):
    """The file has problems (each with its line and column): nothing was sent."""

    def __init__(self, problems: list[Problem], header: tuple[str, ...]) -> None:
        super().__init__(f"{len(problems):,} problem{'' if len(problems) == 1 else 's'}")
        self.problems = problems
        self.header = header


class Refused(Exception):
    """The batch cannot run: its file changed since a run that did not finish; `str()`
    says why and what to do. Nothing was sent."""


class BatchBusy(Refused):
    """Another process runs this batch right now. Nothing was sent."""


class FetchFailed(Exception):
    """A payment the rows refund could not be fetched (`cause`): nothing was sent."""

    def __init__(self, payment_id: str, cause: PaymentsError) -> None:
        super().__init__(f"Could not fetch payment {payment_id}: {cause}. Nothing was sent")
        self.payment_id = payment_id
        self.cause = cause


@dataclass
class Plan:
    """A batch ready to send (or to show, in a dry run)."""

    kind: BatchKind
    path: Path
    identity: BatchIdentity
    dialect: Dialect
    header: tuple[str, ...]
    table: WorkTable
    counts: dict[RowState, int]
    """Rows by what the journal said of them."""
    totals: dict[str, CurrencyTotal]
    """What the rows to send move, per currency."""

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def to_send(self) -> int:
        return sum(self.counts.get(state, 0) for state in TO_SEND)


async def prepare(
    path: Path,
    kind: BatchKind,
    *,
    profile: str,
    journal: Journal,
    table: WorkTable,
    fetch: FetchFigures,
    concurrency: int,
    now: Callable[[], datetime],
    retry_failed: bool = False,
    claim: bool = False,
    fetched: Fetched = lambda done, total: None,
) -> Plan:
    """Read and check the batch at `path` into `table`. `claim`: make this process the
    batch's runner first (a live run), so no other run changes its rows meanwhile;
    `fetched(done, total)` hears of each payment fetched."""
    batch_file, problems = await asyncio.to_thread(read_rows, path, kind, table)
    if problems:
        if kind == "refunds" and batch_file.sha256 is not None:  # every problem at once
            problems += await _refund_problems(table, fetch, concurrency, fetched)
        raise Invalid(sorted(problems, key=lambda problem: problem.line), batch_file.header)
    assert batch_file.sha256 is not None
    identity = BatchIdentity(profile, batch_file.sha256)
    resolved = str(path.resolve())
    await asyncio.to_thread(_refuse_changed_file, journal, resolved, identity)
    if claim:
        await asyncio.to_thread(_claim, journal, identity, kind, resolved, table.count(), now())
    try:
        await asyncio.to_thread(journal_states, table, journal, identity, now(), retry_failed)
        if kind == "refunds":
            problems = await _refund_problems(table, fetch, concurrency, fetched)
            if problems:
                raise Invalid(problems, batch_file.header)
    except BaseException:
        if claim:
            journal.release_batch(identity.id, finished=False, now=now())
        raise
    return Plan(
        kind,
        path,
        identity,
        batch_file.dialect,
        batch_file.header,
        table,
        table.counts(),
        totals(_priced(table)),
    )


def _claim(
    journal: Journal, identity: BatchIdentity, kind: BatchKind, path: str, rows: int, now: datetime
) -> None:
    running = journal.claim_batch(
        batch_id=identity.id,
        profile=identity.profile,
        kind=kind,
        path=path,
        sha256=identity.sha256,
        rows_count=rows,
        now=now,
    )
    if running is not None:
        raise BatchBusy(
            f"This batch is being run by process {(running.owner or '?').partition(':')[0]}"
            f" (since {local_time(running.updated_at)}): let it finish, then run this command"
            " again to see how it ended. Nothing was sent"
        )


def api_figures(client: PaymentsClient, journal: Journal) -> FetchFigures:
    """Fetch a payment's figures through `client` (what this console's journal recorded
    of its refunds, for an API that does not say how much was refunded). A fetch that
    fails for a while (a 5xx, a 429, the network) is tried again, up to `FETCH_ATTEMPTS`
    times: a GET changes nothing, and one payment out of reach holds the whole batch."""

    async def fetch(payment_id: str) -> RefundFigures | None:
        for attempt in range(FETCH_ATTEMPTS):
            try:
                payment = await client.get_payment(payment_id)
            except NotFoundError:
                return None
            except PaymentsError as exc:
                if attempt + 1 == FETCH_ATTEMPTS or not _transient(exc):
                    raise FetchFailed(payment_id, exc) from exc
                await asyncio.sleep(backoff_delay(attempt, client.retry_delay, 5.0))
                continue
            refunds: list[JournalEntry] = []
            if payment.amount_refunded is None:
                refunds = await asyncio.to_thread(journal.refunds_for, payment_id)
            return RefundFigures.of(payment, refunds)
        raise AssertionError("unreachable")  # pragma: no cover

    return fetch


def _transient(exc: PaymentsError) -> bool:
    if isinstance(exc, APIConnectionError | RateLimitError):
        return True
    return exc.http_status is not None and transient(exc.http_status)


def read_rows(path: Path, kind: BatchKind, table: WorkTable) -> tuple[BatchFile, list[Problem]]:
    """Every row of the file that can be read into `table`, and the problems of the rest."""
    batch_file = BatchFile(path, kind, seen=table.seen)
    problems: list[Problem] = []
    table.begin()
    try:
        for item in batch_file:
            if isinstance(item, Problem):
                problems.append(item)
            else:
                table.add(item)
    finally:
        table.commit()
    return batch_file, problems


def journal_states(
    table: WorkTable, journal: Journal, identity: BatchIdentity, now: datetime, retry_failed: bool
) -> None:
    """What the journal says of each row (nothing, for a batch never run: all are new)."""
    journal.recover_abandoned(now=now)
    if not journal.batch_counts(identity.id):
        return
    table.begin()
    try:
        for line in table.lines():
            entries = journal.row_entries(identity.row_key(line), identity.profile)
            if entries:
                failure = journal.row_failure(identity.id, line)
                table.set_state(line, row_state(entries[0], failure, retry_failed), entries[0])
    finally:
        table.commit()


def row_state(
    newest: JournalEntry, failure: tuple[int, RowOutcome] | None, retry_failed: bool
) -> RowState:
    """A row's state from its newest journal entry and why a failed one failed. A failed
    entry the batch did not record as refused never reached the API (or the run was
    killed before it could say): sending it again with its key is safe either way."""
    if newest.status == "succeeded":
        return "done"
    if newest.status == "pending":
        return "busy"
    if newest.status == "failed" and failure == (newest.id, "refused"):
        return "retry" if retry_failed else "refused"
    return "resend"


async def fetch_payments(
    table: WorkTable,
    fetch: FetchFigures,
    concurrency: int,
    fetched: Fetched = lambda done, total: None,
) -> None:
    """The figures of every payment the rows to check refund, `concurrency` at a time."""
    payment_ids, total, done = table.payment_ids(), table.count_payment_ids(), 0

    async def fetcher() -> None:
        nonlocal done
        for payment_id in payment_ids:
            table.add_payment(payment_id, await fetch(payment_id))
            done += 1
            fetched(done, total)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(fetcher())
    except ExceptionGroup as failed:  # the first fetch that failed: the others were stopped
        raise failed.exceptions[0] from None


async def _refund_problems(
    table: WorkTable, fetch: FetchFigures, concurrency: int, fetched: Fetched
) -> list[Problem]:
    await fetch_payments(table, fetch, concurrency, fetched)
    return await asyncio.to_thread(check_refunds, table)


def check_refunds(table: WorkTable) -> list[Problem]:
    """Every problem of the refund rows to check against their payments, in line order;
    with none, each row's exact amount (an empty one: what remains) is in `table`."""
    problems: list[Problem] = []
    table.begin()
    try:
        for figures, rows in table.refund_groups():
            payments = {} if figures is None else {rows[0].payment_id: figures}
            found = refund_problems(rows, payments)
            problems += found
            if not found and figures is not None:
                for row in rows:
                    table.resolve(resolve_refund(row, figures))
    finally:
        table.commit()
    return sorted(problems, key=lambda problem: problem.line)


def _priced(table: WorkTable) -> Iterator[Priced]:
    for row in table.rows(TO_SEND):
        if row.amount is not None and row.currency is not None:
            yield Priced(row.amount, row.currency)


def _refuse_changed_file(journal: Journal, path: str, identity: BatchIdentity) -> None:
    """Refuse a file whose earlier batch (under this profile) sent rows and did not finish:
    its rows would be sent again under this batch's new keys."""
    for record in journal.unfinished_batches(path, identity.profile):
        counts = journal.batch_counts(record.id)
        if record.id == identity.id or not counts:
            continue
        sent = ", ".join(f"{count:,} {status}" for status, count in sorted(counts.items()))
        raise Refused(
            f"{Path(path).name} changed since a batch was run on it"
            f" ({local_time(record.updated_at)}: {sent}), and that batch did not finish."
            " A changed file is a new batch, which would send the rows that batch did again."
            " Put the file back as it was to resume that batch, or save the changed file"
            " under another name to run it as a new batch (without the rows already done:"
            " that batch's report lists them). Nothing was sent"
        )
