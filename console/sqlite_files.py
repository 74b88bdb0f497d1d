"""Opening the SQLite files the console and the sandbox keep (owner-only, WAL)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

MEMORY = ":memory:"


def connect_private(path: str | Path, *, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    """A connection in autocommit mode, shareable between threads (callers lock).

    A file database is made readable by its owner only (SQLite gives its -wal and -shm
    files the same mode), and runs in WAL mode with synchronous=NORMAL: a committed
    transaction survives the process being killed.
    """
    file_backed = str(path) != MEMORY
    if file_backed:
        Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    if file_backed:
        os.chmod(path, 0o600)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn
