"""`batch refunds FILE` and `batch payments FILE`: their arguments and help (argparse only:
the command itself, `console.commands.batch`, is imported when it runs)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], int]

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32

_FORMATS = {
    "refunds": "payment_id,amount[,reference]: an empty amount refunds all that remains",
    "payments": "amount,currency,source,description[,reference]",
}

EPILOG = (
    "The file: UTF-8 (with or without a BOM), comma or semicolon separated, a header row "
    "first. Every row is checked before anything is sent (every problem is listed, with "
    "its line and column: exit 2); refund rows against their payments too. Each row is "
    "journaled before it is sent, with its own idempotency key (from the profile, the "
    "file's content and the row's line): running the same command again on the same file "
    "resumes it, whatever stopped it (Ctrl-C, a kill, a lost connection): rows done are not "
    "sent again, rows whose outcome is unknown are sent again with their own keys, rows the "
    "API refused only with --retry-failed. Exit codes: 0 every row done; 1 some rows "
    "refused; 2 a problem in the file or the command, nothing sent; 3 some rows not sent "
    "(stopped): run it again; 4 some rows' outcome unknown: run it again."
)


def add_batch(command: Callable[[str, str, Handler], Any], common: argparse.ArgumentParser) -> None:
    """The `batch` command and its two kinds, made by the CLI's `command` (which gives
    them its common options: `common`)."""
    batch = command(
        "batch", "refund or pay in bulk from a CSV file: checked first, resumable", _run
    )
    kinds = batch.add_subparsers(
        dest="batch_kind", metavar="KIND", parser_class=type(batch), required=True
    )
    for kind, what in (("refunds", "refund payments"), ("payments", "take payments")):
        sub = kinds.add_parser(
            kind,
            help=f"{what} from a CSV file ({_FORMATS[kind]})",
            description=f"{what.capitalize()} from a CSV file, one a row: {_FORMATS[kind]}.",
            parents=[common],
            epilog=EPILOG,
        )
        sub.add_argument("file", metavar="FILE.csv", type=Path, help="the batch file")
        sub.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row (and fetch every payment refunded) and show what would "
            "be sent, with the totals per currency; sends nothing",
        )
        sub.add_argument(
            "--concurrency",
            metavar="N",
            type=_concurrency,
            default=DEFAULT_CONCURRENCY,
            help=f"requests in flight (1 to {MAX_CONCURRENCY}, default {DEFAULT_CONCURRENCY})",
        )
        sub.add_argument(
            "--report",
            metavar="PATH",
            type=Path,
            help="where to write the report CSV (default: beside the file, FILE.report.csv)",
        )
        sub.add_argument("--json", action="store_true", help="print a summary as JSON")
        sub.add_argument(
            "--yes",
            action="store_true",
            help="send without typing the totals (required when stdin is not a terminal)",
        )
        sub.add_argument(
            "--retry-failed",
            action="store_true",
            help="send again the rows the API refused in an earlier run (with new keys)",
        )
        sub.set_defaults(handler=_run)


def _concurrency(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_CONCURRENCY}")
    return value


def _run(args: argparse.Namespace) -> int:
    """The command, imported when it runs (it imports the client and the journal)."""
    run: Handler = import_module("console.commands.batch").run
    return run(args)
