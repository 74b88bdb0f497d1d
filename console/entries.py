"""What the journal records of an operation (`JournalEntry`), as plain data: the screens
and widgets that draw entries import this, not the journal that stores them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

Kind = Literal["payment", "refund"]
Status = Literal["pending", "succeeded", "failed", "unknown"]
KINDS: tuple[Kind, ...] = get_args(Kind)
STATUSES: tuple[Status, ...] = get_args(Status)


@dataclass(frozen=True)
class JournalEntry:
    id: int
    kind: Kind
    status: Status
    profile: str
    idempotency_key: str
    payment_id: str | None
    object_id: str | None
    amount: Decimal | None
    currency: str | None
    created_at: datetime
    updated_at: datetime
    request: dict[str, Any]
    response: dict[str, Any] | None
    error: str | None
    owner: str | None = None
    """The process sending it, while pending (`console.processes`)."""
    reported: bool = True
    """False while a command that got this result has not shown it yet (`mark_reported`)."""
