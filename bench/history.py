"""History screen with a big journal: 1,000,000 entries next to 100, in the same run.

Measures, in a headless app at 100x30, (1) opening the history screen until its first
page is on screen and (2) one filter keystroke until the filtered rows are on screen,
then both together. The filter's debounce is cut to 1 ms here so that its fixed pause
does not dilute the ratio: what is compared is the work. Rounds alternate between the
two journals so that drift hits both alike. Target: 1,000,000 entries cost at most 1.5x
what 100 cost. The app is on profile "bench", the entries' profile, so the per-profile
queries are the ones measured. Both journals hold the same kind of entries, one every
30 seconds (`bench.journal_data.plausible`); the big one is built in bulk (about 20 s).
`.venv/bin/python -m bench.history`
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from bench.common import at_most, print_table
from bench.journal_data import plausible, request, timed_build
from console.api.client import PaymentsClient
from console.app import make_app
from console.config import Profile, Settings
from console.journal import Journal
from console.screens import history
from console.screens.history import HistoryScreen

SIZES = (1_000_000, 100)
ROUNDS = 15
KEYSTROKE = "7"
TARGET = 1.5
START = datetime(2026, 1, 1, tzinfo=UTC)


def fill_journal(journal: Journal, count: int, profile: str = "bench") -> None:
    """`count` plausible entries of `profile` written through the journal's own methods,
    one every 30 seconds from START (the tests use it; the benchmark builds in bulk)."""
    for number in range(count):
        operation = plausible(number, START + timedelta(seconds=30 * number), profile)
        entry = journal.record_pending(
            kind=operation.kind,
            profile=profile,
            idempotency_key=operation.key,
            request=request(operation),
            now=operation.at,
            payment_id=operation.payment_id,
            amount=operation.amount,
            currency=operation.currency,
        )
        succeeded = operation.status == "succeeded"
        journal.record_result(
            entry,
            status=operation.status,
            now=operation.at,
            response={"id": operation.object_id} if succeeded else None,
            error=None if succeeded else "bench",
        )


async def until(condition: Callable[[], bool]) -> None:
    """Return once `condition()` holds (checked every half millisecond)."""
    while not condition():
        await asyncio.sleep(0.0005)


async def _open_and_filter(pilot: Pilot[None]) -> tuple[float, float]:
    """Seconds to open history (first page shown), then to apply one keystroke."""
    screen = HistoryScreen()
    started = time.perf_counter()
    await pilot.app.push_screen(screen)
    await until(lambda: screen.total > 0)
    await pilot.pause()
    opened = time.perf_counter() - started
    started = time.perf_counter()
    await pilot.press(KEYSTROKE)
    await until(lambda: screen.filter_text == KEYSTROKE)
    await pilot.pause()
    filtered = time.perf_counter() - started
    await pilot.app.pop_screen()
    await pilot.pause()
    return opened, filtered


async def _measure(journals: dict[int, Journal]) -> dict[int, tuple[list[float], list[float]]]:
    """One app; each round opens history on each journal in turn (ctx.journal swapped)."""
    history.DEBOUNCE_SECONDS = 0.001
    profile = Profile(name="bench", base_url="http://127.0.0.1:9/v1", mode="sandbox")
    timings: dict[int, tuple[list[float], list[float]]] = {size: ([], []) for size in journals}
    app = make_app(
        client=PaymentsClient(profile.base_url, "sk_test_bench_never_sent"),
        journal=journals[SIZES[0]],
        settings=Settings(profiles={"bench": profile}, default_profile="bench"),
        profile=profile,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for number in range(ROUNDS + 1):
            order = list(journals) if number % 2 else list(reversed(journals))
            for size in order:
                app.ctx.journal = journals[size]
                opened, filtered = await _open_and_filter(pilot)
                if number:  # the first round warms caches up
                    timings[size][0].append(opened)
                    timings[size][1].append(filtered)
    return timings


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        journals = {
            size: timed_build(
                Path(directory) / f"journal-{size}.sqlite3",
                (plausible(n, START + timedelta(seconds=30 * n), "bench") for n in range(size)),
                f"a history journal of {size:,}",
            )
            for size in SIZES
        }
        try:
            timings = asyncio.run(_measure(journals))
        finally:
            for journal in journals.values():
                journal.close()
    big, small = SIZES
    rows = {
        "open history": (timings[big][0], timings[small][0]),
        f"one filter keystroke ({KEYSTROKE!r})": (timings[big][1], timings[small][1]),
        "open + keystroke": (
            [a + b for a, b in zip(*timings[big], strict=True)],
            [a + b for a, b in zip(*timings[small], strict=True)],
        ),
    }
    medians = {
        name: (statistics.median(ours), statistics.median(baseline))
        for name, (ours, baseline) in rows.items()
    }
    print_table(
        (
            f"history: {name}, median ({big:,} vs {small:,} journal entries)",
            f"{ours * 1000:.1f} ms",
            f"{baseline * 1000:.1f} ms",
            ours / baseline,
            at_most(ours / baseline, TARGET, digits=1),
        )
        for name, (ours, baseline) in medians.items()
    )


if __name__ == "__main__":
    main()
