"""A batch's pace: a 429 holds every request of the batch for its Retry-After, and the
client's own retry of it waits as long; and how far a run is (counts, rate, time left)."""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal

import httpx
from fastapi import FastAPI

from console.api.client import MAX_RETRY_AFTER, PaymentsClient
from console.api.models import PaymentCreate
from console.batch.pace import DEFAULT_HOLD, Pace, PacedTransport
from console.batch.progress import Progress, duration_text
from console.batch.runner import Settled
from console.batch.worktable import WorkRow
from console.commands.batch_progress import ProgressDisplay


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


async def test_a_hold_makes_every_request_wait_until_it_ends() -> None:
    time = FakeTime()
    pace = Pace(time.clock, time.sleep)
    await pace.wait()
    assert time.slept == []
    pace.hold(2.5)
    pace.hold(1.0)  # a shorter one does not shorten it
    pace.hold(None)
    assert pace.held == 3
    await pace.wait()
    await pace.wait()
    assert time.slept == [2.5]
    pace.hold(10_000)
    await pace.wait()
    assert time.slept == [2.5, MAX_RETRY_AFTER]
    pace.hold(None)
    await pace.wait()
    assert time.slept[-1] == DEFAULT_HOLD


async def test_a_429_holds_the_other_requests_of_the_batch(sandbox_app: FastAPI) -> None:
    sandbox_app.state.faults.rate_limit = 2
    time = FakeTime()
    pace = Pace(time.clock, time.sleep)
    sent: list[float] = []

    class Recorded(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(time.now)
            response = await httpx.ASGITransport(sandbox_app).handle_async_request(request)
            if response.status_code == 429:
                sandbox_app.state.faults.rate_limit = None  # the window passes
            return response

    transport = PacedTransport(Recorded(), pace)
    client = PaymentsClient(
        "http://127.0.0.1/v1", sandbox_app.state.api_key, transport=transport, sleep=time.sleep
    )
    request = PaymentCreate(amount=Decimal("1.00"), currency="USD", source="tok_visa")
    async with client:
        await client.create_payment(request)
        await client.create_payment(request)
        # The third is refused (429, Retry-After: 1): the pace holds; the client retries.
        await asyncio.gather(client.create_payment(request), client.create_payment(request))
    assert pace.held == 1
    assert len(sent) == 5 and sent[:3] == [100.0] * 3
    assert all(moment >= 101.0 for moment in sent[3:])  # nothing went before the hold ended


def _settled(line: int, status: str, error: str | None = None) -> Settled:
    row = WorkRow(line, "new", None, "pay_1", Decimal(1), "USD", None, None)
    return Settled(row, status, error=error)  # type: ignore[arg-type]


def test_progress_counts_rate_and_time_left() -> None:
    time = FakeTime()
    progress = Progress(10, time.clock)
    assert (progress.rate(), progress.eta()) == (None, None)
    time.now += 2
    for status in ("done", "done", "refused", "unknown"):
        progress.add(status)
    assert (progress.settled, progress.rate(), progress.eta()) == (4, 2.0, 3.0)
    assert [duration_text(s) for s in (3.0, 125, 3725)] == ["3 s", "2 min 05 s", "1 h 02 min"]


def test_the_bar_at_a_terminal_and_plain_lines_elsewhere() -> None:
    time = FakeTime()
    terminal, log = io.StringIO(), io.StringIO()
    bar = ProgressDisplay(Progress(4, time.clock), terminal, tty=True, clock=time.clock)
    plain = ProgressDisplay(Progress(4, time.clock), log, tty=False, clock=time.clock)
    bar.unicode = plain.unicode = False
    for display in (bar, plain):
        time.now += 1
        display.settled(_settled(2, "done"))
        display.settled(_settled(3, "refused", "Your card was declined.\x1b[2J"))
    figures = "2/4 | done 1 | refused 1 | 1.0/s | 2 s left"
    assert bar.bar(80) == f"[{'#' * 15}{'-' * 16}] {figures}"
    assert len(bar.bar(30)) == 27
    time.now += 10
    plain.settled(_settled(4, "unknown", "The connection was lost"))
    bar.close()
    plain.close()
    assert "\r\x1b[K" in terminal.getvalue()
    assert "payments-console: line 3: refused: Your card was declined.\n" in terminal.getvalue()
    assert log.getvalue().splitlines() == [
        "payments-console: line 3: refused: Your card was declined.",
        "payments-console: line 4: unknown: The connection was lost",
        "payments-console: batch: 3 of 4 rows (done 1, refused 1, unknown 1), 0.2 rows/s, 4 s left",
        "payments-console: batch: 3 of 4 rows (done 1, refused 1, unknown 1), 0.2 rows/s",
    ]


def test_the_checks_before_sending_have_a_bar_of_their_own() -> None:
    time = FakeTime()
    quick, slow = io.StringIO(), io.StringIO()
    for log in (quick, slow):
        checks = ProgressDisplay(Progress(0, time.clock), log, tty=False, clock=time.clock)
        checks.steps = "payments checked"
        for _ in range(2 if log is quick else 4):
            time.now += 2 if log is quick else 3
            checks.step(4)
        checks.note("SIGINT: stopping")
        checks.close()
    assert quick.getvalue() == "payments-console: warning: SIGINT: stopping\n"  # no count
    assert slow.getvalue().splitlines() == [
        "payments-console: batch: 2 of 4 payments checked, 0.3/s, 6 s left",
        "payments-console: batch: 4 of 4 payments checked, 0.3/s",
        "payments-console: warning: SIGINT: stopping",
        "payments-console: batch: 4 of 4 payments checked, 0.3/s",
    ]
    assert ProgressDisplay(Progress(0), io.StringIO(), tty=True).bar(80).startswith("[---")
