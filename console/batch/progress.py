"""How far a run of a batch is: rows settled by outcome, the rate, the time left. Plain
figures: the command line draws them as a bar or as lines, the console as a widget."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from console.batch.report import ReportStatus


@dataclass
class Progress:
    """`total` rows to send in this run; `add` each as it settles."""

    total: int
    clock: Callable[[], float] = time.monotonic
    counts: Counter[ReportStatus] = field(default_factory=Counter)
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def add(self, status: ReportStatus) -> None:
        self.counts[status] += 1

    @property
    def settled(self) -> int:
        return sum(self.counts.values())

    def elapsed(self) -> float:
        return max(self.clock() - self.started, 0.0)

    def rate(self) -> float | None:
        """Rows settled a second, once there is something to say."""
        elapsed = self.elapsed()
        return self.settled / elapsed if self.settled and elapsed > 0 else None

    def eta(self) -> float | None:
        """Seconds left at the rate so far."""
        rate = self.rate()
        return None if rate is None else max(self.total - self.settled, 0) / rate


def duration_text(seconds: float) -> str:
    """'42 s', '3 min 05 s', '1 h 02 min'."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
