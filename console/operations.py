"""Payments and refunds sent through the journal: recorded before the POST, settled after.

Every POST gets an idempotency key chosen here, recorded as `pending` with its request
body before anything is sent, then settled as `succeeded`, `failed` (a definitive answer
or a request that never left this machine) or `unknown` (it may have taken effect: a
dropped connection after sending, a 5xx, an unreadable answer, or a cancelled wait).
`retry` re-sends an entry with its original idempotency key and body, so the server can
never apply it twice; only through the profile (so the API) it was first sent to. Client
errors are re-raised after being recorded.

A screen keeps the `Attempt` whose outcome stayed unknown: `idempotency_key_for` gives
the same request its key again, and `create_payment`/`create_refund` then settle the
journal entry it left instead of recording a new one.

`check_key` is how the login command, the first run and the settings screen ask the API
whether it accepts a key.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from console.api.client import PaymentsClient
from console.api.errors import CardError, NotFoundError, PaymentsError
from console.api.models import Payment, PaymentCreate, Refund, RefundCreate
from console.journal import Journal, JournalEntry, Kind

Clock = Callable[[], datetime]

_Result = TypeVar("_Result", Payment, Refund)
_Request = TypeVar("_Request", PaymentCreate, RefundCreate)

KEY_CHECK_ID = "pay_payments_console_key_check"
"""A payment ID that cannot exist: looking it up tells whether the API accepts a key."""


class NotRetryableError(Exception):
    """A journal entry that cannot (or need not) be sent again; `str()` says why."""


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Attempt(Generic[_Request]):
    """A request whose outcome stayed unknown, and the idempotency key it was sent with."""

    request: _Request
    idempotency_key: str


def idempotency_key_for(request: _Request, unknown: Attempt[_Request] | None) -> str:
    """The key of the `unknown` attempt when `request` is that same request (sending it
    again then settles it and cannot apply it twice), else a new key."""
    if unknown is not None and unknown.request == request:
        return unknown.idempotency_key
    return new_idempotency_key()


async def check_key(client: PaymentsClient) -> None:
    """Return when the API accepts the client's key (404 for a payment that cannot exist);
    raise `AuthenticationError` when it refuses it (401), or whatever else went wrong."""
    with contextlib.suppress(NotFoundError):
        await client.get_payment(KEY_CHECK_ID)


async def create_payment(
    client: PaymentsClient,
    journal: Journal,
    profile_name: str,
    request: PaymentCreate,
    *,
    clock: Clock,
    idempotency_key: str | None = None,
) -> Payment:
    """Pay through the journal (see `_journaled` about a reused idempotency key)."""
    return await _journaled(
        journal,
        clock,
        lambda key: client.create_payment(request, idempotency_key=key),
        kind="payment",
        profile=profile_name,
        key=idempotency_key or new_idempotency_key(),
        wire=request.to_wire(),
        amount=request.amount,
        currency=request.currency,
    )


async def create_refund(
    client: PaymentsClient,
    journal: Journal,
    profile_name: str,
    request: RefundCreate,
    *,
    clock: Clock,
    idempotency_key: str | None = None,
    currency: str | None = None,
) -> Refund:
    """Refund through the journal. `currency` (the payment's) is recorded when given, else
    taken from the journal's record of the payment, if this console made it."""
    return await _journaled(
        journal,
        clock,
        lambda key: client.create_refund(request, idempotency_key=key),
        kind="refund",
        profile=profile_name,
        key=idempotency_key or new_idempotency_key(),
        wire=request.to_wire(),
        payment_id=request.payment_id,
        amount=request.amount,
        currency=currency or journal.payment_currency(request.payment_id),
    )


async def _journaled(
    journal: Journal,
    clock: Clock,
    send: Callable[[str], Awaitable[_Result]],
    *,
    kind: Kind,
    profile: str,
    key: str,
    wire: dict[str, Any],
    payment_id: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> _Result:
    """Record the request as pending, `send` it with idempotency key `key`, settle it.

    When the same request with the same key is already journaled with an unknown outcome,
    that entry is the one made pending again, so re-sending it settles it instead of
    recording it twice.
    """
    entry_id = next(
        (
            entry.id
            for entry in journal.unknown_with_key(kind, key, profile)
            if entry.request == wire
        ),
        None,
    )
    if entry_id is not None:
        journal.record_retry(entry_id, now=clock())
    else:
        entry_id = journal.record_pending(
            kind=kind,
            profile=profile,
            idempotency_key=key,
            request=wire,
            now=clock(),
            payment_id=payment_id,
            amount=amount,
            currency=currency,
        )
    return await _settle(journal, entry_id, clock, lambda: send(key))


async def retry(
    client: PaymentsClient, journal: Journal, profile_name: str, entry_id: int, *, clock: Clock
) -> Payment | Refund:
    """Send a journal entry again with its original idempotency key and request body.

    `client` is `profile_name`'s: an entry recorded under another profile is refused
    (`NotRetryableError`), since sending it would reach another API, perhaps a live one.
    """
    entry = _retryable(journal, entry_id)
    if entry.profile != profile_name:
        raise NotRetryableError(
            f"Journal entry {entry_id} was sent on profile {entry.profile}, not on "
            f"{profile_name}, the profile in use: switch to profile {entry.profile} "
            "to send it again"
        )
    key = entry.idempotency_key
    journal.record_retry(entry_id, now=clock())
    if entry.kind == "payment":
        payment = PaymentCreate.model_validate(entry.request)
        return await _settle(
            journal, entry_id, clock, lambda: client.create_payment(payment, idempotency_key=key)
        )
    refund = RefundCreate.model_validate(entry.request)
    return await _settle(
        journal, entry_id, clock, lambda: client.create_refund(refund, idempotency_key=key)
    )


def _retryable(journal: Journal, entry_id: int) -> JournalEntry:
    entry = journal.get(entry_id)
    if entry is None:
        raise NotRetryableError(f"There is no journal entry {entry_id}")
    if entry.status == "succeeded":
        raise NotRetryableError(f"Journal entry {entry_id} already succeeded")
    return entry


async def _settle(
    journal: Journal,
    entry_id: int,
    clock: Clock,
    send: Callable[[], Awaitable[_Result]],
) -> _Result:
    try:
        result = await send()
    except PaymentsError as exc:
        journal.record_result(
            entry_id,
            status="unknown" if exc.outcome_unknown else "failed",
            now=clock(),
            error=str(exc),
            payment_id=exc.payment_id if isinstance(exc, CardError) else None,
        )
        raise
    except ValueError as exc:  # refused by the client before anything was sent
        journal.record_result(entry_id, status="failed", now=clock(), error=str(exc))
        raise
    except BaseException as exc:
        # Cancelled, interrupted, or a bug: the request may have been sent.
        journal.record_result(
            entry_id,
            status="unknown",
            now=clock(),
            error=f"Interrupted before the answer arrived ({type(exc).__name__})",
        )
        raise
    journal.record_result(entry_id, status="succeeded", now=clock(), response=result.to_wire())
    return result
