"""The home's figures with a big journal: 1,000,000 entries next to 100, in the same run.

Measures the journal calls the home screen makes for its figures, on profile "bench" in
Europe/Berlin: `day_figures` (today, per currency) and `recent_days` (today and the
14-day sparkline of net volume, in one query). Both journals hold the same last 14 days
of "bench" (100 entries in USD, EUR and JPY, one every 3 h 20 min back from NOW); the
big one also holds 899,900 older "bench" entries (one every 30 s for the 312 days
before) and 100,000 of another profile inside those 14 days. What is compared is
whether the journal's size, its history or other profiles cost anything: the sums read
index ranges of the profile's days only. Calls alternate between the two journals;
medians are compared. Target: at most 1.5x.

A last row, for information, is a busy profile's: "other", 100,000 entries (about 7,000
a day) inside the 14 days, each of which is summed, next to the 100-entry journal.

Then the home screen itself, in a headless app at 100x30 on profile "bench" with the
clock at NOW: opened until its journal read is on screen (unknown outcomes, the day's
figures and sparklines, recent activity), on each journal in turn (`HOME_ROUNDS`).
`.venv/bin/python -m bench.home_figures`
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from textual.pilot import Pilot

from bench.common import at_most, print_table
from bench.history import until
from bench.journal_data import Operation, plausible, timed_build
from console.api.client import PaymentsClient
from console.app import make_app
from console.config import Profile, Settings
from console.figures import SPARKLINE_DAYS
from console.journal import Journal
from console.screens.home import HomeScreen
from console.widgets.day_figures import DayFigures

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
TZ = ZoneInfo("Europe/Berlin")
WINDOW = timedelta(days=SPARKLINE_DAYS)
RECENT = 100
OLDER = 899_900
OTHERS = 100_000
CURRENCIES = ("USD", "EUR", "JPY")
ROUNDS = 300
WARMUP = 20
HOME_ROUNDS = 15
TARGET = 1.5


def _recent() -> Iterator[Operation]:
    """The last 14 days of "bench", oldest first: the same in both journals."""
    step = WINDOW / RECENT
    for number in range(RECENT):
        at = NOW - step * (RECENT - number - 1)
        yield plausible(number, at, "bench", CURRENCIES[number % len(CURRENCIES)])


def _big() -> Iterator[Operation]:
    """Older history, then the busy profile and the recent entries, in time order."""
    first = NOW - WINDOW - timedelta(seconds=30 * OLDER)
    for number in range(OLDER):
        yield plausible(RECENT + number, first + timedelta(seconds=30 * number), "bench")
    recent = list(_recent())
    step = WINDOW / OTHERS
    start = NOW - WINDOW + step
    others = (plausible(number, start + step * number, "other") for number in range(OTHERS))
    yield from sorted([*recent, *others], key=lambda operation: operation.at)


def _measure(cases: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds of each case, every round running each (in turn reversed)."""
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for number in range(WARMUP + ROUNDS):
        order = list(cases.items()) if number % 2 else list(cases.items())[::-1]
        for name, call in order:
            started = time.perf_counter()
            call()
            elapsed = time.perf_counter() - started
            if number >= WARMUP:
                timings[name].append(elapsed)
    return {name: statistics.median(values) for name, values in timings.items()}


async def _open_home(journals: dict[str, Journal]) -> dict[str, float]:
    """Median seconds to open home on each journal, in one app (its journal swapped); a
    first round warms caches up, then rounds alternate the order."""
    profile = Profile(name="bench", base_url="http://127.0.0.1:9/v1", mode="sandbox")
    app = make_app(
        client=PaymentsClient(profile.base_url, "sk_test_bench_never_sent"),
        journal=journals["big"],
        settings=Settings(profiles={"bench": profile}, default_profile="bench"),
        profile=profile,
        clock=lambda: NOW,
        display_tz=TZ,
    )
    timings: dict[str, list[float]] = {name: [] for name in journals}
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for number in range(HOME_ROUNDS + 1):
            for name in list(journals)[:: 1 if number % 2 else -1]:
                app.ctx.journal = journals[name]
                elapsed = await _open(pilot)
                if number:
                    timings[name].append(elapsed)
    return {name: statistics.median(values) for name, values in timings.items()}


async def _open(pilot: Pilot[None]) -> float:
    """Seconds to push a home screen until its journal read is drawn; then it is popped."""
    screen = HomeScreen()
    started = time.perf_counter()
    await pilot.app.push_screen(screen)
    await until(lambda: screen.query_one(DayFigures).days is not None)
    await pilot.pause()
    elapsed = time.perf_counter() - started
    await pilot.app.pop_screen()
    await pilot.pause()
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        big = timed_build(Path(directory) / "big.sqlite3", _big(), "the big journal")
        small = timed_build(Path(directory) / "small.sqlite3", _recent(), "the small one")
        try:
            assert big.recent_days("bench", now=NOW, tz=TZ) == small.recent_days(
                "bench", now=NOW, tz=TZ
            ), "both journals must hold the same 14 days of bench"
            sizes = f"{big.count():,} vs {small.count():,} entries"
            medians = _measure(
                {
                    "today big": lambda: big.day_figures("bench", now=NOW, tz=TZ),
                    "today small": lambda: small.day_figures("bench", now=NOW, tz=TZ),
                    "days big": lambda: big.recent_days("bench", now=NOW, tz=TZ),
                    "days small": lambda: small.recent_days("bench", now=NOW, tz=TZ),
                    "days busy": lambda: big.recent_days("other", now=NOW, tz=TZ),
                }
            )
            opened = asyncio.run(_open_home({"big": big, "small": small}))
            medians.update({"home big": opened["big"], "home small": opened["small"]})
        finally:
            big.close()
            small.close()
    rows = (
        (f"today's figures (day_figures), {sizes}", "today big", "today small"),
        (f"today + 14-day sparkline (recent_days), {sizes}", "days big", "days small"),
        (
            f"the same, a busy profile (100,000 entries in 14 days) vs {RECENT}",
            "days busy",
            "days small",
        ),
        (f"open the home screen (figures, unknown, recent), {sizes}", "home big", "home small"),
    )
    print_table(
        (
            f"home figures: {name}, median",
            f"{medians[ours] * 1000:.3f} ms",
            f"{medians[baseline] * 1000:.3f} ms",
            medians[ours] / medians[baseline],
            "(information)"
            if ours == "days busy"
            else at_most(medians[ours] / medians[baseline], TARGET, digits=1),
        )
        for name, ours, baseline in rows
    )


if __name__ == "__main__":
    main()
