"""What the journal raises beyond the database's own errors."""

from __future__ import annotations


class EntryBusyError(Exception):
    """Another console is sending the entry right now, or (`settled`) has just settled
    it; `str()` says who."""

    def __init__(
        self, entry_id: int, operator: str | None, host: str | None, *, settled: bool = False
    ) -> None:
        who = " on ".join(part for part in (operator, host) if part) or "another console"
        super().__init__(
            f"Journal entry {entry_id} succeeded just now, sent by {who}"
            if settled
            else f"Journal entry {entry_id} is being sent right now by {who}: wait for its answer"
        )
        self.entry_id = entry_id
        self.operator = operator
        self.host = host


class JournalServerError(OSError):
    """A shared journal's database could not be reached or refused a statement; `str()`
    names the journal and why, never a password."""
