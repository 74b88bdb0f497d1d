"""Services tests: isolated config/data dirs, no PAYMENTS_* variables, an in-memory keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from screenshots.memory_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config and data dirs under tmp_path; no PAYMENTS_* variable leaks in."""
    for name in list(os.environ):
        if name.startswith("PAYMENTS_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    for variable, sub in (
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "home/config"),
        ("XDG_DATA_HOME", "home/data"),
        ("XDG_STATE_HOME", "home/state"),
        ("XDG_CACHE_HOME", "home/cache"),
    ):
        monkeypatch.setenv(variable, str(tmp_path / sub))
    home.mkdir()
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(MemoryKeyring())
