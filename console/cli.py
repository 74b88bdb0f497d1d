"""Command line: argument parsing and subcommands, no business logic.

`payments-console` opens the TUI; the subcommands script the same services. Exit codes:
0 success, 1 the API refused (its message on stderr), 2 usage or configuration error,
3 connection error. An expected failure is one line on stderr, never a traceback.
Heavy modules (Textual, httpx, the sandbox's FastAPI/uvicorn) are imported only by the
commands that use them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError

from console import __version__, money
from console.api.models import describe
from console.config import (
    MODES,
    ConfigError,
    Mode,
    Profile,
    Settings,
    check_base_url,
    default_config_path,
    load_settings,
    save_settings,
)
from console.hosts import is_loopback

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.api.models import Payment, Refund
    from console.journal import Journal
    from console.sandbox.server import SandboxServer

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_INTERRUPTED = 130

PROG = "payments-console"
LOGIN_CHECK_ID = "pay_payments_console_login_check"
"""A payment id that does not exist: GET it to check a key (404 accepted, 401 refused)."""

_EPILOG = (
    "Exit codes: 0 success, 1 the API refused (message on stderr), 2 usage or "
    "configuration error, 3 connection error. The API key is never a command-line "
    "argument: `login` reads it without echo (or from stdin when it is not a terminal), "
    "and PAYMENTS_API_KEY overrides the stored key for one run."
)


class Failure(Exception):
    """An expected failure: one line on stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2) that never echo an API key."""

    def error(self, message: str) -> NoReturn:
        from console.credentials import looks_like_key, mask

        words = message.split(" ")
        if any(looks_like_key(word) for word in words):
            words = [mask(word) if looks_like_key(word) else word for word in words]
            words.append(f"(an API key is never an argument: use '{PROG} login')")
        self.exit(EXIT_USAGE, f"{self.prog}: error: {' '.join(words)} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A keyboard-driven console for the Payment Processing API. "
        "Without a command, opens the console on the default profile.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # The same options after a subcommand; SUPPRESS keeps the top-level value otherwise.
    common = _Parser(add_help=False)
    for target, default in ((parser, None), (common, argparse.SUPPRESS)):
        target.add_argument(
            "--profile",
            metavar="NAME",
            default=default,
            help="profile to use (default: the default profile)",
        )
        target.add_argument(
            "--config",
            metavar="PATH",
            type=Path,
            default=default,
            help=f"settings file (default: {default_config_path()})",
        )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="start an embedded sandbox on 127.0.0.1 and open the console on it "
        "(its own test key; the keyring is not touched)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, handler: Callable[[argparse.Namespace], int]) -> Any:
        sub = commands.add_parser(
            name, help=help_text, description=help_text, parents=[common], epilog=_EPILOG
        )
        sub.set_defaults(handler=handler)
        return sub

    from console.sandbox import command as sandbox_command

    sandbox = commands.add_parser(
        "sandbox",
        help="run the sandbox API server",
        description="Run the sandbox API server in the foreground.",
    )
    sandbox_command.add_arguments(sandbox)
    sandbox.set_defaults(handler=sandbox_command.run)

    login = command("login", "check an API key against the API and store it in the keyring", _login)
    login.add_argument("--base-url", metavar="URL", help="the API's base URL (new profiles)")
    login.add_argument("--mode", choices=MODES, help="sandbox, test or live (default: inferred)")

    command("logout", "delete the profile's API key from the keyring", _logout)
    command("status", "list profiles, base URLs, modes and masked keys", _status)

    pay = command("pay", "take a payment", _pay)
    pay.add_argument("--amount", required=True, help="exact decimal amount, e.g. 10.00")
    pay.add_argument("--currency", help="ISO 4217 code (default: the profile's currency)")
    pay.add_argument("--source", required=True, help="payment token, e.g. tok_visa")
    pay.add_argument("--description", help="shown on the payment")
    _idempotency_option(pay)
    _json_option(pay)

    get = command("get", "show a payment (or a refund, by its refund id)", _get)
    get.add_argument("object_id", metavar="ID", help="pay_... (or refund_...)")
    _json_option(get)

    refund = command("refund", "refund a payment, in full or in part", _refund)
    refund.add_argument("payment_id", metavar="PAYMENT_ID", help="pay_...")
    refund.add_argument("--amount", help="partial amount (default: everything not yet refunded)")
    _idempotency_option(refund)
    _json_option(refund)
    return parser


def _idempotency_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="reuse the key of an earlier attempt so it cannot be applied twice "
        "(default: a new one, printed when the outcome is unknown)",
    )


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the API object as JSON with exact amounts"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", _open_console)
    try:
        return handler(args)
    except Failure as failure:
        _error(str(failure))
        return failure.code
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("Interrupted")
        return EXIT_INTERRUPTED


# --- helpers ----------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _error(message: str) -> None:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)


def _run(coroutine: Coroutine[Any, Any, int], idempotency_key: str | None = None) -> int:
    """Run an API coroutine, turning client errors into exit codes and one line.

    When a POST's outcome is unknown, the message names its idempotency key, with which
    retrying cannot apply it twice.
    """
    from console.api.errors import APIConnectionError, CardError, PaymentsError

    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        if idempotency_key is None:
            raise
        raise Failure(
            "Interrupted: the request may have been sent "
            f"(retry with --idempotency-key {idempotency_key})",
            EXIT_INTERRUPTED,
        ) from None
    except PaymentsError as exc:
        message = str(exc)
        if isinstance(exc, CardError):
            details = [f"decline code {exc.decline_code}"] if exc.decline_code else []
            details += [f"payment {exc.payment_id}"] if exc.payment_id else []
            message += f" ({', '.join(details)})" if details else ""
        if exc.outcome_unknown and idempotency_key is not None:
            message += f" (retry with --idempotency-key {idempotency_key})"
        code = EXIT_CONNECTION if isinstance(exc, APIConnectionError) else EXIT_API
        raise Failure(message, code) from None


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def _profile_and_key(args: argparse.Namespace) -> tuple[Profile, str]:
    from console import credentials

    profile = _settings(args).get_profile(args.profile)
    try:
        key = credentials.get_key(profile.name)
    except credentials.KeyringUnavailableError as exc:
        raise Failure(str(exc)) from None
    if key is None:
        raise Failure(
            f"No API key for profile '{profile.name}': run "
            f"'{PROG} login --profile {profile.name}' or set PAYMENTS_API_KEY"
        )
    warning = credentials.mode_warning(key, profile.mode, profile.name)
    if warning:
        _warn(warning)
    return profile, key


def _client(profile: Profile, key: str) -> PaymentsClient:
    from console.api.client import PaymentsClient

    return PaymentsClient(profile.base_url, key, timeout=profile.timeout)


def _amount(text: str, currency: str) -> Decimal:
    try:
        return money.parse_amount(text, currency)
    except money.AmountError as exc:
        raise Failure(f"--amount: {exc}") from None


def _shown(amount: Decimal, currency: str | None) -> str:
    if currency is None:
        return format(amount, "f")
    try:
        return money.format_amount(amount, currency)
    except money.AmountError:
        return f"{currency} {format(amount, 'f')}"


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def _print_object(obj: Payment | Refund, as_json: bool, lines: Sequence[str]) -> None:
    if as_json:
        print(money.dumps(obj.to_wire()))
    else:
        print("\n".join(lines))


def _payment_lines(payment: Payment) -> list[str]:
    lines = [
        f"{payment.id}  {payment.status}  {_shown(payment.amount, payment.currency)}",
        f"  created      {_local(payment.created_at)}",
    ]
    if payment.description:
        lines.append(f"  description  {payment.description}")
    if payment.amount_refunded:
        lines.append(f"  refunded     {_shown(payment.amount_refunded, payment.currency)}")
    return lines


def _refund_lines(refund: Refund, currency: str | None) -> list[str]:
    """`currency` is the payment's when known; the API's refund object may name it too."""
    named = (refund.model_extra or {}).get("currency")
    currency = currency or (named if isinstance(named, str) else None)
    return [
        f"{refund.id}  {refund.status}  {_shown(refund.amount, currency)} of {refund.payment_id}",
        f"  created      {_local(refund.created_at)}",
    ]


def _with_journal(
    profile: Profile,
    key: str,
    idempotency_key: str,
    send: Callable[[PaymentsClient, Journal], Awaitable[int]],
) -> int:
    """Open the journal and a client for the profile, run `send`, close both."""
    from console.journal import Journal, default_journal_path

    async def run() -> int:
        with Journal(default_journal_path()) as journal:
            async with _client(profile, key) as client:
                return await send(client, journal)

    return _run(run(), idempotency_key)


def _check_idempotency_key(given: str | None) -> str:
    from console.operations import new_idempotency_key

    if given is None:
        return new_idempotency_key()
    if not given or len(given) > 255 or not given.isprintable() or " " in given:
        raise Failure("--idempotency-key must be 1 to 255 printable characters without spaces")
    return given


# --- commands ---------------------------------------------------------------------------


def _pay(args: argparse.Namespace) -> int:
    from console.api.models import PaymentCreate
    from console.context import utc_now
    from console.operations import create_payment

    profile, key = _profile_and_key(args)
    try:
        currency = money.normalize_currency(args.currency or profile.currency)
    except money.AmountError as exc:
        raise Failure(f"--currency: {exc}") from None
    amount = _amount(args.amount, currency)
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


def _refund(args: argparse.Namespace) -> int:
    """Refund; a partial amount is checked against the payment's currency first (from the
    journal, or a GET of the payment)."""
    from console.api.models import RefundCreate
    from console.context import utc_now
    from console.operations import create_refund

    profile, key = _profile_and_key(args)
    idempotency_key = _check_idempotency_key(args.idempotency_key)

    async def send(client: PaymentsClient, journal: Journal) -> int:
        currency = journal.payment_currency(args.payment_id)
        amount = None
        if args.amount is not None:
            if currency is None:
                currency = (await client.get_payment(args.payment_id)).currency
            amount = _amount(args.amount, currency)
        try:
            request = RefundCreate(payment_id=args.payment_id, amount=amount)
        except ValidationError as exc:
            raise Failure(describe(exc)) from None
        refund = await create_refund(
            client,
            journal,
            profile.name,
            request,
            clock=utc_now,
            idempotency_key=idempotency_key,
            currency=currency,
        )
        _print_object(refund, args.json, _refund_lines(refund, currency))
        return EXIT_OK

    return _with_journal(profile, key, idempotency_key, send)


def _get(args: argparse.Namespace) -> int:
    profile, key = _profile_and_key(args)
    object_id: str = args.object_id

    async def fetch() -> int:
        async with _client(profile, key) as client:
            if object_id.startswith(("refund_", "re_")):
                refund = await client.get_refund(object_id)
                _print_object(refund, args.json, _refund_lines(refund, None))
            else:
                payment = await client.get_payment(object_id)
                _print_object(payment, args.json, _payment_lines(payment))
        return EXIT_OK

    return _run(fetch())


def _read_key(prompt: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    if sys.stdin is None:
        return ""
    return sys.stdin.readline()


def _login(args: argparse.Namespace) -> int:
    from console import credentials
    from console.api.errors import AuthenticationError, NotFoundError

    settings = _settings(args)
    try:
        credentials.ensure_available()
    except credentials.KeyringUnavailableError as exc:
        raise Failure(str(exc)) from None
    name = args.profile or settings.default_profile
    if name is None:
        name = next(iter(settings.profiles)) if len(settings.profiles) == 1 else "default"
    existing = settings.profiles.get(name)
    if args.base_url is None and existing is None:
        raise Failure(f"--base-url is required for the new profile '{name}'")
    try:
        base_url = check_base_url(args.base_url) if args.base_url else None
    except ValueError as exc:
        raise Failure(f"--base-url: {exc}") from None
    try:
        key = credentials.check_key_shape(_read_key(f"API key for profile '{name}': "))
    except credentials.InvalidKeyError as exc:
        raise Failure(str(exc)) from None
    mode: Mode = args.mode or _login_mode(existing, base_url, key)
    try:
        profile = Profile(
            **{
                **(existing.model_dump() if existing else {}),
                "name": name,
                "base_url": base_url or (existing.base_url if existing else ""),
                "mode": mode,
            }
        )
    except ValidationError as exc:
        raise Failure(describe(exc)) from None

    async def check() -> int:
        async with _client(profile, key) as client:
            try:
                await client.get_payment(LOGIN_CHECK_ID)
            except NotFoundError:
                pass
            except AuthenticationError as exc:
                raise Failure(f"The API rejected this key: {exc}", EXIT_API) from None
        return EXIT_OK

    _run(check())
    warning = credentials.mode_warning(key, profile.mode, profile.name)
    if warning:
        _warn(warning)
    try:
        credentials.set_key(profile.name, key)
    except credentials.KeyringUnavailableError as exc:
        raise Failure(str(exc)) from None
    path = save_settings(settings.with_profile(profile), args.config)
    print(
        f"Logged in: profile '{profile.name}' ({profile.mode} mode, {profile.base_url}); "
        f"key {credentials.mask(key)} stored in the OS keyring; settings in {path}"
    )
    return EXIT_OK


def _login_mode(existing: Profile | None, base_url: str | None, key: str) -> Mode:
    """Keep the profile's mode; else infer it (a test key on a loopback URL is a sandbox)."""
    from console.credentials import infer_mode

    if existing is not None and base_url in (None, existing.base_url):
        return existing.mode
    inferred = infer_mode(key)
    host = (base_url or "").split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if inferred != "live" and is_loopback(host):
        return "sandbox"
    return inferred or "test"


