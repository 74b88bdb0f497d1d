"""A transport that lets the sandbox answer while another connection holds the journal's
write lock (as another console or command on the machine may), past its busy timeout."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx


class LockJournalOnRequest(httpx.AsyncBaseTransport):
    """Takes the journal's write lock when a request arrives; `release` gives it back."""

    def __init__(self, sandbox_app: Any, journal_path: str | Path) -> None:
        self.inner = httpx.ASGITransport(sandbox_app)
        self.holder = sqlite3.connect(journal_path, isolation_level=None)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.holder.execute("BEGIN EXCLUSIVE")
        return await self.inner.handle_async_request(request)

    def release(self) -> None:
        self.holder.execute("ROLLBACK")
        self.holder.close()
