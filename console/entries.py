"""What the journal records of an operation (`JournalEntry`), as plain data: the screens
and widgets that draw entries import this, not the journal that stores them.

The request's description and source, and a declined card's decline code (from the
API's answer, which the journal keeps for a refusal too), are read from the entry; so
are the reason and details the history shows (raw text: made safe where it is drawn).
"""

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
    operator: str | None = None
    """Who sent it last (the `operator` setting, else the OS user); None in older entries."""
    host: str | None = None
    """The machine it was sent from last; None in older entries."""

    @property
    def sender(self) -> str:
        """'alice on till-2', 'alice', or '' (an entry older than operators)."""
        if self.operator and self.host:
            return f"{self.operator} on {self.host}"
        return self.operator or self.host or ""

    @property
    def description(self) -> str | None:
        return _text(self.request.get("description"))

    @property
    def source(self) -> str | None:
        """The payment token it was sent with (a payment's; None for a refund)."""
        return _text(self.request.get("source"))

    @property
    def decline_code(self) -> str | None:
        """Why the card was declined ('expired_card'), for a failed payment."""
        answer = self.response if self.status == "failed" else None
        return _text((answer or {}).get("decline_code"))

    @property
    def reason(self) -> str | None:
        """Why it failed or may not have happened: 'Your card has expired. (decline code
        expired_card)', 'The connection closed before...'; None otherwise."""
        if self.status not in ("failed", "unknown") or not self.error:
            return None
        code = self.decline_code
        return f"{self.error} (decline code {code})" if code else self.error

    @property
    def details(self) -> str:
        """A failure's reason then the description; an unknown outcome's description
        then why it is unknown; else the description ('' without any)."""
        parts = [self.description, self.reason]
        if self.status == "failed":
            parts.reverse()
        return " · ".join(part for part in parts if part)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
