"""What every benchmark prints: one markdown table, each figure next to its baseline."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

Row = tuple[str, str, str, float, str]
"""Benchmark name, ours and baseline (formatted), their ratio, the target cell."""


def print_table(rows: Iterable[Row], *, ratio_digits: int = 2) -> None:
    print("| benchmark | ours | baseline | ratio | target |")
    print("|---|---:|---:|---:|---|")
    for name, ours, baseline, ratio, target in rows:
        print(f"| {name} | {ours} | {baseline} | {ratio:.{ratio_digits}f}x | {target} |")


def at_most(ratio: float, target: float, *, digits: int = 2) -> str:
    """The target cell of a cost ratio: '<= 1.10x (ok)', or '(MISSED)' above it."""
    return f"<= {target:.{digits}f}x ({'ok' if ratio <= target else 'MISSED'})"


def at_least(ratio: float, target: float) -> str:
    """The target cell of a throughput ratio: '>= 0.5x (met)', or '(MISSED)' below it."""
    return f">= {target}x ({'met' if ratio >= target else 'MISSED'})"


def cli_env(home: Path, api_key: str) -> dict[str, str]:
    """The environment of a `payments-console` child process living in `home` (its own
    settings and journal), with the sandbox's key and no keyring."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PAYMENTS_API_KEY": api_key,
        "LANG": "C.UTF-8",
    }
