"""Payments and refunds sent through the journal: recorded before the POST, settled after.

Every POST has an idempotency key, recorded as `pending` with its request body (and the
process sending it) before anything is sent, then settled by the answer:
- `succeeded`;
- `failed`: a definitive refusal, or a request that never left this machine;
- `unknown`: it may have taken effect (a dropped connection after sending, a 5xx, an
  unreadable answer, a 409 "key in use", a cancelled wait).

Exactly once, whatever happened before:
- Before a new key is minted, the journal is asked for an identical request of the same
  profile whose outcome is unknown (a process that died while sending it counts, see
  `Journal.recover_abandoned`); if there is one it is sent again with *its* key, which
  settles it and cannot apply it twice. `new=True` forces a new operation. A succeeded
  or failed entry is never reused, so paying the same amount twice on purpose works.
- `unknown` stays `unknown` until an answer from the API settles it: re-sending an
  unknown entry that fails before reaching the API (or is turned away before the API
  looks at the request: 401, 403, 429) leaves it unknown.
- If the journal cannot record the answer, the answer is still returned (`Sent` with a
  `journal_error`); the entry stays pending, becomes unknown, and the next identical
  request settles it by replay.

Journal reads and writes run in a thread, so a locked journal never blocks an event loop.
Failures are raised as `OperationFailed`: the client's error (`cause`) with what is known
of the operation (`outcome`, entry, key). `retry` re-sends one entry with its key, only
through the profile (so the API) it was first sent to.

`check_key` is how the login command, the first run and the settings screen ask the API
whether it accepts a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from console.api.client import PaymentsClient
from console.api.errors import (
    APIConnectionError,
    AuthenticationError,
    CardError,
    ForbiddenError,
    IdempotencyError,
    NotFoundError,
    PaymentsError,
    RateLimitError,
)
from console.api.models import Payment, PaymentCreate, Refund, RefundCreate
from console.clock import Clock
from console.journal import EntryBusyError, Journal, JournalEntry, Kind, Status
from console.outcomes import JournalWriteError as JournalWriteError
from console.outcomes import NotRetryableError as NotRetryableError
from console.outcomes import OperationFailed as OperationFailed
from console.outcomes import Outcome as Outcome
from console.outcomes import Sent as Sent
from console.safe_text import refuse_key
from console.wire.idempotency import new_key

_Result = TypeVar("_Result", Payment, Refund)

KEY_CHECK_ID = "pay_payments_console_key_check"
"""A payment ID that cannot exist: looking it up tells whether the API accepts a key."""

_NO_VERDICT = (APIConnectionError, AuthenticationError, ForbiddenError, RateLimitError)
"""Errors that say nothing of an earlier attempt of the request (turned away before the
API looked at it); an APIConnectionError here is one that never reached the server."""


def new_idempotency_key() -> str:
    """A new key, by the one rule of `console.wire.idempotency` (as the client mints)."""
    return new_key()


async def check_key(client: PaymentsClient) -> None:
    """Return when the API accepts the client's key (404 for a payment that cannot exist);
    raise `AuthenticationError` when it refuses it (401), or whatever else went wrong."""
    with contextlib.suppress(NotFoundError):
        await client.get_payment(KEY_CHECK_ID)


@dataclass(frozen=True)
class Operations:
    """Payments and refunds of one profile, sent through its client and the journal.

    `console.session.Session` builds one for the connected profile; screens and commands
    call it without passing the client, journal, profile and clock each time.
    """

    client: PaymentsClient
    journal: Journal
    profile: str
    """The profile's name, recorded with every entry."""
    clock: Clock

    async def find_unsettled(self, request: PaymentCreate | RefundCreate) -> JournalEntry | None:
        """The unknown entry that sending `request` (without `new`) would settle, if any."""
        kind, wire = _kind_and_wire(request)
        return await self._earlier_attempt(kind, wire, key=None, new=False)

    async def find_unreported(self, request: PaymentCreate | RefundCreate) -> JournalEntry | None:
        """A succeeded entry of exactly `request` whose command was stopped before it
        showed the result (`report_later`): running the command again shows that one."""
        kind, wire = _kind_and_wire(request)
        return await asyncio.to_thread(
            self.journal.unreported_like, kind, self.profile, wire, now=self.clock()
        )

    async def create_payment(
        self,
        request: PaymentCreate,
        *,
        idempotency_key: str | None = None,
        new: bool = False,
        fresh: bool = False,
        report_later: bool = False,
    ) -> Sent[Payment]:
        """Pay through the journal (see the module's docstring for the key it is sent
        with). `fresh`: the caller knows that no entry has `idempotency_key` (a batch's new
        row, its batch claimed by this run), so nothing is looked up before recording it.
        `report_later`: the caller shows the result, then says so with
        `Journal.mark_reported` (a command killed in between is found by
        `find_unreported`)."""
        return await self._journaled(
            lambda key: self.client.create_payment(request, idempotency_key=key),
            _Request("payment", request.to_wire(), None, request.amount, request.currency),
            key=idempotency_key,
            new=new,
            fresh=fresh,
            report_later=report_later,
        )

    async def create_refund(
        self,
        request: RefundCreate,
        *,
        idempotency_key: str | None = None,
        currency: str | None = None,
        new: bool = False,
        fresh: bool = False,
        report_later: bool = False,
    ) -> Sent[Refund]:
        """Refund through the journal. `currency` (the payment's) is recorded when given,
        else taken from the journal's record of the payment, if this console made it."""
        if currency is None:
            currency = await asyncio.to_thread(self.journal.payment_currency, request.payment_id)
        return await self._journaled(
            lambda key: self.client.create_refund(request, idempotency_key=key),
            _Request("refund", request.to_wire(), request.payment_id, request.amount, currency),
            key=idempotency_key,
            new=new,
            fresh=fresh,
            report_later=report_later,
        )

    async def retry(self, entry_id: int) -> Sent[Payment] | Sent[Refund]:
        """Send a journal entry again with its original idempotency key and request body.

        Only an entry of this profile: one recorded under another profile is refused
        (`NotRetryableError`), since sending it would reach another API, perhaps a live one.
        """
        journal, clock = self.journal, self.clock
        await asyncio.to_thread(journal.recover_abandoned, now=clock())
        entry = await asyncio.to_thread(_retryable, journal, entry_id)
        if entry.profile != self.profile:
            raise NotRetryableError(
                f"Journal entry {entry_id} was sent on profile {entry.profile}, not on "
                f"{self.profile}, the profile in use: switch to profile {entry.profile} "
                "to send it again"
            )
        key = entry.idempotency_key
        resending = entry.status == "unknown"
        try:
            await asyncio.to_thread(journal.record_retry, entry_id, now=clock())
        except EntryBusyError as exc:  # another console settles it this very moment
            raise NotRetryableError(str(exc)) from None
        except (sqlite3.Error, OSError) as exc:
            failure = JournalWriteError(journal.path, f"the retry of entry {entry_id}", exc)
            raise OperationFailed(
                failure, kind=entry.kind, outcome="unknown", idempotency_key=key, entry_id=entry_id
            ) from exc
        if entry.kind == "payment":
            payment = PaymentCreate.model_validate(entry.request)
            return await self._settle(
                entry_id,
                "payment",
                lambda: self.client.create_payment(payment, idempotency_key=key),
                key,
                resending,
            )
        refund = RefundCreate.model_validate(entry.request)
        return await self._settle(
            entry_id,
            "refund",
            lambda: self.client.create_refund(refund, idempotency_key=key),
            key,
            resending,
        )

    async def _journaled(
        self,
        send: Callable[[str], Awaitable[_Result]],
        request: _Request,
        *,
        key: str | None,
        new: bool,
        report_later: bool,
        fresh: bool = False,
    ) -> Sent[_Result]:
        """Find or record the journal entry of `request`, then send it and settle it."""
        journal, clock = self.journal, self.clock
        for field, value in request.wire.items():
            if isinstance(value, str):
                refuse_key(field, value)
        chosen = key or new_idempotency_key()
        try:
            earlier = (
                None
                if fresh and key is not None
                else await self._earlier_attempt(request.kind, request.wire, key=key, new=new)
            )
            if earlier is not None:
                chosen = earlier.idempotency_key
                await asyncio.to_thread(journal.record_retry, earlier.id, now=clock())
                entry_id = earlier.id
            else:
                entry_id = await asyncio.to_thread(
                    journal.record_pending,
                    kind=request.kind,
                    profile=self.profile,
                    idempotency_key=chosen,
                    request=request.wire,
                    now=clock(),
                    payment_id=request.payment_id,
                    amount=request.amount,
                    currency=request.currency,
                )
        except EntryBusyError as exc:  # another console re-sends the same request now
            raise OperationFailed(
                exc, kind=request.kind, outcome="not_sent", idempotency_key=chosen, entry_id=None
            ) from exc
        except (sqlite3.Error, OSError) as exc:
            # Nothing was sent: an operation is never made without its journal entry.
            failure = JournalWriteError(journal.path, f"the {request.kind} before sending it", exc)
            raise OperationFailed(
                failure,
                kind=request.kind,
                outcome="not_sent",
                idempotency_key=chosen,
                entry_id=None,
            ) from exc
        sent_key = chosen
        return await self._settle(
            entry_id,
            request.kind,
            lambda: send(sent_key),
            sent_key,
            earlier is not None,
            reported=not report_later,
        )

    async def _earlier_attempt(
        self, kind: Kind, wire: dict[str, Any], *, key: str | None, new: bool
    ) -> JournalEntry | None:
        """The unknown entry of this same request to send again (with its key), if any:
        the one sent with `key` when given, else (unless `new`) the newest identical one."""
        journal, now = self.journal, self.clock()
        await asyncio.to_thread(journal.recover_abandoned, now=now)
        if key is not None:
            same_key = await asyncio.to_thread(journal.unknown_with_key, kind, key, self.profile)
            return next((entry for entry in same_key if entry.request == wire), None)
        if new:
            return None
        return await asyncio.to_thread(journal.unsettled_like, kind, self.profile, wire, now=now)

    async def _settle(
        self,
        entry_id: int,
        kind: Kind,
        send: Callable[[], Awaitable[_Result]],
        key: str,
        resending: bool,
        *,
        reported: bool = True,
    ) -> Sent[_Result]:
        with self.journal.sending(entry_id):
            try:
                result = await send()
            except BaseException as exc:
                status, outcome = _failure(exc, resending)
                error = str(exc) or type(exc).__name__
                if not isinstance(exc, Exception):
                    error = f"Interrupted before the answer arrived ({type(exc).__name__})"
                elif (
                    resending and status == "unknown" and not getattr(exc, "outcome_unknown", True)
                ):
                    error = f"Sent again, but {error[:1].lower()}{error[1:]}: still unknown"
                journal_error = await self._record(
                    entry_id,
                    status=status,
                    now=self.clock(),
                    error=error,
                    payment_id=exc.payment_id if isinstance(exc, CardError) else None,
                    response=_declined(exc),
                )
                if not isinstance(exc, Exception):
                    raise
                raise OperationFailed(
                    exc,
                    kind=kind,
                    outcome=outcome,
                    idempotency_key=key,
                    entry_id=entry_id,
                    resent=resending,
                    journal_error=journal_error,
                ) from exc
            journal_error = await self._record(
                entry_id,
                status="succeeded",
                now=self.clock(),
                response=result.to_wire(),
                reported=reported,
            )
        return Sent(result, entry_id, key, resending, journal_error)

    async def _record(self, entry_id: int, **result: Any) -> str | None:
        """Record a result (in a thread); None, or why the journal could not."""
        try:
            await asyncio.to_thread(self.journal.record_result, entry_id, **result)
        except (sqlite3.Error, OSError) as exc:
            return str(JournalWriteError(self.journal.path, f"the result of entry {entry_id}", exc))
        return None


