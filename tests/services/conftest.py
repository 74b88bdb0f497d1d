"""Services tests: isolated config/data dirs, no PAYMENTS_* variables, an in-memory keyring."""

from __future__ import annotations

from pathlib import Path

import pytest

from screenshots.memory_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def _isolated(isolated_dirs: Path, memory_keyring: MemoryKeyring) -> None:
    """Every services test runs with both (see tests/conftest.py)."""
