"""A payment's plain-text receipt, UI-free: what the merchant hands on or files.

Merchant-facing fields only: the payment (ID, status, amount, time, description, the
token it was paid with), a decline's reason and code, what was refunded and what is
left, the refunds sent from this console, and the profile and its mode. Never a key,
an idempotency key or a request ID. Every text from the API or the journal is one safe
line (`safe_text.one_line`: no control characters, key-shaped text masked).
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, tzinfo
from pathlib import Path

from console.display import amount_text, local_time
from console.payment_facts import PaymentFacts
from console.safe_text import one_line

LABEL_WIDTH = 18

MODE_NOTES = {
    "sandbox": "SANDBOX: a rehearsal on the local sandbox, no money moved",
    "test": "TEST mode: no money moved",
    "live": "LIVE",
}

_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_-]")


def receipt_name(payment_id: str) -> str:
    """'receipt-pay_123.txt': the ID's letters, digits, `_` and `-` only (an ID from the
    network never names another directory)."""
    return f"receipt-{_UNSAFE_IN_NAME.sub('_', payment_id)[:100]}.txt"


def _line(label: str, value: str) -> str:
    return f"{label.ljust(LABEL_WIDTH)}{one_line(value)}"


def receipt_text(
    facts: PaymentFacts, *, profile: str, mode: str, tz: tzinfo | None, written_at: datetime
) -> str:
    """The receipt, as lines of text ending with a newline."""
    payment, figures = facts.payment, facts.figures
    lines = [
        "Payment receipt",
        "===============",
        "",
        _line("Payment ID", payment.id),
        _line("Status", payment.status.upper()),
        _line("Amount", amount_text(payment.amount, payment.currency)),
        _line("Created", local_time(payment.created_at, tz)),
        _line("Description", payment.description or "—"),
        _line("Paid with", facts.source or "— (not taken from this console)"),
    ]
    if facts.decline_reason or facts.decline_code:
        lines.append(_line("Declined", facts.decline_reason or "—"))
        lines.append(_line("Decline code", facts.decline_code or "—"))
    if payment.status == "succeeded":
        lines.append(_line("Refunded", figures.show(figures.refunded)))
        lines.append(_line("Remaining", figures.show(figures.remaining)))
    lines += ["", "Refunds sent from this console"]
    lines += [
        "  "
        + "  ".join(
            (
                one_line(entry.object_id or f"journal entry {entry.id}"),
                one_line(amount_text(entry.amount, entry.currency)),
                entry.status.upper(),
                local_time(entry.created_at, tz),
            )
        )
        for entry in facts.refunds
    ] or ["  None"]
    lines += [
        "",
        _line("Profile", f"{profile} ({MODE_NOTES.get(mode, mode)})"),
        _line("Written", f"{local_time(written_at, tz)} by payments-console"),
    ]
    return "\n".join(lines) + "\n"


def write_receipt(text: str, directory: Path, payment_id: str) -> Path:
    """Write `text` to `directory`/receipt-<id>.txt (made if missing) whole: a receipt is
    never left half written. Returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / receipt_name(payment_id)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".receipt-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