def _logout(args: argparse.Namespace) -> int:
    from console import credentials

    settings = _settings(args)
    name = args.profile or settings.default_profile
    if name is None:
        name = settings.get_profile(None).name
    try:
        deleted = credentials.delete_key(name)
    except credentials.KeyringUnavailableError as exc:
        raise Failure(str(exc)) from None
    if deleted:
        print(f"Removed the API key of profile '{name}' from the OS keyring")
    elif name not in settings.profiles:
        settings.get_profile(name)  # raises: unknown profile, with the known ones
    else:
        print(f"Profile '{name}' had no API key in the OS keyring")
    if credentials.env_key():
        _warn("PAYMENTS_API_KEY is still set in this environment")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from console import credentials

    path = args.config or default_config_path()
    settings = _settings(args)
    print(f"Settings: {path}")
    if not settings.profiles:
        print(f"No profiles yet: run '{PROG} login --base-url URL' or '{PROG} --sandbox'")
        return EXIT_OK
    profiles = settings.profiles
    if args.profile is not None:
        profiles = {args.profile: settings.get_profile(args.profile)}
    width = max(len(name) for name in profiles)
    keyring_problem: str | None = None
    for name, profile in profiles.items():
        marker = "*" if name == settings.default_profile else " "
        try:
            key = credentials.get_key(name)
            source = credentials.key_source(name)
        except credentials.KeyringUnavailableError as exc:
            key, source, keyring_problem = None, None, str(exc)
        if key is None:
            shown = "keyring unavailable" if keyring_problem else "no key (run login)"
        else:
            origin = "PAYMENTS_API_KEY" if source == "env" else "keyring"
            shown = f"{credentials.mask(key)} ({origin})"
        print(f"{marker} {name:<{width}}  {profile.mode:<7}  {profile.base_url}  {shown}")
        warning = key and credentials.mode_warning(key, profile.mode, name)
        if warning:
            _warn(warning)
    if keyring_problem:
        _warn(keyring_problem)
    return EXIT_OK


