"""`history`: a profile's operations from the journal, newest first, as lines, as JSON,
or written to a CSV file.

    payments-console history [--json] [--operator NAME] [--status S] [--since DATE]
                             [--limit N] [--output FILE.csv]

It reads the journal only: nothing is sent and no key is needed. The profile is
`--profile` (any name the journal holds, `sandbox` for `--sandbox` runs), else the
default one; with no profile configured, every profile's operations are listed. The
lines and the CSV file are made safe for a terminal (`safe_text`); `--json` keeps the
data as it is, exact amounts and every control character escaped. Import-light: the
journal is opened by `history`, not when the command line is built.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.entries import STATUSES

if TYPE_CHECKING:
    from console.journal import Journal, JournalEntry
    from console.journal.export import Selection

DEFAULT_LIMIT = 100
"""Operations listed unless --limit says otherwise (a CSV file gets every match)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON array, exact amounts")
    parser.add_argument("--status", choices=STATUSES, help="only operations with this status")
    parser.add_argument(
        "--operator", metavar="NAME", help="only operations this operator sent (last)"
    )
    parser.add_argument(
        "--since",
        metavar="DATE",
        type=_since,
        help="only operations recorded from DATE on (YYYY-MM-DD: local midnight, or "
        "YYYY-MM-DDTHH:MM, local time unless it has an offset)",
    )
    parser.add_argument(
        "--limit",
        metavar="N",
        type=_positive,
        help=f"the newest N operations (default: {DEFAULT_LIMIT} listed, every one written "
        "with --output)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE.csv",
        type=Path,
        help="write them to a CSV file (replaced if it exists) instead of listing them",
    )


def _since(text: str) -> datetime:
    """The first instant DATE names, aware (a naive time is this machine's local time)."""
    try:
        if len(text.strip()) == len("YYYY-MM-DD"):
            moment = datetime.combine(date.fromisoformat(text.strip()), time(0))
        else:
            moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def history(args: argparse.Namespace) -> int:
    from console.commands.exits import EXIT_OK
    from console.journal.export import Selection

    profile = _profile(args)
    output: Path | None = args.output
    limit = args.limit if args.limit is not None or output is not None else DEFAULT_LIMIT
    selection = Selection(
        profile=profile,
        status=args.status,
        since=args.since,
        limit=limit,
        operator=args.operator,
    )
    from console.commands.common import open_journal  # not at parse time: it loads pydantic

    with open_journal(args, sends=False) as journal:
        if output is not None:
            _write(journal, selection, output, as_json=args.json)
        else:
            _list(journal.selected(selection), selection, as_json=args.json)
    return EXIT_OK


def _profile(args: argparse.Namespace) -> str | None:
    """--profile as named, else the default profile (None: none is configured)."""
    from console.commands.common import settings

    if args.profile is not None:
        return str(args.profile)
    chosen = settings(args)
    return chosen.get_profile().name if chosen.profiles else None


def _write(journal: Journal, selection: Selection, output: Path, *, as_json: bool) -> None:
    import json
    import sqlite3

    from console.commands.exits import Failure
    from console.paths import file_error_problem

    if output.is_dir():
        raise Failure(f"--output: {output} is a directory; name a file in it")
    if not output.parent.is_dir():
        raise Failure(f"--output: there is no directory {output.parent}")
    try:
        count = journal.write_csv(selection, output)
    except (OSError, sqlite3.Error) as exc:
        raise Failure(f"Cannot write {output}: {file_error_problem(exc, output)}") from None
    if as_json:
        print(json.dumps({"exported": count, "path": str(output)}, ensure_ascii=False))
    else:
        from console.safe_text import for_terminal

        noun = "operation" if count == 1 else "operations"
        print(for_terminal(f"Exported {count:,} {noun} to {output}"))


def _list(entries: list[JournalEntry], selection: Selection, *, as_json: bool) -> None:
    from console import money
    from console.safe_text import escape_json_controls

    if as_json:
        print(escape_json_controls(money.dumps([_json(entry) for entry in entries])))
        return
    if not entries:
        from console.commands.exits import warn

        on = f" on profile '{selection.profile}'" if selection.profile is not None else ""
        warn(f"no operation{on} matches")
        return
    print("\n".join(_lines(entries)))


def _json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": entry.created_at.isoformat(),
        "kind": entry.kind,
        "status": entry.status,
        "profile": entry.profile,
        "payment_id": entry.payment_id,
        "object_id": entry.object_id,
        "amount": entry.amount,
        "currency": entry.currency,
        "description": entry.description,
        "source": entry.source,
        "error": entry.error,
        "decline_code": entry.decline_code,
        "idempotency_key": entry.idempotency_key,
        "operator": entry.operator,
        "host": entry.host,
    }


def _lines(entries: list[JournalEntry]) -> list[str]:
    """Aligned columns: time, kind, payment, amount (on the right), status, details."""
    from console.display import amount_text, local_time
    from console.safe_text import one_line

    rows = [
        (
            local_time(entry.created_at),
            entry.kind,
            one_line(entry.payment_id or "—"),
            one_line(amount_text(entry.amount, entry.currency)),
            entry.status,
            one_line(entry.details),
        )
        for entry in entries
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    return [
        "  ".join(
            [
                *(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False)),
                row[3].rjust(widths[3]),
                row[4].ljust(widths[4]),
                row[5],
            ]
        ).rstrip()
        for row in rows
    ]