def _declined(exc: BaseException) -> dict[str, Any] | None:
    """A declined card's answer, as the journal keeps it (its reason and decline code)."""
    if not isinstance(exc, CardError):
        return None
    answer = {"error": exc.message, "code": exc.code, "decline_code": exc.decline_code}
    return {name: value for name, value in answer.items() if value is not None}


def _kind_and_wire(request: PaymentCreate | RefundCreate) -> tuple[Kind, dict[str, Any]]:
    return ("payment" if isinstance(request, PaymentCreate) else "refund"), request.to_wire()


@dataclass(frozen=True)
class _Request:
    """What the journal records of a request before it is sent."""

    kind: Kind
    wire: dict[str, Any]
    payment_id: str | None
    amount: Decimal | None
    currency: str | None


def _retryable(journal: Journal, entry_id: int) -> JournalEntry:
    entry = journal.get(entry_id)
    if entry is None:
        raise NotRetryableError(f"There is no journal entry {entry_id}")
    if entry.status == "succeeded":
        raise NotRetryableError(f"Journal entry {entry_id} already succeeded")
    if entry.status == "pending":
        who = entry.sender or f"process {(entry.owner or '?').partition(':')[0]}"
        raise NotRetryableError(
            f"Journal entry {entry_id} is being sent right now (by {who}): wait for its answer"
        )
    return entry


def _failure(exc: BaseException, resending: bool) -> tuple[Status, Outcome]:
    """The journal status and outcome of a request that raised `exc`; `resending`: an
    earlier attempt of it may have been applied."""
    if isinstance(exc, IdempotencyError) and exc.http_status == 409:
        return "unknown", "unknown"  # the first attempt is still being processed
    if isinstance(exc, PaymentsError):
        if exc.outcome_unknown or (resending and isinstance(exc, _NO_VERDICT)):
            return "unknown", "unknown"
        if isinstance(exc, APIConnectionError):
            return "failed", "not_sent"
        return "failed", "refused"
    if isinstance(exc, ValueError):  # refused by the client before anything was sent
        return ("unknown", "unknown") if resending else ("failed", "not_sent")
    return "unknown", "unknown"  # cancelled, interrupted, or a bug: it may have been sent
