"""What `batch` prints and asks: the file's problems, the dry run, the typed confirmation,
the report and the summary (a JSON object with `--json`), and its exit code.

Text from the file, the journal or the network goes through `safe_text` (one line each);
`--json` keeps it whole, control characters escaped. Amounts are exact decimals.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from console import money
from console.batch.plan import Invalid, Plan
from console.batch.problems import column_letter, render_problems
from console.batch.report import ReportRow, ReportStatus, write_report
from console.batch.runner import Runner
from console.batch.summary import VERBS, Tally, fate, report_rows
from console.batch.totals import CurrencyTotal, total_lines, typed_total_error
from console.batch.worktable import WorkRow
from console.commands.batch_options import DEFAULT_CONCURRENCY
from console.commands.exits import (
    EXIT_API,
    EXIT_NOT_SENT,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_USAGE,
    PROG,
    Failure,
    error,
    warn,
)
from console.config import Profile
from console.display import amount_text
from console.safe_text import escape_json_controls, one_line

_TYPING_TRIES = 3


def print_json(value: dict[str, Any]) -> None:
    print(escape_json_controls(money.dumps(value)))


# --- before sending ---------------------------------------------------------------------


def invalid(problems: Invalid, path: Path, as_json: bool) -> int:
    """Every problem of the file, then the command's one error line (exit 2)."""
    count = len(problems.problems)
    message = (
        f"{path.name}: {count:,} problem{'' if count == 1 else 's'}"
        f"{'' if as_json else ' (above)'}: fix the file, then run the same command again."
        " Nothing was sent"
    )
    if as_json:
        header = problems.header
        print_json(
            {
                "error": message,
                "code": "invalid_batch",
                "exit_code": EXIT_USAGE,
                "problems": [
                    {
                        "line": problem.line,
                        "column": problem.column,
                        "column_letter": column_letter(header.index(problem.column))
                        if problem.column in header
                        else None,
                        "kind": problem.kind,
                        "message": problem.message,
                    }
                    for problem in problems.problems
                ],
            }
        )
    else:
        for line in render_problems(problems.problems, problems.header):
            print(line, file=sys.stderr)
        error(message)
    return EXIT_USAGE


async def confirm(plan: Plan, profile: Profile) -> None:
    """The merchant types each currency's total to send the batch; else a `Failure`."""
    err = sys.stderr
    verb = VERBS[plan.kind][0]
    mode = "LIVE: real money" if profile.mode == "live" else profile.mode.upper()
    print(
        f"To {verb} from {plan.path.name} on profile {profile.name} ({mode}):"
        f" {plan.to_send:,} of {plan.rows:,} rows",
        file=err,
    )
    for line in total_lines(plan.totals):
        print(f"  {line}", file=err)
    print("Type each currency's total to send the batch (Ctrl-D or Ctrl-C cancels).", file=err)
    wanted = list(plan.totals.items()) or [("", CurrencyTotal(plan.to_send, Decimal(0)))]
    for code, total in wanted:
        for _ in range(_TYPING_TRIES):
            typed = await _read_line(f"{code} total: " if code else "Type yes to send: ")
            if typed is None:
                raise Failure("Cancelled: nothing was sent", EXIT_NOT_SENT)
            problem = (
                typed_total_error(typed, code, total)
                if code
                else (None if typed.strip().lower() == "yes" else "Type yes")
            )
            if problem is None:
                break
            print(problem, file=err)
        else:
            raise Failure("The totals were not typed: nothing was sent", EXIT_NOT_SENT)


