"""Refund rows against the payments they refund: what is wrong once the payments are
known, and what each row resolves to (an empty amount: what remains of the payment).

Pure functions: the caller fetches the payments and passes their `RefundFigures` (the
console's refund arithmetic), so the checks run the same in a dry run, before a live run
and on a resume, and are tested without a network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from console import money
from console.batch.problems import Problem
from console.batch.rows import RefundRow
from console.refunds import RefundFigures
from console.wire.models import RefundCreate

_LINES_NAMED = 5


@dataclass(frozen=True)
class ResolvedRefund:
    """A refund row with its payment known: the exact amount and currency it refunds."""

    line: int
    payment_id: str
    amount: Decimal
    currency: str
    whole: bool
    """The row's amount was empty: `amount` is what remained when it was resolved."""
    reference: str | None = None

    def request(self) -> RefundCreate:
        """The body to send. Its amount is explicit, a whole refund's too: what is sent is
        what the merchant confirmed, and a refund made elsewhere meanwhile gets the row
        refused by the API instead of silently refunding a different amount."""
        return RefundCreate(payment_id=self.payment_id, amount=self.amount)


def resolve_refund(row: RefundRow, figures: RefundFigures) -> ResolvedRefund:
    """`row` with its payment's figures (a row `refund_problems` found nothing wrong with)."""
    return ResolvedRefund(
        row.line,
        row.payment_id,
        money.quantize(_asked(row, figures), figures.currency),
        figures.currency,
        whole=row.amount is None,
        reference=row.reference,
    )


def _asked(row: RefundRow, figures: RefundFigures) -> Decimal:
    return figures.remaining if row.amount is None else row.amount


def refund_problems(
    rows: Iterable[RefundRow], payments: Mapping[str, RefundFigures]
) -> list[Problem]:
    """Every problem of `rows` against their payments, in line order.

    `payments` maps each payment ID the API found to its figures; an ID it lacks was not
    found. Rows refunding one payment are summed against what remains of it, and a row
    refunding all that remains must be that payment's only row. On a resume, pass only
    the rows still to send, with figures `.after()` the rows that may have happened.
    """
    problems: list[Problem] = []
    by_payment: dict[str, list[RefundRow]] = {}
    for row in rows:
        problem = _row_problem(row, payments.get(row.payment_id))
        if problem is None:
            by_payment.setdefault(row.payment_id, []).append(row)
        else:
            problems.append(problem)
    for payment_id, group in by_payment.items():
        problems.extend(_payment_problems(group, payments[payment_id]))
    return sorted(problems, key=lambda problem: problem.line)


def _row_problem(row: RefundRow, figures: RefundFigures | None) -> Problem | None:
    if figures is None:
        return Problem(row.line, "payment_not_found", "No such payment", "payment_id")
    blocked = figures.blocked()
    if blocked is not None:
        return Problem(row.line, "not_refundable", blocked, "payment_id")
    try:
        money.check_amount(_asked(row, figures), figures.currency)
    except money.AmountError as exc:
        return Problem(row.line, "invalid_amount", str(exc), "amount")
    return None


def _payment_problems(rows: Sequence[RefundRow], figures: RefundFigures) -> list[Problem]:
    """The rows of one payment together: a whole refund alone, the sum within what remains."""
    if len(rows) == 1 or all(row.amount is not None for row in rows):
        return _over_refund(rows, figures)
    problems = []
    for row in rows:
        if row.amount is None:
            others = [other.line for other in rows if other is not row]
            where = f"line{'s' if len(others) > 1 else ''} {_line_list(others)}"
            message = (
                f"Refunds all that remains of {row.payment_id}, which {where} refund"
                f"{'' if len(others) > 1 else 's'} too: give each row an amount"
            )
            problems.append(Problem(row.line, "whole_and_partial", message, "amount"))
    return problems


def _over_refund(rows: Sequence[RefundRow], figures: RefundFigures) -> list[Problem]:
    """A problem on the row whose amount takes the payment's running total past what remains."""
    total = Decimal(0)
    for index, row in enumerate(rows):
        total += _asked(row, figures)
        if total <= figures.remaining:
            continue
        left = f"more than the {figures.show(figures.remaining)} left to refund"
        if index == 0:
            return [Problem(row.line, "over_refund", f"{figures.show(total)} is {left}", "amount")]
        lines = _line_list([earlier.line for earlier in rows[: index + 1]])
        message = f"Lines {lines} refund {figures.show(total)} of {row.payment_id}: {left}"
        return [Problem(row.line, "over_refund", message, "amount")]
    return []


def _line_list(lines: Sequence[int]) -> str:
    """'3', '3 and 7', '3, 7 and 9', '3, 7, 9, 12, 15 and 40 more'."""
    shown = [str(line) for line in lines[:_LINES_NAMED]]
    if len(lines) > _LINES_NAMED:
        return f"{', '.join(shown)} and {len(lines) - _LINES_NAMED} more"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"
