"""TUI tests: an in-process sandbox with a fixed clock and sequential ids, a tmp journal,
no PAYMENTS_* variables and an in-memory keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from screenshots.memory_keyring import MemoryKeyring
from screenshots.scenarios import Harness, make_harness


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """Config and data dirs under tmp_path, no PAYMENTS_* variables, a memory keyring."""
    for name in list(os.environ):
        if name.startswith("PAYMENTS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """A sandbox database, a journal, and builders of clients and apps on them."""
    built = make_harness(tmp_path)
    yield built
    built.close()
