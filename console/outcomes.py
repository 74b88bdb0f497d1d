"""How a payment or refund sent through `console.operations` ended, as values: `Sent` (the
API accepted it) or `OperationFailed` (why, and whether it may still have happened), plus
the errors that say an entry cannot be sent again or the journal could not record it.

Plain data: the screens, the command line and `error_text` read these without loading
the operations themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, TypeVar

from console.api.models import Payment, Refund
from console.entries import Kind

_Result = TypeVar("_Result", Payment, Refund)

Outcome = Literal["refused", "not_sent", "unknown"]
"""How an operation that did not succeed ended: definitively refused (nothing happened),
never sent, or unknown (it may have happened: send it again with its key)."""


class NotRetryableError(Exception):
    """A journal entry that cannot (or need not) be sent again; `str()` says why."""


class JournalWriteError(Exception):
    """The journal could not record an operation; `str()` names the file and why."""

    def __init__(self, path: str | Path, what: str, error: BaseException) -> None:
        super().__init__(f"The journal at {path} could not record {what}: {error}")


class OperationFailed(Exception):
    """A payment or refund that did not succeed: the error (`cause`) and what is known
    of the operation. `str()` is the cause's message."""

    def __init__(
        self,
        cause: BaseException,
        *,
        kind: Kind,
        outcome: Outcome,
        idempotency_key: str,
        entry_id: int | None,
        resent: bool = False,
        journal_error: str | None = None,
    ) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.kind = kind
        self.outcome = outcome
        self.idempotency_key = idempotency_key
        self.entry_id = entry_id
        self.resent = resent
        """True when this re-sent an earlier attempt (whose outcome is unknown)."""
        self.journal_error = journal_error
        """Why the journal could not record this failure, if it could not."""


@dataclass(frozen=True)
class Sent(Generic[_Result]):
    """A payment or refund the API accepted, and its journal entry."""

    result: _Result
    entry_id: int
    idempotency_key: str
    resent: bool
    """True when this settled an earlier attempt whose outcome was unknown."""
    journal_error: str | None = None
    """Why the journal could not record the result (it settles on the next run)."""
