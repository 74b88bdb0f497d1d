"""The `journal` the journal's tests share: each test runs on a new SQLite file and on a
new schema of a real PostgreSQL server (tests/pg_cluster.py); `sqlite_only` marks a test
of what only a file has."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console.journal import Journal
from tests.pg_cluster import BACKENDS, journal_location


@pytest.fixture(params=BACKENDS)
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    with Journal(journal_location(request, tmp_path)) as journal:
        yield journal