# --- the console (TUI) ------------------------------------------------------------------


def _open_console(args: argparse.Namespace) -> int:
    from console.app import make_app
    from console.context import Connector, default_client_factory, utc_now
    from console.journal import Journal, default_journal_path

    settings = _settings(args)
    servers: list[SandboxServer] = []

    async def start_sandbox() -> tuple[Profile, PaymentsClient]:
        from console.sandbox.command import default_db_path
        from console.sandbox.server import SandboxServer

        server = SandboxServer(default_db_path())
        await asyncio.to_thread(server.start)
        servers.append(server)
        profile = Profile(name="sandbox", base_url=server.base_url, mode="sandbox")
        return profile, default_client_factory(profile, server.api_key)

    profile: Profile | None = None
    client: PaymentsClient | None = None
    connect: Connector | None = start_sandbox if args.sandbox else None
    if not args.sandbox and (settings.profiles or args.profile is not None):
        profile = settings.get_profile(args.profile)
        from console import credentials

        try:
            key = credentials.get_key(profile.name)
        except credentials.KeyringUnavailableError as exc:
            raise Failure(f"{exc} Or run '{PROG} --sandbox'.") from None
        if key is not None:
            client = default_client_factory(profile, key)
    try:
        with Journal(default_journal_path()) as journal:
            app = make_app(
                client=client,
                journal=journal,
                settings=settings,
                profile=profile,
                clock=utc_now,
                config_path=args.config,
                connect=connect,
                sandbox=start_sandbox,
            )
            app.run()
    finally:
        for server in servers:
            server.stop()
    return app.return_code or EXIT_OK
