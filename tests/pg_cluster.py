"""A throwaway PostgreSQL server for the tests: a real one, never a mock.

`pg_cluster` (session-scoped: one per pytest-xdist worker, each its own server) runs
initdb into a temporary directory and pg_ctl start on a Unix socket there (no TCP port),
with fsync off (nothing in it outlives the session), and stops it at the end. initdb
refuses root: as root the server runs as the `postgres` user Debian's package creates,
owning the directory. `pg_url` is a fresh schema of it per test, named in the URL's
search_path, so every test sees an empty journal. Without the binaries (Debian's
`postgresql`, installed by scripts/system-deps.sh) the tests that need them skip and say
why.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from console.journal import Journal

USER = "console_test"
DATABASE = "journal"
_SCHEMAS = itertools.count(1)


def server_binaries() -> Path | None:
    """The directory of initdb and pg_ctl: on the PATH, else Debian's newest."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    return versions[-1].parent if versions else None


@dataclass
class Cluster:
    directory: Path
    binaries: Path
    as_user: list[str]

    @property
    def socket_dir(self) -> Path:
        return self.directory / "socket"

    def url(self, database: str = DATABASE, **options: str) -> str:
        query = "&".join(f"{name}={quote(value)}" for name, value in options.items())
        return f"postgresql://{USER}@/{database}?host={quote(str(self.socket_dir))}" + (
            f"&{query}" if query else ""
        )

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_user, str(self.binaries / program), *args],
            check=True,
            capture_output=True,
            text=True,
        )

    def psql(self, sql: str, database: str = DATABASE) -> str:
        """Run `sql` as the cluster's superuser; its output."""
        return self.run(
            "psql", "-X", "-qAt", "-h", str(self.socket_dir), "-U", USER, "-d", database,
            "-v", "ON_ERROR_STOP=1", "-c", sql,
        ).stdout  # fmt: skip

    def start(self) -> None:
        data = self.directory / "data"
        self.run("initdb", "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = str(self.directory / "server.log")
        self.run("pg_ctl", "-D", str(data), "-l", log, "-w", "-o", options, "start")
        self.psql(f"CREATE DATABASE {DATABASE}", database="postgres")

    def restart(self) -> None:
        """Stop the server (every session dropped at once, what was committed kept: a
        fast shutdown) and start it again."""
        log = str(self.directory / "server.log")
        data = str(self.directory / "data")
        self.run("pg_ctl", "-D", data, "-l", log, "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        try:
            self.run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster() -> Cluster:
    """A new server in a new temporary directory; `pytest.skip` without the binaries."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL is not installed (Debian's postgresql package: scripts/system-deps.sh "
            "installs it); the PostgreSQL journal tests need initdb and pg_ctl"
        )
    directory = Path(tempfile.mkdtemp(prefix="console-pg-"))
    (directory / "socket").mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the server runs as postgres
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user for initdb to run as")
        for path in (directory, directory / "socket"):
            os.chown(path, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster = Cluster(directory, binaries, as_user)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"the test PostgreSQL server did not start: {exc.stderr}") from None
    return cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of an empty schema of the session's server (the journal's tables go in)."""
    schema = f"test_{os.getpid()}_{next(_SCHEMAS)}"
    pg_cluster.psql(f"CREATE SCHEMA {schema}")
    return pg_cluster.url(options=f"-c search_path={schema}")


BACKENDS = ("sqlite", "postgresql")
"""The params of a `journal` fixture run on both backends."""

sqlite_only = pytest.mark.parametrize("journal", ["sqlite"], indirect=True)
"""For a test of what only a file has (its mode, its bytes, sqlite3 reading it)."""


def journal_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a `journal` fixture parametrized over `BACKENDS` opens its journal: a new
    file, or a new schema of the session's PostgreSQL server."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return tmp_path / "journal.sqlite3"


@contextlib.contextmanager
def another_console(journal: Journal) -> Iterator[str]:
    """The owner of another console, alive while the block runs and gone after it: a
    child process for a file, another session (holding its lock) of a shared journal."""
    if journal.shared:
        with Journal(journal.path) as other:
            yield other.owner
        return
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with open(f"/proc/{child.pid}/stat", "rb") as stat_file:
            start = stat_file.read().rsplit(b")", 1)[1].split()[19].decode()
        yield f"{child.pid}:{start}"
    finally:
        child.kill()
        child.wait()
