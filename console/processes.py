"""Which process owns a record, and whether that process is still running.

An owner is `"<pid>:<start>"`: the process ID and its start time (clock ticks since boot,
from /proc on Linux), so a PID the system reused for another process is not taken for the
owner. Where /proc is missing the start is `0` and only the PID is checked.

The journal records the owner of every pending operation and the sandbox the owner of
every idempotency key in progress: a record whose owner has stopped was abandoned (the
process was killed or crashed), one whose owner still runs is in progress.
"""

from __future__ import annotations

import os
from functools import cache


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot; None if it is not running;
    0 where the system does not say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except FileNotFoundError:
        return None
    except OSError:
        return 0 if _pid_exists(pid) else None
    # Field 2 (the command name) is in parentheses and may hold spaces: split after it.
    fields = text[text.rfind(b")") + 2 :].split()
    return int(fields[19])  # field 22 of the whole line


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, run by another user
    return True


def _describe(pid: int) -> str | None:
    if not os.path.isdir("/proc"):
        return f"{pid}:0" if _pid_exists(pid) else None
    start = _start_time(pid)
    return None if start is None else f"{pid}:{start}"


@cache
def _this_process(pid: int) -> str:
    described = _describe(pid)
    assert described is not None
    return described


def current_owner() -> str:
    """This process as an owner (a forked child is another owner)."""
    return _this_process(os.getpid())


def is_alive(owner: str | None) -> bool:
    """True while the process `owner` names runs; False for None or a malformed owner."""
    if not owner:
        return False
    pid_text, _, start = owner.partition(":")
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid <= 0:
        return False
    described = _describe(pid)
    if described is None:
        return False
    return start in ("0", described.partition(":")[2]) or described.endswith(":0")
