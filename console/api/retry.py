"""The retry policy, in two functions: `should_retry` and `delay` (after stripe-python).

Retried: a connection that could not be opened, a request whose answer was lost or timed
out, an answer cut off before its end, 409 (the idempotency key is still in use), 429 and
every 5xx. Never retried: TLS failures, requests that could not be sent, unreadable or
oversized answers and every other status. The caller sends the same bytes and the same
`Idempotency-Key` on every attempt, so a retry can never charge or refund twice.
"""

from __future__ import annotations

import random
from typing import Final

from console.api.transport import Failure, FailureKind, Reply

__all__ = [
    "MAX_RETRY_AFTER",
    "RETRIED_FAILURES",
    "RETRIED_STATUSES",
    "backoff_delay",
    "delay",
    "should_retry",
    "transient",
]

MAX_RETRY_AFTER: Final = 20.0
"""Longest `Retry-After` honoured, in seconds; a longer one is waited only this long."""
RETRIED_STATUSES: Final = frozenset({409, 429})
"""Besides every 5xx."""
RETRIED_FAILURES: Final[frozenset[FailureKind]] = frozenset({"connect", "lost", "cut_off"})


def transient(status: int) -> bool:
    """Whether an answer with this status may change if the request is sent again."""
    return status in RETRIED_STATUSES or status >= 500


def should_retry(outcome: Reply | Failure, attempt: int, max_retries: int) -> bool:
    """Whether to send again after `outcome`; `attempt` counts the retries so far."""
    if attempt >= max_retries:
        return False
    if isinstance(outcome, Failure):
        return outcome.kind in RETRIED_FAILURES
    return transient(outcome.status)


def delay(outcome: Reply | Failure, attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `attempt` (0-based).

    The backoff, or a 429's `Retry-After` when that is longer (at most MAX_RETRY_AFTER).
    """
    wait = backoff_delay(attempt, base, cap)
    if isinstance(outcome, Reply) and outcome.status == 429 and outcome.retry_after is not None:
        wait = max(wait, min(outcome.retry_after, MAX_RETRY_AFTER))
    return wait


def backoff_delay(retry: int, base: float, cap: float) -> float:
    """Delay before retry number `retry` (0-based): base x 2^retry, at most cap, jittered.

    "Equal jitter": a random point in the upper half of the exponential step, so clients
    that failed together spread out but never retry sooner than half the step.
    """
    step = min(cap, base * 2.0**retry)
    return step / 2 + random.uniform(0, step / 2)
