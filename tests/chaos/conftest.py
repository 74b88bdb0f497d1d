"""Chaos tests: real sandbox and CLI processes, killed and starved; rows are counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.harness import Cli, Sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = Sandbox(tmp_path / "sandbox.db")
    yield sandbox
    sandbox.stop()


@pytest.fixture
def cli(tmp_path: Path, sandbox: Sandbox) -> Cli:
    home = tmp_path / "home"
    home.mkdir()
    return Cli(home, sandbox)
