"""Writing the journal: an operation before it is sent, its result, its retries, and
recovery of the operations whose sender stopped before hearing back.

A pending entry records its owner, the process sending it (`console.processes`), or on
a shared journal the database session of the console sending it (alive while it holds
its advisory lock, `postgres`): `recover_abandoned` turns every pending entry whose
owner has stopped (killed, crashed, cut off, or this very journal after the result could
not be written) into `unknown` at once, for every console; a live owner's pending entry
is never touched. Entries written before owners were recorded fall back to an age rule
(`ABANDONED_AFTER`). Settling an entry (`record_retry`) claims it: two consoles settling
one entry at the same moment, one sends and the other is told who does
(`EntryBusyError`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from console import money
from console.entries import KINDS, STATUSES, Kind, Status
from console.journal import rows
from console.journal.connection import Connected
from console.journal.errors import EntryBusyError

ABANDONED_AFTER = timedelta(minutes=10)
"""For entries without an owner (older journals): a request with its retries ends well
within this, so a pending entry older was abandoned."""
ABANDONED_ERROR = "The console stopped before the answer arrived: the outcome is unknown."

_SENDING: set[tuple[str, int]] = set()
"""(journal path, entry id) of the requests this process is sending right now."""


class Writes(Connected):
    def record_pending(
        self,
        *,
        kind: Kind,
        profile: str,
        idempotency_key: str,
        request: Mapping[str, Any],
        now: datetime,
        payment_id: str | None = None,
        amount: Decimal | None = None,
        currency: str | None = None,
    ) -> int:
        """Record an operation about to be sent; returns its entry id."""
        if kind not in KINDS:
            raise ValueError(f"unknown operation kind {kind!r}")
        rows.check_request(request)
        stamp = rows.timestamp(now)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO operations (kind, status, profile, idempotency_key, payment_id,"
                " amount, currency, created_at, updated_at, request, owner, amount_minor,"
                " operator, host) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (
                    kind,
                    profile,
                    idempotency_key,
                    payment_id,
                    rows.amount_text(amount, currency),
                    currency,
                    stamp,
                    stamp,
                    money.dumps(dict(request)),
                    self.owner,
                    rows.minor_units(amount, currency),
                    self.sender.operator,
                    self.sender.host,
                ),
            ).fetchall()  # to the end: the statement is done, the row committed
        return int(cursor[0][0])

    def record_result(
        self,
        entry_id: int,
        *,
        status: Status,
        now: datetime,
        response: Mapping[str, Any] | None = None,
        error: str | None = None,
        payment_id: str | None = None,
        reported: bool = True,
    ) -> None:
        """Record how an operation ended. A response fills in ids and the amount it names;
        `payment_id` names the payment a failure concerns (a declined card's payment).
        `reported=False`: the result is not shown yet (see `mark_reported`)."""
        if status not in STATUSES or status == "pending":
            raise ValueError(f"not a result status: {status!r}")
        found = self._select(" WHERE id = ?", (entry_id,))
        if not found:
            raise KeyError(f"no journal entry {entry_id}")
        entry = found[0]
        columns: dict[str, Any] = {
            "status": status,
            "updated_at": rows.timestamp(now),
            "error": error,
            "owner": None,
            "reported": int(reported),
        }
        columns["response"] = None if response is None else money.dumps(dict(response))
        if response is not None:
            columns.update(rows.from_response(entry.kind, response))
        if payment_id is not None:
            columns["payment_id"] = payment_id
        if "amount" in columns or "currency" in columns:
            amount = columns.get("amount", entry.amount)
            currency = columns.get("currency", entry.currency)
            columns["amount_minor"] = rows.minor_units(amount, currency)
            if "amount" in columns:
                columns["amount"] = rows.amount_text(amount, currency)
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self._write(
            f"UPDATE operations SET {assignments} WHERE id = ?",  # noqa: S608 - fixed names
            (*columns.values(), entry_id),
        )

    def record_retry(self, entry_id: int, *, now: datetime) -> None:
        """Mark an entry pending again (owned by this journal, sent by this operator)
        before re-sending it with its idempotency key; its last error stays until the
        answer replaces it. `EntryBusyError` (nothing changed) when another console is
        sending it (its owner still runs, or holds the row this instant) or got its
        success meanwhile."""
        me = self.owner
        with self._transaction() as db:
            found = None
            for lock in (self.dialect.skip_locked, self.dialect.wait_locked):
                # Skipped: another console is claiming it this instant; wait for it to
                # commit, then see who did.
                query = f"SELECT status, owner FROM operations WHERE id = ?{lock}"  # noqa: S608
                found = db.execute(query, (entry_id,)).fetchone()
                if found is not None or not self.dialect.skip_locked:
                    break
            if found is None:
                raise KeyError(f"no journal entry {entry_id}")
            status, owner = found
            busy = status == "pending" and owner not in (None, me) and self._backend.alive([owner])
            if busy or status == "succeeded":  # another console got there first
                who = db.execute(
                    "SELECT operator, host FROM operations WHERE id = ?", (entry_id,)
                ).fetchone()
                raise EntryBusyError(entry_id, *who, settled=not busy)
            db.execute(
                "UPDATE operations SET status = 'pending', updated_at = ?, owner = ?,"
                " operator = ?, host = ? WHERE id = ?",
                (rows.timestamp(now), me, self.sender.operator, self.sender.host, entry_id),
            )

    def mark_reported(self, entry_id: int) -> None:
        """The result of `entry_id` has been shown to whoever sent it."""
        self._write("UPDATE operations SET reported = 1 WHERE id = ?", (entry_id,))

    @contextlib.contextmanager
    def sending(self, entry_id: int) -> Iterator[None]:
        """While this block runs, entry `entry_id` is being sent by this process: its
        pending state is live, not abandoned (see `recover_abandoned`)."""
        token = (str(self.path), entry_id)
        _SENDING.add(token)
        try:
            yield
        finally:
            _SENDING.discard(token)

    def recover_abandoned(self, *, now: datetime, older_than: timedelta = ABANDONED_AFTER) -> int:
        """Mark abandoned pending entries unknown; returns how many.

        A pending entry is abandoned when its owner process has stopped (crash, kill,
        power loss) between sending and hearing back, or is this process but no longer
        sending it (the result could not be written); an entry without an owner, when it
        is older than `older_than`. Its outcome is unknown, and marking it so lets it be
        sent again with its idempotency key. A live process's pending entry stays.
        """
        pending = self._all("SELECT id, owner, updated_at FROM operations WHERE status = 'pending'")
        me, path, cutoff = self.owner, str(self.path), now - older_than
        others = {owner for _, owner, _ in pending if owner is not None and owner != me}
        alive = self._backend.alive(others) if others else set()
        abandoned = [
            (entry_id, owner or "")
            for entry_id, owner, updated_at in pending
            if (owner is None and datetime.fromisoformat(updated_at) < cutoff)
            or (owner == me and (path, entry_id) not in _SENDING)
            or (owner in others and owner not in alive)
        ]
        if not abandoned:
            return 0
        with self._lock:
            self._db.executemany(
                "UPDATE operations SET status = 'unknown', error = ?, updated_at = ?, owner = NULL"
                " WHERE id = ? AND status = 'pending' AND coalesce(owner, '') = ?",
                # Only while its owner is the one found gone (another console may have
                # claimed it since to settle it).
                [(ABANDONED_ERROR, rows.timestamp(now), *found) for found in abandoned],
            )
        return len(abandoned)
