"""Fault injection for rehearsing integrations: latency, 500s, rate limits, dropped answers.

All faults are off by default. `Faults.from_env()` reads the PAYMENTS_SANDBOX_* variables
that the `payments-console sandbox` options default to.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

ENV_PREFIX = "PAYMENTS_SANDBOX_"


@dataclass
class Faults:
    """What to inject; rates are probabilities in [0, 1], latency in milliseconds."""

    latency_ms: int = 0
    fail_rate: float = 0.0
    rate_limit: int | None = None
    """Requests per second allowed per API key; more get 429 with Retry-After."""
    drop_after_commit: float = 0.0
    """Share of successful POSTs that commit, then close the connection without answering."""
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency must not be negative")
        for name in ("fail_rate", "drop_after_commit"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name.replace('_', '-')} must be between 0 and 1")
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError("rate-limit must be at least 1 request per second")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Faults:
        """Faults from PAYMENTS_SANDBOX_{LATENCY_MS,FAIL_RATE,RATE_LIMIT,DROP_AFTER_COMMIT,SEED}."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name, "").strip()
            return value or None

        def number(name: str, kind: type[int] | type[float]) -> int | float | None:
            text = get(name)
            if text is None:
                return None
            try:
                return kind(text)
            except ValueError:
                raise ValueError(f"{ENV_PREFIX}{name} must be a number, not {text!r}") from None

        latency = number("LATENCY_MS", int)
        fail_rate = number("FAIL_RATE", float)
        rate_limit = number("RATE_LIMIT", int)
        drop = number("DROP_AFTER_COMMIT", float)
        seed = number("SEED", int)
        return cls(
            latency_ms=int(latency or 0),
            fail_rate=float(fail_rate or 0.0),
            rate_limit=None if rate_limit is None else int(rate_limit),
            drop_after_commit=float(drop or 0.0),
            seed=None if seed is None else int(seed),
        )

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.fail_rate or self.rate_limit or self.drop_after_commit)


@dataclass
class FaultInjector:
    """The runtime side of `Faults`: one seeded random source and per-key rate windows."""

    faults: Faults
    seconds: Callable[[], float] = time.monotonic
    """The clock of the rate windows (tests hold it still)."""
    _random: random.Random = field(init=False)
    _windows: dict[str, tuple[int, int]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.faults.seed)

    @property
    def latency_seconds(self) -> float:
        return self.faults.latency_ms / 1000

    def should_fail(self) -> bool:
        rate = self.faults.fail_rate
        return rate > 0 and self._random.random() < rate

    def should_drop(self) -> bool:
        rate = self.faults.drop_after_commit
        return rate > 0 and self._random.random() < rate

    def retry_after(self, scope: str) -> int | None:
        """Seconds to wait when `scope` (a key) is over its rate this second, else None."""
        limit = self.faults.rate_limit
        if limit is None:
            return None
        window = int(self.seconds())
        start, count = self._windows.get(scope, (window, 0))
        if start != window:
            start, count = window, 0
        if count >= limit:
            return 1
        self._windows[scope] = (start, count + 1)
        return None
