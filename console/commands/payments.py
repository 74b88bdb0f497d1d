"""`pay`, `get` and `refund`: the scripting commands, on the same client and journal.

Running `pay` or `refund` again after it ended without an answer (killed, a lost
connection, a 5xx) is always safe: an identical request of the profile whose outcome is
unknown is re-sent with its own idempotency key (one line on stderr says so); `--new`
makes a new operation instead.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from console import money
from console.api.models import Payment, PaymentCreate, Refund, RefundCreate, describe
from console.commands import common
from console.commands.exits import EXIT_OK, PROG, Failure, warn
from console.display import amount_text, is_refund_id, local_time, object_id_error
from console.safe_text import KeyInFieldError, escape_json_controls, for_terminal, refuse_key

if TYPE_CHECKING:
    from console.journal import Journal, JournalEntry
    from console.operations import Operations, Sent
    from console.session import Connection

_Result = TypeVar("_Result", Payment, Refund)


def pay(args: argparse.Namespace) -> int:
    _data_fields(("--source", args.source), ("--description", args.description))
    connection = common.connection(args, moves_money=True)
    profile = connection.profile
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
    given_key = _check_idempotency_key(args.idempotency_key)

    def retry_argv(idempotency_key: str) -> list[str]:
        argv = ["pay", "--amount", str(money.quantize(request.amount, request.currency))]
        argv += ["--currency", request.currency]
        argv += ["--source", request.source]
        argv += ["--description", request.description] if request.description else []
        return _command(args, argv, idempotency_key)

    in_flight = common.InFlight("payment", retry_argv, given_key)

    async def send(operations: Operations) -> int:
        async def make(idempotency_key: str) -> Sent[Payment]:
            return await operations.create_payment(
                request, idempotency_key=idempotency_key, report_later=True
            )

        return await _once(operations, request, args, in_flight, make, Payment, _payment_lines)

    return _with_journal(args, connection, in_flight, send)


def refund(args: argparse.Namespace) -> int:
    """Refund; a partial amount is checked against the payment's currency first (from the
    journal, or a GET of the payment)."""
    if not args.payment_id.strip():
        raise Failure("PAYMENT_ID is required (pay_...)")
    _data_fields(("PAYMENT_ID", args.payment_id))
    connection = common.connection(args, moves_money=True)
    given_key = _check_idempotency_key(args.idempotency_key)

    def retry_argv(idempotency_key: str) -> list[str]:
        argv = ["refund", args.payment_id]
        argv += ["--amount", args.amount] if args.amount is not None else []
        return _command(args, argv, idempotency_key)

    in_flight = common.InFlight("refund", retry_argv, given_key)

    async def send(operations: Operations) -> int:
        currency = operations.journal.payment_currency(args.payment_id)
        amount = None
        if args.amount is not None:
            if currency is None:
                currency = (await operations.client.get_payment(args.payment_id)).currency
            amount = common.amount(args.amount, currency)
        try:
            request = RefundCreate(payment_id=args.payment_id, amount=amount)
        except ValidationError as exc:
            raise Failure(describe(exc)) from None

        async def make(idempotency_key: str) -> Sent[Refund]:
            return await operations.create_refund(
                request, idempotency_key=idempotency_key, currency=currency, report_later=True
            )

        def lines(refund: Refund) -> list[str]:
            return _refund_lines(refund, currency)

        return await _once(operations, request, args, in_flight, make, Refund, lines)

    return _with_journal(args, connection, in_flight, send)


def get(args: argparse.Namespace) -> int:
    object_id: str = args.object_id.strip()
    _data_fields(("ID", object_id))
    problem = object_id_error(object_id)
    if problem is not None:
        raise Failure(problem)
    connection = common.connection(args)

    async def fetch() -> int:
        async with connection.client as client:
            if is_refund_id(object_id):
                found = await client.get_refund(object_id)
                _print_object(found, args.json, _refund_lines(found, None))
            else:
                payment = await client.get_payment(object_id)
                _print_object(payment, args.json, _payment_lines(payment))
        return EXIT_OK

    return common.run(fetch())


def _data_fields(*fields: tuple[str, str | None]) -> None:
    """Refuse key-shaped text in any of the data fields (a usage error, before anything)."""
    try:
        for name, value in fields:
            refuse_key(name, value)
    except KeyInFieldError as exc:
        raise Failure(str(exc)) from None


async def _once(
    operations: Operations,
    request: PaymentCreate | RefundCreate,
    args: argparse.Namespace,
    in_flight: common.InFlight,
    make: Callable[[str], Awaitable[Sent[_Result]]],
    model: type[_Result],
    lines: Callable[[_Result], list[str]],
) -> int:
    """Make `request` with `make(key)` and show it, exactly once: when an earlier run of
    the command made it but was stopped before showing it, show that one instead; when an
    identical one has an unknown outcome, re-send it with its key."""
    journal = operations.journal
    shown = None
    if in_flight.key is None and not args.new:
        shown = await operations.find_unreported(request)
    if shown is not None:
        warn(
            f"an earlier run of this command made this {shown.kind} at "
            f"{local_time(shown.created_at)} (journal entry {shown.id}) but was stopped "
            "before it could show it: here it is, not made again (use --new for another)"
        )
        result = model.model_validate(shown.response)
        _print_result(journal, shown.id, result, args.json, lines(result))
        return EXIT_OK
    in_flight.key = in_flight.key or await _key_for(operations, request, args.new)
    sent = await make(in_flight.key)
    _print_sent(journal, sent, args.json, lines(sent.result))
    return EXIT_OK


async def _key_for(operations: Operations, request: PaymentCreate | RefundCreate, new: bool) -> str:
    """The key of an identical request whose outcome is unknown (said on stderr), unless
    `new`; else a new key."""
    from console.operations import new_idempotency_key

    earlier = None if new else await operations.find_unsettled(request)
    if earlier is None:
        return new_idempotency_key()
    warn(_resending(earlier))
    return earlier.idempotency_key


def _resending(entry: JournalEntry) -> str:
    return (
        f"re-sending the identical {entry.kind} of {local_time(entry.created_at)} whose outcome "
        f"is unknown (journal entry {entry.id}) with its idempotency key {entry.idempotency_key}:"
        " if it went through, the API answers with that result instead of applying it again"
        " (use --new for a separate one)"
    )


def _command(args: argparse.Namespace, argv: list[str], idempotency_key: str) -> list[str]:
    """`PROG` with the chosen profile and config, then `argv` and the key."""
    chosen = ["--profile", args.profile] if args.profile else []
    chosen += ["--config", str(args.config)] if args.config else []
    return [PROG, *argv, *chosen, "--idempotency-key", idempotency_key]


def _with_journal(
    args: argparse.Namespace,
    connection: Connection,
    in_flight: common.InFlight,
    send: Callable[[Operations], Awaitable[int]],
) -> int:
    """Open the journal, run `send` with the connection's operations, close both."""
    from console.session import Session

    async def go() -> int:
        with common.open_journal(args, sends=True) as journal:
            async with connection.client:
                return await send(Session(journal, connection=connection).operations())

    return common.run(go(), in_flight)


