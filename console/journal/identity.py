"""Who sends an operation, and from which machine: what every entry records of its sender."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass


def os_user() -> str:
    """The OS user name, the operator when the settings name none ('' if unknown)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's bare uid)
        return ""


@dataclass(frozen=True)
class Sender:
    """An operator (the `operator` setting, else the OS user) and this machine's name."""

    operator: str
    host: str

    @classmethod
    def here(cls, operator: str | None = None) -> Sender:
        return cls(operator or os_user(), socket.gethostname())
