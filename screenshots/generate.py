"""Render every scenario to screenshots/<name>.svg (`make screenshots`).

The scenarios are the snapshot tests' own (screenshots/scenarios.py), driven the same
way: a first pause, the scenario, the final key presses, then animations settled.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import keyring

from console.screens.palette import screenshot_svg
from screenshots import payments, refund_history_settings, settings_first_run
from screenshots.memory_keyring import MemoryKeyring
from screenshots.scenarios import SCENARIOS as SHELL_SCENARIOS
from screenshots.scenarios import SIZE, Scenario, build, make_harness

SCENARIOS = (
    *SHELL_SCENARIOS,
    *refund_history_settings.SCENARIOS,
    *settings_first_run.SCENARIOS,
    *payments.SCENARIOS,
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}

OUT = Path(__file__).parent


async def render(scenario: Scenario) -> str:
    keyring.set_keyring(MemoryKeyring())  # never the OS keyring (a scenario may set another)
    with tempfile.TemporaryDirectory(prefix="payments-console-shot-") as workdir:
        harness = make_harness(Path(workdir))
        try:
            app = build(scenario, harness)
            async with app.run_test(size=SIZE) as pilot:
                await scenario.prepare(pilot)
                await pilot.pause()
                await pilot.press(*scenario.press)
                await pilot.wait_for_scheduled_animations()
                await pilot.pause()
                return screenshot_svg(app, f"Payments Console — {scenario.description}")
        finally:
            harness.close()


async def generate(names: Sequence[str]) -> list[Path]:
    chosen = [BY_NAME[name] for name in names] if names else list(SCENARIOS)
    written = []
    for scenario in chosen:
        path = OUT / f"{scenario.name}.svg"
        path.write_text(await render(scenario), encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv)
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        print(f"Unknown scenario(s): {', '.join(unknown)}. Known: {', '.join(BY_NAME)}")
        return 2
    for path in asyncio.run(generate(names)):
        print(path.relative_to(OUT.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
