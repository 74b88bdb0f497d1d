"""Snapshots of the new-payment form, the payment page, refunds and Find, at 80x24 and
100x30 (the scenarios are screenshots/payments.py's: `NARROW` ones at 80x24 only, the
other modules snapshot them at 100x30).

Update after an intended change:
`.venv/bin/pytest tests/tui/test_payment_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from screenshots.payments import NARROW, NARROW_SIZE, SCENARIOS, SIZES
from screenshots.scenarios import Harness, Scenario, build

CASES = [(scenario, size) for scenario in SCENARIOS for size in SIZES]
CASES += [(scenario, NARROW_SIZE) for scenario in NARROW]


@pytest.mark.parametrize(
    ("scenario", "size"), CASES, ids=[f"{s.name}-{w}x{h}" for s, (w, h) in CASES]
)
def test_screen(
    scenario: Scenario,
    size: tuple[int, int],
    harness: Harness,
    snap_compare: Callable[..., bool],
) -> None:
    app: Any = build(scenario, harness)
    assert snap_compare(app, press=scenario.press, terminal_size=size, run_before=scenario.prepare)
