"""Reading the journal: single entries, unknown outcomes, identical earlier requests, and
the history's pages and counts (the filter language is `console.journal.filters`).

Entries are listed newest first, by id: the order they were recorded. Paging by keyset
(`page_after`, which takes the id of the last entry shown) is stable while entries are
added: a new entry has a higher id than any before it, so it comes before the first
page and never shifts the rows after the key (an offset `page` repeats a row each time
one is added).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from console.entries import JournalEntry, Kind
from console.journal import rows
from console.journal.connection import Connected
from console.journal.filters import unknown_where, where

RESEND_WINDOW = timedelta(hours=24)
"""How far back an identical unsettled request is re-sent with its key (the API keeps
idempotency keys for 24 hours)."""


class Queries(Connected):
    def get(self, entry_id: int) -> JournalEntry | None:
        found = self._select(" WHERE id = ?", (entry_id,))
        return found[0] if found else None

    def recent(self, limit: int = 20, *, profile: str | None = None) -> list[JournalEntry]:
        clause, params = where("", profile)
        return self._select(f"{clause} ORDER BY id DESC LIMIT ?", [*params, limit])

    def unknown(self, limit: int = 100, *, profile: str | None = None) -> list[JournalEntry]:
        """Operations whose outcome is unknown, newest first (at most `limit`): retry them."""
        clause, params = unknown_where(profile)
        return self._select(f"{clause} ORDER BY id DESC LIMIT ?", [*params, limit])

    def count_unknown(self, *, profile: str | None = None) -> int:
        clause, params = unknown_where(profile)
        return self._count(clause, params)

    def unknown_with_key(
        self, kind: Kind, idempotency_key: str, profile: str
    ) -> list[JournalEntry]:
        """`profile`'s unknown-outcome operations of `kind` sent with `idempotency_key`."""
        return self._select(
            " WHERE idempotency_key = ? AND kind = ? AND profile = ? AND status = 'unknown'"
            " ORDER BY id DESC",
            (idempotency_key, kind, profile),
        )

    def unreported_like(
        self, kind: Kind, profile: str, request: Mapping[str, Any], *, now: datetime
    ) -> JournalEntry | None:
        """The newest of `profile`'s succeeded operations of `kind` with exactly `request`
        whose result a command got but never showed (it was killed first), recorded within
        `RESEND_WINDOW` of `now`: running that command again shows it, not a second one."""
        return self._same_request(
            "status = 'succeeded' AND reported = 0", kind, profile, request, now
        )

    def unsettled_like(
        self, kind: Kind, profile: str, request: Mapping[str, Any], *, now: datetime
    ) -> JournalEntry | None:
        """The newest of `profile`'s operations of `kind` with exactly `request` whose
        outcome is unknown, recorded within `RESEND_WINDOW` of `now` (None if there is
        none): sending `request` again must reuse its idempotency key."""
        return self._same_request("status = 'unknown'", kind, profile, request, now)

    def _same_request(
        self, state: str, kind: Kind, profile: str, request: Mapping[str, Any], now: datetime
    ) -> JournalEntry | None:
        candidates = self._select(
            f" WHERE profile = ? AND {state} AND kind = ? AND created_at >= ? ORDER BY id DESC",
            (profile, kind, rows.timestamp(now - RESEND_WINDOW)),
        )
        wanted = dict(request)
        return next((entry for entry in candidates if entry.request == wanted), None)

    def refunds_for(self, payment_id: str) -> list[JournalEntry]:
        """Refunds this console sent for `payment_id`, newest first."""
        return self._select(
            " WHERE payment_id = ? AND kind = 'refund' ORDER BY id DESC", (payment_id,)
        )

    def payment_entry(self, payment_id: str) -> JournalEntry | None:
        """The newest entry of the payment `payment_id` this console took (or was declined)."""
        found = self._select(
            " WHERE payment_id = ? AND kind = 'payment' ORDER BY id DESC LIMIT 1", (payment_id,)
        )
        return found[0] if found else None

    def payment_currency(self, payment_id: str) -> str | None:
        """The currency of a payment this console recorded, if any."""
        row = self._one(
            "SELECT currency FROM operations WHERE payment_id = ? AND kind = 'payment'"
            " AND currency IS NOT NULL ORDER BY id DESC LIMIT 1",
            (payment_id,),
        )
        return None if row is None else str(row[0])

    # --- the history ------------------------------------------------------------------

    def count(self, filter_text: str = "", *, profile: str | None = None) -> int:
        clause, params = where(filter_text, profile)
        return self._count(clause, params)

    def count_at_most(
        self, limit: int, filter_text: str = "", *, profile: str | None = None
    ) -> int:
        """`count`, but counting no further than `limit` ("10,000 or more"): its cost is
        bounded by `limit` matches, not by the journal's size."""
        clause, params = where(filter_text, profile)
        row = self._one(
            f"SELECT count(*) FROM (SELECT 1 FROM operations{clause} LIMIT ?) AS matches",  # noqa: S608
            [*params, max(0, limit)],
        )
        assert row is not None
        return int(row[0])

    def page(
        self,
        filter_text: str = "",
        offset: int = 0,
        limit: int = 100,
        *,
        profile: str | None = None,
    ) -> list[JournalEntry]:
        """One page of the entries matching `filter_text`, newest first (`page_after`
        does not repeat a row when an entry is added while paging)."""
        clause, params = where(filter_text, profile)
        return self._select(
            f"{clause} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, max(0, offset)]
        )

    def page_after(
        self,
        filter_text: str = "",
        after_id: int | None = None,
        limit: int = 100,
        *,
        profile: str | None = None,
    ) -> list[JournalEntry]:
        """The `limit` entries matching `filter_text` that come after the entry `after_id`
        (the last one shown; None: from the newest), newest first. Each page costs the
        same however deep it is: an index range from the key, no rows skipped over."""
        clause, params = where(filter_text, profile, before_id=after_id)
        return self._select(f"{clause} ORDER BY id DESC LIMIT ?", [*params, limit])

    def _count(self, clause: str, params: list[Any]) -> int:
        row = self._one(f"SELECT count(*) FROM operations{clause}", params)  # noqa: S608
        assert row is not None
        return int(row[0])
