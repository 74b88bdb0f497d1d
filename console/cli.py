"""Command line: argument parsing and subcommands, no business logic."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from console import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payments-console",
        description="A keyboard-driven console for the Payment Processing API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    parser.print_help()
    return 0 if args.command is None else 2
