"""A batch's progress on stderr: at a terminal, one bar redrawn in place (counts, rate,
time left); elsewhere (a log, a pipe), a plain line every few seconds. Either way, each
row that is refused, unknown or not sent gets a line of its own as it ends. The checks
before sending (a GET of each payment refunded) get a bar of their own."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TextIO

from console.batch.progress import Progress, duration_text
from console.batch.report import ReportStatus
from console.batch.runner import Settled
from console.commands.exits import PROG, warn
from console.safe_text import one_line

REDRAW_SECONDS = 0.1
PLAIN_SECONDS = 5.0
_CLEAR = "\r\x1b[K"


class ProgressDisplay:
    """Draws `progress` on `stream` as rows settle (`settled`), or as `steps` of a check
    (`step`, counted under `steps`, e.g. 'payments checked'); `close()` at the end."""

    def __init__(
        self,
        progress: Progress,
        stream: TextIO,
        *,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        steps: str | None = None,
    ) -> None:
        self.progress = progress
        self.steps = steps
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.clock = clock
        self.shown = clock()
        self.closed = False
        self.shown_lines = 0
        self.unicode = (getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8"

    def settled(self, settled: Settled) -> None:
        self.progress.add(settled.status)
        if settled.status != "done":
            what = settled.status.replace("_", " ")
            self._line(one_line(f"line {settled.row.line}: {what}: {settled.error or ''}"))
        if settled.journal_error:
            self._clear()
            warn(f"line {settled.row.line}: {settled.journal_error}; it settles on the next run")
        self._tick()

    def note(self, message: str) -> None:
        """A warning on a line of its own (the bar, if any, drawn again below it)."""
        self._line(f"warning: {one_line(message)}")

    def step(self, total: int) -> None:
        """One more step of `total` done."""
        self.progress.total = total
        self.progress.add("done")
        self._tick()

    def _tick(self) -> None:
        now = self.clock()
        if now - self.shown >= (REDRAW_SECONDS if self.tty else PLAIN_SECONDS):
            self._show(now)

    def close(self) -> None:
        self.closed = True  # nothing more is coming: no time left to show
        if self.tty and self.progress.settled:
            self._show(self.clock())
            self.stream.write("\n")
        elif self.progress.settled and (self.steps is None or self.shown_lines):
            self._show(self.clock())  # a quick check says nothing in a log
        self.stream.flush()

    def _line(self, text: str) -> None:
        self._clear()
        self.stream.write(f"{PROG}: {text}\n")
        if self.tty:
            self._show(self.clock())

    def _clear(self) -> None:
        if self.tty:
            self.stream.write(_CLEAR)

    def _show(self, now: float) -> None:
        self.shown = now
        if self.tty:
            width = shutil.get_terminal_size().columns
            self.stream.write(_CLEAR + self.bar(width))
        else:
            self.stream.write(f"{PROG}: {self.plain()}\n")
            self.shown_lines += 1
        self.stream.flush()

    def bar(self, width: int) -> str:
        """'[████░░░░] 3,400/10,000 · done 3,390 · refused 10 · 812/s · 8 s left', cut to
        `width`."""
        figures = self._figures()
        width -= 3  # room for the '^C' a terminal echoes, and no wrap at the last column
        slots = max(10, min(40, width - len(figures) - 3))
        full, empty = ("█", "░") if self.unicode else ("#", "-")
        filled = slots * self.progress.settled // max(self.progress.total, 1)
        return f"[{full * filled}{empty * (slots - filled)}] {figures}"[: max(width, 1)]

    def plain(self) -> str:
        """'batch: 3,400 of 10,000 rows (done 3,390, refused 10), 812 rows/s, 8 s left'."""
        progress = self.progress
        if self.steps:
            line = f"batch: {progress.settled:,} of {progress.total:,} {self.steps}"
            return ", ".join([line, *self._pace("/s")])
        counts = ", ".join(self._counts())
        line = f"batch: {progress.settled:,} of {progress.total:,} rows ({counts})"
        return ", ".join([line, *self._pace(" rows/s")])

    def _figures(self) -> str:
        progress = self.progress
        done = f"{progress.settled:,}/{progress.total:,}"
        counted = [f"{done} {self.steps}"] if self.steps else [done, *self._counts()]
        parts = [*counted, *self._pace("/s")]
        return (" · " if self.unicode else " | ").join(parts)

    def _counts(self) -> list[str]:
        counts = self.progress.counts
        order: tuple[ReportStatus, ...] = ("done", "refused", "unknown", "not_sent")
        return [
            f"{status.replace('_', ' ')} {counts[status]:,}" for status in order if counts[status]
        ]

    def _pace(self, per_second: str) -> list[str]:
        progress = self.progress
        rate, eta = progress.rate(), progress.eta()
        shown = None if rate is None else f"{rate:,.0f}" if rate >= 10 else f"{rate:.1f}"
        parts = [] if shown is None else [f"{shown}{per_second}"]
        if eta is not None and progress.settled < progress.total and not self.closed:
            parts.append(f"{duration_text(eta)} left")
        return parts