def _check_idempotency_key(given: str | None) -> str | None:
    if given is None:
        return None
    from console.wire.idempotency import check_key

    try:
        return check_key(given)
    except ValueError as exc:
        raise Failure(f"--idempotency-key: {exc}") from None


# --- output -----------------------------------------------------------------------------


def _print_sent(
    journal: Journal, sent: Sent[Payment] | Sent[Refund], as_json: bool, lines: Sequence[str]
) -> None:
    """The API's answer, always; then, if the journal could not record it, a warning."""
    if sent.journal_error:
        _print_object(sent.result, as_json, lines)
        warn(
            f"{sent.journal_error}. The {_kind(sent.result)} above did go through; the journal "
            "entry is settled the next time the same command runs"
        )
        return
    _print_result(journal, sent.entry_id, sent.result, as_json, lines)


def _print_result(
    journal: Journal, entry_id: int, obj: Payment | Refund, as_json: bool, lines: Sequence[str]
) -> None:
    """Show the result, then record that it was shown: a command killed before this point
    shows it when run again instead of making it again. The command is done: a signal
    from here on no longer interrupts it."""
    import sqlite3

    _print_object(obj, as_json, lines)
    sys.stdout.flush()
    common.finished()
    with contextlib.suppress(sqlite3.Error, OSError):  # then it is only shown again
        journal.mark_reported(entry_id)


def _kind(obj: Payment | Refund) -> str:
    return "payment" if isinstance(obj, Payment) else "refund"


def _print_object(obj: Payment | Refund, as_json: bool, lines: Sequence[str]) -> None:
    if as_json:
        print(escape_json_controls(money.dumps(obj.to_wire())))
    else:
        print("\n".join(for_terminal(line) for line in lines))


def _payment_lines(payment: Payment) -> list[str]:
    lines = [
        f"{payment.id}  {payment.status}  {amount_text(payment.amount, payment.currency)}",
        f"  created      {local_time(payment.created_at)}",
    ]
    if payment.description:
        lines.append(f"  description  {' '.join(payment.description.split())}")
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
