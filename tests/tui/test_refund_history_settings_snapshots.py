"""Snapshots of the refund, history and settings screens in each state.

The scenarios are those `make screenshots` renders (screenshots/refund_history_settings.py).
Update after an intended change:
`.venv/bin/pytest tests/tui/test_refund_history_settings_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from screenshots.refund_history_settings import SCENARIOS
from screenshots.scenarios import SIZE, Harness, Scenario, build


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_screen(scenario: Scenario, harness: Harness, snap_compare: Callable[..., bool]) -> None:
    app: Any = build(scenario, harness)
    assert snap_compare(app, press=scenario.press, terminal_size=SIZE, run_before=scenario.prepare)
