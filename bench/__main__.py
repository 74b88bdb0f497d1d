"""`make bench`: run every benchmark in turn; each prints its own markdown table."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "bench.sandbox",
    "bench.client",
    "bench.startup",
    "bench.history",
    "bench.home_figures",
    "bench.batch",
    "bench.team_journal",
]


def main() -> int:
    names = sys.argv[1:] or BENCHMARKS
    for name in names:
        print(f"\n### {name}\n", flush=True)
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