async def _read_line(prompt: str) -> str | None:
    """A line typed at the terminal (None at end of input), read without blocking the
    event loop: a signal meanwhile cancels the wait."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    descriptor = sys.stdin.fileno()

    def typed() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(descriptor, typed)
    try:
        await ready
    except BaseException:
        sys.stderr.write("\n")  # the prompt's line is left as it was typed
        raise
    finally:
        loop.remove_reader(descriptor)
    line = sys.stdin.readline()
    return None if not line else line.rstrip("\r\n")


# --- the dry run, the report and the summary ---------------------------------------------


def _exit_code(tally: Tally) -> int:
    if tally.counts["unknown"]:
        return EXIT_UNKNOWN
    if tally.counts["not_sent"]:
        return EXIT_NOT_SENT
    return EXIT_API if tally.counts["refused"] else EXIT_OK


def dry_run(plan: Plan, report: Path, as_json: bool) -> int:
    """Each row and what would become of it, the totals to send, the report (exit 0)."""
    tally = Tally()
    verb = VERBS[plan.kind][0]

    def rows() -> Iterator[WorkRow]:
        for row in plan.table.rows():
            if not as_json:
                print(_row_line(plan, row))
            yield row

    _write(report, report_rows(rows(), tally, dry_run=True), plan)
    if as_json:
        print_json(_summary(plan, report, tally, dry_run=True))
    else:
        lines = total_lines(dict(sorted(tally.moved.items())))
        print(f"Would {verb}: {'; '.join(lines) or 'nothing'}. Nothing was sent (dry run).")
        print(f"Report: {report}")
    return EXIT_OK


@dataclass(frozen=True)
class Seconds:
    """How long a live run took: checking the file (and its payments), then sending."""

    checking: float
    sending: float

    def text(self, sent: int) -> str:
        rate = f" ({sent / self.sending:,.0f} rows/s)" if sent and self.sending > 0 else ""
        return f"checked in {self.checking:.1f} s, {sent:,} sent in {self.sending:.1f} s{rate}"


def summary(
    plan: Plan, report: Path, runner: Runner, args: argparse.Namespace, seconds: Seconds
) -> int:
    """The report, then what the run did and its exit code; the resume command when rows
    are left."""
    stopped = runner.stopped
    tally = Tally()
    _write(report, report_rows(plan.table.rows(), tally, stopped=stopped), plan)
    left = tally.left
    resume = _resume_command(plan, args) if left else None
    if args.json:
        fields = _summary(plan, report, tally, dry_run=False, stopped=stopped, resume=resume)
        fields["seconds"] = {
            "checking": Decimal(f"{seconds.checking:.3f}"),
            "sending": Decimal(f"{seconds.sending:.3f}"),
        }
        fields["sent"] = runner.sent
        print_json(fields)
    else:
        counts = tally.counts_text()
        earlier = plan.counts.get("done", 0)
        before = f" ({earlier:,} of them in an earlier run)" if earlier else ""
        print(f"{plan.path.name}: {plan.rows:,} rows: {counts}{before}")
        done = total_lines(dict(sorted(tally.moved.items())))
        if done:
            print(f"  {VERBS[plan.kind][1]} {'; '.join(done)}")
        if runner.sent:
            print(f"  {seconds.text(runner.sent)}")
        print(f"Report: {report}")
    if resume is not None:
        why = f"{one_line(stopped)}. " if stopped else ""
        error(
            f"{why}{left:,} row{'s are' if left > 1 else ' is'} not done: run the same command"
            f" again, which sends each with its own key (none can happen twice): {resume}"
        )
    return _exit_code(tally)


def _write(report: Path, rows: Iterator[ReportRow], plan: Plan) -> None:
    """The report; one that cannot be written is said (the rows are still counted: the
    journal keeps what happened, and the next run writes the report again)."""
    try:
        write_report(report, rows, plan.dialect)
    except OSError as exc:
        for _ in rows:  # the summary still counts every row
            pass
        warn(f"Could not write the report {report}: {exc}. Run the same command again to write it")


def _summary(
    plan: Plan,
    report: Path,
    tally: Tally,
    *,
    dry_run: bool,
    stopped: str | None = None,
    resume: str | None = None,
) -> dict[str, Any]:
    statuses: tuple[ReportStatus, ...] = ("done", "refused", "unknown", "not_sent", "would_send")
    return {
        "batch": plan.identity.id,
        "kind": plan.kind,
        "file": str(plan.path),
        "profile": plan.identity.profile,
        "dry_run": dry_run,
        "rows": plan.rows,
        **{status: tally.counts[status] for status in statuses},
        "totals": {
            code: {"rows": total.count, "amount": money.quantize(total.amount, code)}
            for code, total in sorted(tally.moved.items())
        },
        "report": str(report.resolve()),
        "exit_code": EXIT_OK if dry_run else _exit_code(tally),
        "stopped": stopped,
        "resume_command": resume,
    }


def _row_line(plan: Plan, row: WorkRow) -> str:
    """'line 12      pay_…         USD 10.00  would refund (all that remains)  ref-7'."""
    amount = "-" if row.amount is None else amount_text(row.amount, row.currency)
    amount = f"{one_line(amount):>14}"
    if plan.kind == "refunds":
        cells = [f"{one_line(row.payment_id or ''):<28}", amount]
    else:
        request = row.request or {}
        cells = [amount, one_line(str(request.get("source"))), _cut(request.get("description"))]
    shown = fate(row, plan.kind) + (" (--retry-failed sends it again)" * (row.state == "refused"))
    cells.append(one_line(shown) + (" (all that remains)" if row.whole else ""))
    cells += [one_line(row.reference)] if row.reference else []
    return "  ".join([f"line {row.line:<6}", *cells])


def _cut(text: object, width: int = 40) -> str:
    shown = one_line(str(text or ""))
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _resume_command(plan: Plan, args: argparse.Namespace) -> str:
    """This command again, as the merchant gave it (without --retry-failed: the rows
    left are unknown or unsent, which it sends anyway)."""
    argv = [PROG, "batch", plan.kind, str(plan.path)]
    for option, value in (("--profile", "profile"), ("--config", "config"), ("--report", "report")):
        given = getattr(args, value, None)
        argv += [option, str(given)] if given else []
    if args.concurrency != DEFAULT_CONCURRENCY:
        argv += ["--concurrency", str(args.concurrency)]
    argv += [flag for flag, given in (("--json", args.json), ("--yes", args.yes)) if given]
    return shlex.join(argv)
