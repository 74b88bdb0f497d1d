"""Shared test configuration. Sub-folders add their own fixtures in their conftest.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from console.sandbox.server import SandboxServer

settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --- sandbox fixtures (owner: sandbox helper) -----------------------------------------


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
