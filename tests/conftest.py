"""Shared test configuration and fixtures. Sub-folders add their own in their conftest.py.

`isolated_dirs` and `memory_keyring` keep a test away from the machine's settings, data and
OS keyring; tests/services and tests/tui use both for every test. `pg_cluster` and `pg_url`
(tests/pg_cluster.py) are a real PostgreSQL server and an empty schema of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest
from hypothesis import HealthCheck, settings

from screenshots.memory_keyring import MemoryKeyring
from tests.pg_cluster import pg_cluster as pg_cluster
from tests.pg_cluster import pg_url as pg_url

if TYPE_CHECKING:
    from fastapi import FastAPI

    from console.sandbox.server import SandboxServer

settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --- isolation -----------------------------------------------------------------------


@pytest.fixture
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the XDG dirs under tmp_path/home (returned); no PAYMENTS_* variable leaks in."""
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


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring backend for the test; the previous backend comes back after it."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# --- sandbox fixtures -------------------------------------------------------------------


@pytest.fixture
def sandbox_app(tmp_path: Path) -> Iterator[FastAPI]:
    """A sandbox FastAPI app on a fresh tmp-file database; its key: `.state.api_key`.

    Use it in process: `httpx.ASGITransport(sandbox_app)`, base URL "http://127.0.0.1/v1".
    """
    from console.sandbox.app import create_app

    app = create_app(tmp_path / "sandbox.db")
    yield app
    app.state.store.close()


@pytest.fixture
def sandbox_server(tmp_path: Path) -> Iterator[SandboxServer]:
    """A started SandboxServer (uvicorn on 127.0.0.1, free port) on a fresh tmp database."""
    from console.sandbox.server import SandboxServer

    with SandboxServer(tmp_path / "sandbox-server.db") as server:
        yield server
