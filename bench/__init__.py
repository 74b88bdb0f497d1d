"""Benchmarks: each module prints a markdown table of figures next to a same-run baseline."""
