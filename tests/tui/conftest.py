"""TUI tests: an in-process sandbox with a fixed clock and sequential ids, a tmp journal,
isolated config/data dirs, no PAYMENTS_* variables and an in-memory keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from screenshots.memory_keyring import MemoryKeyring
from screenshots.scenarios import Harness, make_harness


@pytest.fixture(autouse=True)
def _isolated(isolated_dirs: Path, memory_keyring: MemoryKeyring) -> None:
    """Every TUI test runs with both (see tests/conftest.py)."""


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """A sandbox database, a journal, and builders of clients and apps on them."""
    built = make_harness(tmp_path)
    yield built
    built.close()
