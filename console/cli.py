"""Command line: argument parsing and subcommands, no business logic.

`payments-console` opens the TUI; the subcommands script the same services. Exit codes
(`EXIT_*`, and `_EPILOG` for --help) tell a script whether to run a command again: 0 done,
1 definitively refused, 2 usage or configuration, 3 nothing was sent, 4 the outcome is
unknown. An expected failure is one line on stderr (a JSON object on stdout with --json),
never a traceback.

Building the parser imports nothing heavy: each command lives in `console.commands.*`,
imported when it runs, and imports what it needs (pydantic, httpx, the keyring, Textual,
the sandbox's FastAPI/uvicorn).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any, NoReturn

from console.commands.exits import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PROG,
    Failure,
    error,
    print_json_error,
)
from console.modes import MODES
from console.paths import default_config_path

_EPILOG = (
    "Exit codes: 0 done; 1 the API refused (nothing happened; message on stderr); "
    "2 usage or configuration error; 3 nothing was sent (safe to run again); 4 the outcome "
    "is unknown (the idempotency key and the retry command are printed: running the same "
    "command again re-sends it with that key, so it cannot happen twice). With --json, an "
    "error is a JSON object on stdout with the same exit code. The API key is never a "
    "command-line argument: `login` reads it without echo (or from stdin when it is not a "
    "terminal), and PAYMENTS_API_KEY overrides the stored key for one run."
)

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2) that never echo an API key."""

    def error(self, message: str) -> NoReturn:
        from console.safe_text import mask_keys

        # A key may be glued to an option ("--api-key=sk_test_...") or quoted: mask it
        # wherever it appears in the message, not only as a whole word.
        masked = mask_keys(message)
        if masked != message:
            masked += f" (an API key is never an argument: use '{PROG} login')"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {masked} (see --help)\n")


class _Version(argparse.Action):
    """`--version`, looked up only when asked (importlib.metadata costs start-up time)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="show program's version number and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        from console import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


def _lazy(module: str, name: str) -> Handler:
    """The handler `name` of `console.commands.<module>`, imported when the command runs."""

    def handler(args: argparse.Namespace) -> int:
        command: Handler = getattr(import_module(f"console.commands.{module}"), name)
        return command(args)

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A keyboard-driven console for the Payment Processing API. "
        "Without a command, opens the console on the default profile.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action=_Version)
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

    def command(name: str, help_text: str, handler: Handler) -> Any:
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

    login = command(
        "login",
        "check an API key against the API and store it in the keyring",
        _lazy("profiles", "login"),
    )
    login.add_argument("--base-url", metavar="URL", help="the API's base URL (new profiles)")
    login.add_argument("--mode", choices=MODES, help="sandbox, test or live (default: inferred)")
    login.add_argument(
        "--read-only",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="look up and export only, never pay or refund (default: keep the profile's)",
    )

    command("logout", "delete the profile's API key from the keyring", _lazy("profiles", "logout"))
    command(
        "status", "list profiles, base URLs, modes and masked keys", _lazy("profiles", "status")
    )

    pay = command("pay", "take a payment", _lazy("payments", "pay"))
    pay.add_argument("--amount", required=True, help="exact decimal amount, e.g. 10.00")
    pay.add_argument("--currency", help="ISO 4217 code (default: the profile's currency)")
    pay.add_argument("--source", required=True, help="payment token, e.g. tok_visa")
    pay.add_argument("--description", help="shown on the payment")
    _idempotency_options(pay)
    _json_option(pay)

    get = command("get", "show a payment (or a refund, by its refund id)", _lazy("payments", "get"))
    get.add_argument("object_id", metavar="ID", help="pay_... (or refund_...)")
    _json_option(get)

    refund = command("refund", "refund a payment, in full or in part", _lazy("payments", "refund"))
    refund.add_argument("payment_id", metavar="PAYMENT_ID", help="pay_...")
    refund.add_argument("--amount", help="partial amount (default: everything not yet refunded)")
    _idempotency_options(refund)
    _json_option(refund)

    from console.commands import history as history_command  # import-light: argparse only

    history = command(
        "history", "list the journal's operations, or write them to CSV", history_command.history
    )
    history_command.add_arguments(history)
    from console.commands import journal as journal_command  # import-light: argparse only

    journal_command.add_arguments(
        command("journal", "copy this console's journal into a shared one", journal_command.journal)
    )
    import_module("console.commands.batch_options").add_batch(command, common)
    return parser


def _idempotency_options(parser: argparse.ArgumentParser) -> None:
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="the key to send it with (default: the key of an identical request of the last "
        "24 hours whose outcome is unknown, so rerunning a command never applies it twice; "
        "else a new one)",
    )
    keys.add_argument(
        "--new",
        action="store_true",
        help="a new operation even if an identical one has an unknown outcome",
    )


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the API object as JSON with exact amounts"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = getattr(args, "handler", _lazy("console_app", "open_console"))
    try:
        return handler(args)
    except Failure as failure:
        if getattr(args, "json", False):
            print_json_error(failure)
        else:
            error(str(failure))
        return failure.code
    except KeyboardInterrupt:
        error("Interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        from console.config import ConfigError  # already loaded if it raised one

        if not isinstance(exc, ConfigError):
            raise
        error(str(exc))
        return EXIT_USAGE
