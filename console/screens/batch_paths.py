"""Completing the path of a batch file as it is typed: the directories and `.csv` files
whose names begin with what the last part of the path says (→ or End takes it).

Hidden entries are offered only once their first dot is typed; a directory is offered
with its separator, so that its own files come next.
"""

from __future__ import annotations

import asyncio
import os
from itertools import islice
from pathlib import Path

from textual.suggester import Suggester

SCANNED = 2000
"""Entries of one directory looked at, at most (a huge directory stays quick)."""


def path_problem(typed: str) -> str | None:
    """Why `typed` names no batch file to check, or None."""
    path = Path(typed.strip()).expanduser()
    if not typed.strip():
        return "Type the path of a CSV file"
    if path.is_dir():
        return "A directory: type on to choose a .csv file in it (→ completes)"
    return None if path.is_file() else "No such file"


def complete_path(typed: str) -> str | None:
    """`typed` completed with the first directory or `.csv` file (in name order) its last
    part begins, or None when there is none (or nothing to add)."""
    if not typed.strip():
        return None
    path = Path(typed).expanduser()
    ends_with_separator = typed.endswith((os.sep, "/"))
    directory, prefix = (path, "") if ends_with_separator else (path.parent, path.name)
    try:
        with os.scandir(directory) as entries:
            names = [
                entry.name + os.sep if entry.is_dir() else entry.name
                for entry in islice(entries, SCANNED)
                if entry.name.startswith(prefix)
                and (prefix.startswith(".") or not entry.name.startswith("."))
                and (entry.is_dir() or entry.name.lower().endswith(".csv"))
            ]
    except OSError:
        return None
    if not names:
        return None
    rest = min(names)[len(prefix) :]
    return typed + rest if rest else None


class PathSuggester(Suggester):
    """`complete_path`, in a thread (a slow disk never holds the keyboard), never cached
    (files come and go)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value)
