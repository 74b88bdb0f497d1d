"""What several commands share: settings, the connected profile, running a request."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from console import money
from console.api.models import describe
from console.commands.exits import EXIT_API, EXIT_NOT_SENT, EXIT_UNKNOWN, PROG, Failure, warn
from console.config import Profile, Settings, load_settings

if TYPE_CHECKING:
    from console.api.errors import PaymentsError
    from console.journal import Journal
    from console.operations import OperationFailed
    from console.session import Connection


def settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def connection(
    args: argparse.Namespace, profile: Profile | None = None, *, moves_money: bool = False
) -> Connection:
    """The chosen profile (or `profile`) connected with its stored key; a missing key, a
    keyring that cannot be used, a profile the client refuses, or (`moves_money`) a
    read-only profile is a `Failure` (before anything is journaled or sent), and a key of
    another mode than the profile's a warning."""
    from console import credentials, session
    from console.profile import ReadOnlyProfileError, require_writable

    if profile is None:
        profile = settings(args).get_profile(args.profile)
    try:
        if moves_money:
            require_writable(profile)
    except ReadOnlyProfileError as exc:
        raise Failure(str(exc)) from None
    try:
        connected = session.connect(profile)
    except session.MissingKeyError:
        raise Failure(
            f"No API key for profile '{profile.name}': run "
            f"'{PROG} login --profile {profile.name}' or set {credentials.ENV_VAR}"
        ) from None
    except (session.ConnectError, credentials.KeyringUnavailableError) as exc:
        raise Failure(str(exc)) from None
    if connected.key_warning:
        warn(connected.key_warning)
    return connected


def open_journal(args: argparse.Namespace, *, sends: bool) -> Journal:
    """The journal the settings name (`journal`: a shared PostgreSQL one, or a file;
    else the file in the data dir), writing as the settings' `operator`; or a `Failure`
    naming it and what is wrong (a damaged file is left as it is). `sends`: the command
    would send something, and says nothing was (no payment or refund is ever made
    without its journal entry)."""
    chosen = settings(args)
    return opened_journal(chosen.journal, chosen.operator, sends=sends)


def opened_journal(where: str | None, operator: str | None, *, sends: bool) -> Journal:
    """`open_journal` of the journal at `where` (None: the file in the data dir)."""
    import sqlite3
    from pathlib import Path

    from console.config import is_journal_url
    from console.journal import Journal, default_journal_path
    from console.paths import file_error_problem, sqlite_file_problem

    problem: str | None
    if where is not None and is_journal_url(where):
        try:
            return Journal(where, operator=operator)
        except OSError as exc:  # the server cannot be reached, or refused us
            problem = str(exc)
    else:
        path = default_journal_path() if where is None else Path(where).expanduser()
        where = str(path)
        problem = sqlite_file_problem(path)
        if problem is None:
            try:
                return Journal(path, operator=operator)
            except (OSError, sqlite3.Error) as exc:
                problem = file_error_problem(exc, path)
    raise Failure(
        f"Cannot open the journal at {where}: {problem}" + (". Nothing was sent" if sends else "")
    )


def amount(text: str, currency: str) -> Decimal:
    try:
        return money.parse_amount(text, currency)
    except money.AmountError as exc:
        raise Failure(f"--amount: {exc}") from None


@dataclass
class InFlight:
    """A payment or refund a command is sending: its idempotency key, once chosen, and
    the command that sends it again with that key."""

    what: str
    """'payment' or 'refund'."""
    retry_argv: Callable[[str], list[str]]
    """The command line that re-sends it with the given key."""
    key: str | None = None

    def retry_command(self) -> str:
        assert self.key is not None
        return shlex.join(self.retry_argv(self.key))

    def unknown(self, message: str) -> Failure:
        """Exit 4: the outcome is unknown; the message says how to settle it."""
        assert self.key is not None
        command = self.retry_command()
        return Failure(
            f"{message.rstrip('.')}. The {self.what} may have gone through: run the same "
            f"command again, which re-sends it with idempotency key {self.key} and cannot "
            f"apply it twice ({command})",
            EXIT_UNKNOWN,
            outcome="unknown",
            idempotency_key=self.key,
            retry_command=command,
        )


