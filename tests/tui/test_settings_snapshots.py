"""Snapshots of the settings screen and the first run in each state, at 80x24 and 100x30.

The scenarios are those `make screenshots` renders (screenshots/settings_first_run.py).
Update after an intended change:
`.venv/bin/pytest tests/tui/test_settings_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from screenshots.scenarios import BY_NAME, Harness, Scenario, build
from screenshots.settings_first_run import SCENARIOS, SIZES

CASES = [
    *(
        pytest.param(scenario, size, id=f"{scenario.name}-{size[0]}x{size[1]}")
        for scenario in SCENARIOS
        for size in SIZES
    ),
    # the first run as it opens: at 100x30 in test_snapshots.py
    pytest.param(BY_NAME["first_run"], (80, 24), id="first_run-80x24"),
]


@pytest.mark.parametrize(("scenario", "size"), CASES)
def test_screen(
    scenario: Scenario,
    size: tuple[int, int],
    harness: Harness,
    snap_compare: Callable[..., bool],
) -> None:
    app: Any = build(scenario, harness)
    assert snap_compare(app, press=scenario.press, terminal_size=size, run_before=scenario.prepare)
