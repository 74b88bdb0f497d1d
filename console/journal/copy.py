"""A journal's entries copied into another one: a console's own SQLite file into the
team's shared journal (`payments-console journal copy --to URL`).

An entry is the same entry in both when its profile, kind and idempotency key are (one
key is one operation: re-sending it reuses its entry), so a copy run twice copies
nothing the second time, and a copy interrupted is finished by running it again. Each
entry keeps its times, request, answer and status; one without an operator (written
before operators were recorded) is recorded as the copier's. A pending entry whose
sender still runs is left for a later copy; one whose sender is gone is settled as
unknown first (`recover_abandoned`), as any console would. A batch's record and its
rows' failures come along, pointing at the copied entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from console.journal.sqlite import Journal

_COPIED = (
    "kind, status, profile, idempotency_key, payment_id, object_id, amount, currency,"
    " created_at, updated_at, request, response, error, reported, amount_minor,"
    " operator, host"
)
_CHUNK = 500


@dataclass(frozen=True)
class Copied:
    copied: int
    already_there: int
    being_sent: int
    """Pending entries whose sender still runs: left for the next copy."""


def copy_journal(source: Journal, target: Journal, *, now: datetime) -> Copied:
    """Copy `source`'s entries (and batches) that `target` does not hold yet."""
    source.recover_abandoned(now=now)
    copied = there = pending = 0
    ids: dict[int, int] = {}
    after = 0
    while chunk := source._all(
        f"SELECT id, {_COPIED} FROM operations WHERE id > ? ORDER BY id LIMIT ?",  # noqa: S608
        (after, _CHUNK),
    ):
        after = chunk[-1][0]
        waiting = [row for row in chunk if row[2] == "pending"]
        pending += len(waiting)
        rows = [row for row in chunk if row[2] != "pending"]
        known = _known(target, rows)
        with target._transaction() as db:
            for row in rows:
                found = known.get(_identity(row[1:]))
                if found is None:
                    found = db.execute(
                        f"INSERT INTO operations ({_COPIED}) VALUES ({', '.join('?' * 17)})"  # noqa: S608
                        " RETURNING id",
                        _with_sender(row[1:], target),
                    ).fetchall()[0][0]
                    copied += 1
                else:
                    there += 1
                ids[int(row[0])] = int(found)
    _copy_batches(source, target, ids)
    return Copied(copied, there, pending)


def _identity(row: tuple[Any, ...]) -> tuple[str, str, str]:
    kind, _, profile, key = row[:4]
    return str(profile), str(kind), str(key)


def _known(target: Journal, rows: list[tuple[Any, ...]]) -> dict[tuple[str, str, str], int]:
    """The target's entry id of each of `rows` it holds already."""
    keys = sorted({str(row[4]) for row in rows})
    if not keys:
        return {}
    found = target._all(
        "SELECT id, profile, kind, idempotency_key FROM operations"  # noqa: S608
        f" WHERE idempotency_key IN ({', '.join('?' * len(keys))})",
        keys,
    )
    return {(str(p), str(k), str(key)): int(i) for i, p, k, key in found}


def _with_sender(row: tuple[Any, ...], target: Journal) -> tuple[Any, ...]:
    operator, host = row[-2:]
    if operator is None:
        operator, host = target.sender.operator, host or target.sender.host
    return (*row[:-2], operator, host)


def _copy_batches(source: Journal, target: Journal, ids: dict[int, int]) -> None:
    batches = source._all(
        "SELECT id, profile, kind, path, sha256, row_count, created_at, updated_at,"
        " finished_at FROM batches"
    )
    failures = source._all("SELECT batch_id, line, entry_id, outcome FROM batch_rows")
    with target._transaction(locking="batches") as db:
        for batch in batches:
            db.execute(
                "INSERT INTO batches (id, profile, kind, path, sha256, row_count, created_at,"
                " updated_at, finished_at, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
                " ON CONFLICT (id) DO NOTHING",
                batch,
            )
        for batch_id, line, entry_id, outcome in failures:
            if int(entry_id) in ids:
                db.execute(
                    "INSERT INTO batch_rows (batch_id, line, entry_id, outcome)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (batch_id, line) DO NOTHING",
                    (batch_id, line, ids[int(entry_id)], outcome),
                )
