"""`pay`, `get` and `refund`: the scripting commands, on the same client and journal."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

from console import money
from console.api.models import Payment, PaymentCreate, Refund, RefundCreate, describe
from console.cli import EXIT_OK, Failure
from console.commands import common
from console.config import Profile
from console.context import utc_now
from console.display import amount_text, local_time

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.journal import Journal


def pay(args: argparse.Namespace) -> int:
    from console.operations import create_payment

    profile, key = common.profile_and_key(args)
    try:
        currency = money.normalize_currency(args.currency or profile.currency)
    except money.AmountError as exc:
        raise Failure(f"--currency: {exc}") from None
    amount = common.amount(args.amount, currency)
    try:
        request = PaymentCreate(
            amount=amount, currency=currency, source=args.source, description=args.description
        )
    except ValidationError as exc:
        raise Failure(describe(exc)) from None
    idempotency_key = _check_idempotency_key(args.idempotency_key)

    async def send(client: PaymentsClient, journal: Journal) -> int:
        payment = await create_payment(
            client, journal, profile.name, request, clock=utc_now, idempotency_key=idempotency_key
        )
        _print_object(payment, args.json, _payment_lines(payment))
        return EXIT_OK

    return _with_journal(profile, key, idempotency_key, send)


def refund(args: argparse.Namespace) -> int:
    """Refund; a partial amount is checked against the payment's currency first (from the
    journal, or a GET of the payment)."""
    from console.operations import create_refund

    if not args.payment_id.strip():
        raise Failure("PAYMENT_ID is required (pay_...)")
    profile, key = common.profile_and_key(args)
    idempotency_key = _check_idempotency_key(args.idempotency_key)

    async def send(client: PaymentsClient, journal: Journal) -> int:
        currency = journal.payment_currency(args.payment_id)
        amount = None
        if args.amount is not None:
            if currency is None:
                currency = (await client.get_payment(args.payment_id)).currency
            amount = common.amount(args.amount, currency)
        try:
            request = RefundCreate(payment_id=args.payment_id, amount=amount)
        except ValidationError as exc:
            raise Failure(describe(exc)) from None
        result = await create_refund(
            client,
            journal,
            profile.name,
            request,
            clock=utc_now,
            idempotency_key=idempotency_key,
            currency=currency,
        )
        _print_object(result, args.json, _refund_lines(result, currency))
        return EXIT_OK

    return _with_journal(profile, key, idempotency_key, send)


def get(args: argparse.Namespace) -> int:
    object_id: str = args.object_id.strip()
    if not object_id:
        raise Failure("ID is required (pay_... or refund_...)")
    profile, key = common.profile_and_key(args)

    async def fetch() -> int:
        async with common.client(profile, key) as client:
            if object_id.startswith(("refund_", "re_")):
                found = await client.get_refund(object_id)
                _print_object(found, args.json, _refund_lines(found, None))
            else:
                payment = await client.get_payment(object_id)
                _print_object(payment, args.json, _payment_lines(payment))
        return EXIT_OK

    return common.run(fetch())


def _with_journal(
    profile: Profile,
    key: str,
    idempotency_key: str,
    send: Callable[[PaymentsClient, Journal], Awaitable[int]],
) -> int:
    """Open the journal and a client for the profile, run `send`, close both."""
    from console.journal import Journal, default_journal_path

    async def go() -> int:
        import sqlite3

        path = default_journal_path()
        try:
            journal = Journal(path)
        except (OSError, sqlite3.Error) as exc:
            # Nothing was sent: an operation is never made without its journal entry.
            raise Failure(f"Cannot open the journal at {path}: {exc}") from None
        with journal:
            async with common.client(profile, key) as client:
                return await send(client, journal)

    return common.run(go(), idempotency_key)


def _check_idempotency_key(given: str | None) -> str:
    from console.operations import new_idempotency_key

    if given is None:
        return new_idempotency_key()
    if not given or len(given) > 255 or not given.isprintable() or " " in given:
        raise Failure("--idempotency-key must be 1 to 255 printable characters without spaces")
    return given


# --- output -----------------------------------------------------------------------------


def _print_object(obj: Payment | Refund, as_json: bool, lines: Sequence[str]) -> None:
    if as_json:
        print(money.dumps(obj.to_wire()))
    else:
        print("\n".join(lines))


def _payment_lines(payment: Payment) -> list[str]:
    lines = [
        f"{payment.id}  {payment.status}  {amount_text(payment.amount, payment.currency)}",
        f"  created      {local_time(payment.created_at)}",
    ]
    if payment.description:
        lines.append(f"  description  {payment.description}")
    if payment.amount_refunded:
        lines.append(f"  refunded     {amount_text(payment.amount_refunded, payment.currency)}")
    return lines


def _refund_lines(refund: Refund, currency: str | None) -> list[str]:
    """`currency` is the payment's when known; the API's refund object may name it too."""
    named = (refund.model_extra or {}).get("currency")
    currency = currency or (named if isinstance(named, str) else None)
    amount = amount_text(refund.amount, currency)
    return [
        f"{refund.id}  {refund.status}  {amount} of {refund.payment_id}",
        f"  created      {local_time(refund.created_at)}",
    ]
