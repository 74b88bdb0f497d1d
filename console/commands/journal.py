"""`journal copy --to URL`: this console's SQLite journal into a team's shared one.

    payments-console journal copy --to postgresql://payments@db.internal/console [--json]

The source is the journal file the settings name (`journal`, when it is a file), else
the one in the data dir. Running it twice copies nothing twice (`console.journal.copy`);
then set `journal = "<URL>"` in the settings, and this console works from the shared
journal. Import-light: the journals are opened by `copy`, not when the parser is built.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["copy"],
        help="copy: this console's journal file into a shared PostgreSQL journal "
        "(run twice, nothing is copied twice)",
    )
    parser.add_argument(
        "--to",
        metavar="URL",
        required=True,
        help="the shared journal, postgresql://user@host/database (no password in it: "
        "use ~/.pgpass, PGPASSWORD, or peer or certificate authentication)",
    )
    parser.add_argument("--json", action="store_true", help="print the counts as a JSON object")


def journal(args: argparse.Namespace) -> int:
    """The journal command's one action so far: `copy`."""
    assert args.action == "copy"
    return copy(args)


def copy(args: argparse.Namespace) -> int:
    import json

    from console.clock import utc_now
    from console.commands.common import opened_journal, settings
    from console.commands.exits import EXIT_OK, Failure
    from console.config import is_journal_url, journal_url_problem
    from console.journal.copy import copy_journal
    from console.safe_text import for_terminal

    problem = journal_url_problem(args.to) if is_journal_url(args.to) else None
    if not is_journal_url(args.to) or problem is not None:
        raise Failure(f"--to: {problem or 'name a postgresql://user@host/database URL'}")
    chosen = settings(args)
    local = None if chosen.journal is None or is_journal_url(chosen.journal) else chosen.journal
    with (
        opened_journal(local, chosen.operator, sends=False) as source,
        opened_journal(args.to, chosen.operator, sends=False) as target,
    ):
        try:
            done = copy_journal(source, target, now=utc_now())
        except OSError as exc:
            raise Failure(f"The copy stopped: {exc}; run it again to finish it") from None
    if args.json:
        print(json.dumps({**done.__dict__, "from": str(source.path), "to": args.to}))
        return EXIT_OK
    noun = "operation" if done.copied == 1 else "operations"
    message = f"Copied {done.copied:,} {noun} from {source.path} to {args.to}"
    message += f" ({done.already_there:,} already there)"
    if done.being_sent:
        message += (
            f"; {done.being_sent:,} being sent right now were left: run it again when they are done"
        )
    print(for_terminal(message))
    return EXIT_OK