_CAUGHT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def finished() -> None:
    """The command's work is done and shown: the signals that would interrupt it are
    ignored from now on (it only exits)."""
    loop = asyncio.get_running_loop()
    for signum in _CAUGHT_SIGNALS:
        loop.add_signal_handler(signum, _ignore)


def _ignore() -> None:
    """A signal that arrives once the command is done."""


def _ignore_signals() -> None:
    for signum in _CAUGHT_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


class _Signalled(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


async def _until_signalled(coroutine: Coroutine[Any, Any, int]) -> int:
    """Run `coroutine`; SIGINT, SIGTERM or SIGHUP cancels it (so the journal records the
    request as unknown) and then raises `_Signalled`."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    caught: list[int] = []

    def on_signal(signum: int) -> None:
        if not caught:
            caught.append(signum)
            task.cancel()

    for signum in _CAUGHT_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        return await coroutine
    except asyncio.CancelledError:
        if caught:
            raise _Signalled(caught[0]) from None
        raise


def run(coroutine: Coroutine[Any, Any, int], in_flight: InFlight | None = None) -> int:
    """Run an API coroutine, turning its errors into exit codes and one line.

    With `in_flight` (a payment or refund), every signal that can be caught ends it with
    the idempotency key and the retry command (exit 4) once the key is chosen, and an
    `OperationFailed` exits by its outcome: refused 1, nothing sent 3, unknown 4.
    """
    from console.api.errors import APIConnectionError, PaymentsError
    from console.operations import OperationFailed

    try:
        if in_flight is None:
            return asyncio.run(coroutine)
        code = asyncio.run(_until_signalled(coroutine))
        _ignore_signals()  # done and shown: nothing left to interrupt
        return code
    except _Signalled as signalled:
        assert in_flight is not None
        if in_flight.key is None:
            raise Failure(
                f"Interrupted ({signalled}) before anything was sent", EXIT_NOT_SENT
            ) from None
        raise in_flight.unknown(f"Interrupted ({signalled}) while the request was sent") from None
    except OperationFailed as failed:
        assert in_flight is not None
        if failed.journal_error:
            warn(f"{failed.journal_error}; it is settled the next time the same command runs")
        raise _operation_failure(failed, in_flight) from None
    except PaymentsError as exc:
        code = EXIT_NOT_SENT if isinstance(exc, APIConnectionError) else EXIT_API
        raise Failure(_message(exc), code, api_code=exc.code) from None
    except ValidationError as exc:
        raise Failure(describe(exc)) from None
    except ValueError as exc:  # the client refused an argument before sending anything
        raise Failure(str(exc)) from None


def _operation_failure(failed: OperationFailed, in_flight: InFlight) -> Failure:
    from console.api.errors import PaymentsError

    cause = failed.cause
    message = _message(cause) if isinstance(cause, PaymentsError) else str(cause)
    in_flight.key = failed.idempotency_key
    if failed.outcome == "unknown":
        if failed.resent and not getattr(cause, "outcome_unknown", True):
            message += ". The earlier attempt's outcome is still unknown"
        return in_flight.unknown(message)
    api_code = cause.code if isinstance(cause, PaymentsError) else None
    if failed.outcome == "not_sent":
        return Failure(f"{message.rstrip('.')}. Nothing was sent", EXIT_NOT_SENT, api_code=api_code)
    return Failure(message, EXIT_API, api_code=api_code, outcome="refused")


def _message(exc: PaymentsError) -> str:
    """The error's message, with a decline's code and payment."""
    from console.api.errors import CardError

    message = str(exc)
    if isinstance(exc, CardError):
        details = [f"decline code {exc.decline_code}"] if exc.decline_code else []
        details += [f"payment {exc.payment_id}"] if exc.payment_id else []
        message += f" ({', '.join(details)})" if details else ""
    return message
