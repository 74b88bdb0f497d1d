"""A batch file's rows, each read on its own: typed refund and payment rows, or the
problems of their cells. Every cell is checked, so a row reports all it has wrong."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeVar

from pydantic import ValidationError

from console import money
from console.batch.amounts import amount_without_currency, payment_amount
from console.batch.csv_file import Columns, Delimiter, Record
from console.batch.problems import Problem, ProblemKind
from console.display import payment_id_error
from console.safe_text import KeyInFieldError, refuse_key, strip_controls
from console.wire.models import PaymentCreate, field_errors

BatchKind = Literal["refunds", "payments"]

COLUMNS: dict[BatchKind, Columns] = {
    "refunds": Columns(("payment_id", "amount"), ("reference",)),
    "payments": Columns(("amount", "currency", "source", "description"), ("reference",)),
}

MAX_DESCRIPTION_LENGTH = 1000
"""The longest description the API takes, in characters (the sandbox's documented
limit, `console.sandbox.openapi.MAX_DESCRIPTION_LENGTH`; the wire models have none)."""

_WIRE_KINDS: dict[str, ProblemKind] = {
    "amount": "invalid_amount",
    "currency": "invalid_currency",
    "source": "invalid_source",
    "description": "invalid_description",
}

_Value = TypeVar("_Value")


@dataclass(frozen=True)
class RefundRow:
    """A refund to make: `amount` None refunds whatever remains of the payment."""

    line: int
    payment_id: str
    amount: Decimal | None
    reference: str | None = None


@dataclass(frozen=True)
class PaymentRow:
    """A payment to take, as the request that will be sent."""

    line: int
    request: PaymentCreate
    reference: str | None = None

    @property
    def amount(self) -> Decimal:
        return self.request.amount

    @property
    def currency(self) -> str:
        return self.request.currency


Row = RefundRow | PaymentRow


class _Cells:
    """A record's cells, read one by one; the first problem of each cell is kept (and the
    cell is not read further)."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.problems: dict[str, Problem] = {}
        for column, text in record.cells.items():
            self._refuse_hidden(column, text)

    def read(self, column: str, parse: Callable[[str], _Value], kind: ProblemKind) -> _Value | None:
        """`parse` of the cell, or None with a problem (a ValueError's message)."""
        if column in self.problems:
            return None
        try:
            return parse(self.record.cells[column])
        except ValueError as exc:
            self.add(column, kind, str(exc))
            return None

    def require(self, *columns: str) -> None:
        for column in columns:
            if not self.record.cells[column]:
                what = column.replace("_", " ").replace(" id", " ID")
                self.add(column, "required", f"Empty: every row needs its {what}")

    def add(self, column: str, kind: ProblemKind, message: str) -> None:
        self.problems.setdefault(column, Problem(self.record.line, kind, message, column))

    def _refuse_hidden(self, column: str, text: str) -> None:
        try:
            refuse_key(column, text)
        except KeyInFieldError as exc:
            self.add(column, "key_in_text", str(exc).removeprefix(f"{column}: "))
        if strip_controls(text) != text:
            self.add(
                column,
                "control_character",
                "Has a control character (an escape sequence or an invisible character)",
            )


def _payment_id(text: str) -> str:
    error = payment_id_error(text)
    if error is not None:
        raise ValueError(error)
    return text


def _description(text: str) -> str | None:
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise ValueError(f"At most {MAX_DESCRIPTION_LENGTH:,} characters, not {len(text):,}")
    return text or None


def read_refund(record: Record, delimiter: Delimiter) -> RefundRow | list[Problem]:
    """A refund row, or every problem of its cells."""
    cells = _Cells(record)
    cells.require("payment_id")
    payment_id = cells.read("payment_id", _payment_id, "invalid_payment_id")
    amount = cells.read(
        "amount", lambda text: amount_without_currency(text, delimiter), "invalid_amount"
    )
    if cells.problems or payment_id is None:
        return list(cells.problems.values())
    return RefundRow(record.line, payment_id, amount, record.cells["reference"] or None)


def read_payment(record: Record, delimiter: Delimiter) -> PaymentRow | list[Problem]:
    """A payment row (its request checked by the wire model), or every problem of its cells."""
    cells = _Cells(record)
    cells.require("amount", "currency", "source")
    currency = cells.read("currency", money.normalize_currency, "invalid_currency")

    def amount(text: str) -> Decimal | None:
        if currency is None:
            return amount_without_currency(text, delimiter)
        return payment_amount(text, currency, delimiter)

    data = {
        "currency": currency,
        "amount": cells.read("amount", amount, "invalid_amount"),
        "source": cells.read("source", str, "invalid_source"),
        "description": cells.read("description", _description, "invalid_description"),
    }
    try:
        request = PaymentCreate.model_validate(
            {field: value for field, value in data.items() if value is not None}
        )
    except ValidationError as exc:
        for field, message in field_errors(exc):
            if data[field] is not None:  # else its cell's problem says why already
                cells.add(field, _WIRE_KINDS[field], message)
        return list(cells.problems.values())
    if cells.problems:
        return list(cells.problems.values())
    return PaymentRow(record.line, request, record.cells["reference"] or None)
