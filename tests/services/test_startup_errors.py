"""No traceback at start-up: a damaged journal, an unusable data or settings dir, a bad
PAYMENTS_CONSOLE_* variable or a full disk is one line on stderr that names the file (or
the variable) and what to do, exit code 2, and nothing is overwritten.

Most tests run the real command in a subprocess (`python -m console ...`, HOME and the XDG
dirs under tmp_path, no PAYMENTS_* variable but those a test sets). The console (TUI) runs
there too: Textual draws on stderr, so what the merchant sees afterwards is the text after
the console leaves the alternate screen. A full disk cannot be made for real without root,
so those tests run `console.cli.main` in process with SQLite limited to one page (a real
SQLITE_FULL) or with `os.fsync` failing with ENOSPC; the console then runs headless
(`app.run_test`).
"""

from __future__ import annotations

import asyncio
import errno
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from console.config import Profile, Settings, default_config_path, save_settings
from console.journal import default_journal_path
from console.paths import data_dir
from console.sandbox.server import SandboxServer
from screenshots.memory_keyring import MemoryKeyring
from tests.services.cli_runner import Runner
from tests.tui.helpers import until_opened

UNREACHABLE = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there
KEY = "sk_test_" + "Startup0" * 3
NOT_A_DATABASE = b"these are my notes, not a database\n" * 40

# The console's terminal output ends where it leaves the alternate screen; after that
# come a few mode resets, then what the command line prints.
_LEAVE_ALTERNATE_SCREEN = "\x1b[?1049l"
_ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")

TUI: list[str] = []
WITH_PROFILE = {"PAYMENTS_API_KEY": KEY}
PAY = ["pay", "--amount", "1", "--currency", "USD", "--source", "tok_visa"]
REFUND = ["refund", "pay_startup", "--amount", "1"]


@pytest.fixture
def console(isolated_dirs: Path, tmp_path: Path) -> Runner:
    return Runner(
        home=isolated_dirs,
        keyring_file=tmp_path / "test-keyring.json",
        extra_env={"COLUMNS": "100", "LINES": "30"},
    )


def shown(stderr: str) -> str:
    """What stays on the merchant's screen from stderr: after the console (if it ran)
    left the alternate screen, without terminal escape sequences."""
    start = stderr.rfind(_LEAVE_ALTERNATE_SCREEN)
    if start >= 0:
        stderr = stderr[start:]
    return _ESCAPES.sub("", stderr)


def one_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit code 2, no traceback, and one `payments-console: error: ...` line holding every
    fragment; returns the line."""
    assert "Traceback" not in result.stderr, shown(result.stderr)
    lines = shown(result.stderr).strip().splitlines()
    assert result.returncode == 2, (result.returncode, lines)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("payments-console: error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def one_line_in_process(err: str, *fragments: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("payments-console: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def snapshot(path: Path) -> tuple[bytes, int, int]:
    """The file's bytes, mode and modification time."""
    status = path.stat()
    return path.read_bytes(), status.st_mode, status.st_mtime_ns


def a_profile() -> None:
    save_settings(Settings().with_profile(Profile(name="p", base_url=UNREACHABLE, mode="test")))


# --- the journal and the data dir -------------------------------------------------------


def test_the_console_leaves_a_journal_that_is_not_a_database_exactly_as_it_was(
    console: Runner,
) -> None:
    path = default_journal_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(NOT_A_DATABASE)
    path.chmod(0o644)
    before = snapshot(path)
    line = one_line(console(), str(path), "not a SQLite database", "move it aside")
    assert line.startswith("payments-console: error: Cannot open the journal at ")
    assert snapshot(path) == before  # bytes, and even its mode and mtime
    assert sorted(p.name for p in path.parent.iterdir()) == ["journal.sqlite3"]  # no -wal


@pytest.mark.parametrize("command", [PAY, REFUND], ids=lambda argv: argv[0])
def test_pay_and_refund_leave_a_journal_that_is_not_a_database_as_it_was(
    console: Runner, command: list[str]
) -> None:
    a_profile()
    path = default_journal_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(NOT_A_DATABASE)
    one_line(console(*command, **WITH_PROFILE), "Cannot open the journal at", str(path))
    assert path.read_bytes() == NOT_A_DATABASE


@pytest.mark.parametrize(
    ("command", "env"),
    [(["status"], {}), (["logout"], {}), (["get", "pay_startup"], WITH_PROFILE)],
    ids=["status", "logout", "get"],
)
def test_commands_without_the_journal_do_not_touch_a_damaged_one(
    console: Runner, command: list[str], env: dict[str, str]
) -> None:
    a_profile()
    path = default_journal_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(NOT_A_DATABASE)
    before = snapshot(path)
    result = console(*command, **env)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 3), result.stderr  # get: nothing listens there
    assert snapshot(path) == before


@pytest.mark.parametrize("command", [TUI, ["--sandbox"], PAY], ids=["console", "sandbox", "pay"])
def test_a_file_where_the_data_dir_should_be(console: Runner, command: list[str]) -> None:
    if command == PAY:
        a_profile()
    blocker = data_dir()
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"not a directory\n")
    result = console(*command, **WITH_PROFILE)
    line = one_line(result, str(default_journal_path()))
    if command != PAY:  # pay's own wording: console/commands/payments.py
        assert f"{blocker} is not a directory; move it aside" in line
    assert blocker.read_bytes() == b"not a directory\n"


def test_a_file_where_the_xdg_data_dir_should_be(console: Runner) -> None:
    blocker = Path(os.environ["XDG_DATA_HOME"])
    blocker.write_bytes(b"x")
    one_line(console(), f"{blocker} is not a directory; move it aside")
    assert blocker.read_bytes() == b"x"


def test_a_directory_where_the_journal_should_be(console: Runner) -> None:
    path = default_journal_path()
    (path / "inside").mkdir(parents=True)
    one_line(console(), str(path), "is a directory", "move it aside")
    assert [p.name for p in path.iterdir()] == ["inside"]


def test_a_sandbox_database_that_is_not_one_is_left_as_it_was(console: Runner) -> None:
    from console.sandbox.command import default_db_path

    path = default_db_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(NOT_A_DATABASE)
    before = snapshot(path)
    one_line(console("--sandbox"), f"the sandbox database at {path}", "move it aside")
    assert snapshot(path) == before


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes in read-only directories; the file-for-a-directory tests cover root",
)
@pytest.mark.parametrize("existing_journal", [False, True], ids=["fresh", "existing"])
def test_a_read_only_data_dir(console: Runner, existing_journal: bool) -> None:
    directory = data_dir()
    directory.mkdir(parents=True)
    if existing_journal:
        default_journal_path().write_bytes(b"")
    directory.chmod(0o500)
    try:
        one_line(console(), str(directory), "make it writable")
    finally:
        directory.chmod(0o700)
    expected = ["journal.sqlite3"] if existing_journal else []
    assert sorted(p.name for p in directory.iterdir()) == expected


# --- the settings dir --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "stdin"),
    [(TUI, ""), (["status"], ""), (["login", "--base-url", UNREACHABLE], KEY)],
    ids=["console", "status", "login"],
)
def test_a_file_where_the_settings_dir_should_be(
    console: Runner, command: list[str], stdin: str
) -> None:
    blocker = default_config_path().parent
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"not a directory\n")
    line = one_line(console(*command, stdin=stdin), f"{blocker} is not a directory")
    assert "move it aside" in line
    assert blocker.read_bytes() == b"not a directory\n"
    assert not console.keyring_file.exists()


# --- PAYMENTS_CONSOLE_* variables --------------------------------------------------------

ALL_COMMANDS = [
    (TUI, "", {}),
    (["status"], "", {}),
    (["login", "--base-url", UNREACHABLE], KEY, {}),
    (["logout"], "", {}),
    (PAY, "", WITH_PROFILE),
    (["get", "pay_startup"], "", WITH_PROFILE),
    (REFUND, "", WITH_PROFILE),
]
ALL_IDS = ["console", "status", "login", "logout", "pay", "get", "refund"]


@pytest.mark.parametrize(("command", "stdin", "env"), ALL_COMMANDS, ids=ALL_IDS)
def test_profiles_variable_that_is_not_json(
    console: Runner, command: list[str], stdin: str, env: dict[str, str]
) -> None:
    a_profile()
    settings = default_config_path()
    before = snapshot(settings)
    line = one_line(
        console(*command, stdin=stdin, PAYMENTS_CONSOLE_PROFILES="notjson", **env),
        "PAYMENTS_CONSOLE_PROFILES must be a JSON object of profiles",
        str(settings),
    )
    assert "notjson" not in line  # the value is never echoed (it may hold anything)
    assert snapshot(settings) == before
    assert not default_journal_path().exists()
    assert not console.keyring_file.exists()


@pytest.mark.parametrize(
    ("variable", "value", "fragments"),
    [
        ("PAYMENTS_CONSOLE_PROFILES", "[1, 2]", ["PAYMENTS_CONSOLE_PROFILES", "dictionary"]),
        (
            "PAYMENTS_CONSOLE_PROFILES",
            '{"x": {"mode": "test"}}',
            ["PAYMENTS_CONSOLE_PROFILES", "base_url"],
        ),
        ("PAYMENTS_CONSOLE_PROFILES", '{"x": 1}', ["PAYMENTS_CONSOLE_PROFILES", "profiles.x"]),
        ("payments_console_profiles", "{", ["payments_console_profiles must be a JSON object"]),
    ],
    ids=["list", "no-base-url", "not-an-object", "lower-case"],
)
@pytest.mark.parametrize("command", [TUI, ["status"]], ids=["console", "status"])
def test_profiles_variable_of_the_wrong_shape(
    console: Runner, command: list[str], variable: str, value: str, fragments: list[str]
) -> None:
    one_line(console(*command, **{variable: value}), *fragments)


def test_an_unknown_default_profile_variable_is_named(console: Runner) -> None:
    a_profile()
    result = console("get", "pay_startup", PAYMENTS_CONSOLE_DEFAULT_PROFILE="nope", **WITH_PROFILE)
    one_line(result, "Unknown profile 'nope' in PAYMENTS_CONSOLE_DEFAULT_PROFILE", "known: p")
    result = console(PAYMENTS_CONSOLE_DEFAULT_PROFILE="nope", **WITH_PROFILE)
    one_line(result, "Unknown profile 'nope' in PAYMENTS_CONSOLE_DEFAULT_PROFILE")


@pytest.mark.parametrize(
    "env",
    [
        {"PAYMENTS_CONSOLE_THEME": '{"not": "a theme"}'},
        {"PAYMENTS_CONSOLE_THEME": "123"},
        {"PAYMENTS_CONSOLE_DEFAULT_PROFILE": "[1]"},
        {"PAYMENTS_CONSOLE_NO_SUCH_SETTING": "x"},
    ],
    ids=["theme-json", "theme-number", "default-profile-json", "unknown-variable"],
)
def test_other_variables_never_break_status(console: Runner, env: dict[str, str]) -> None:
    result = console("status", **env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# --- a full disk (in process) ------------------------------------------------------------


@pytest.fixture
def headless(monkeypatch: pytest.MonkeyPatch) -> None:
    """`payments-console` (no command) runs the real app, headless, until it exits."""
    from console import app as app_module

    real_make_app = app_module.make_app

    def make_app(**kwargs: Any) -> Any:
        app = real_make_app(**kwargs)

        async def until_loaded() -> None:
            async with app.run_test() as pilot:
                await until_opened(pilot)
                await pilot.pause()

        monkeypatch.setattr(app, "run", lambda: asyncio.run(until_loaded()))
        return app

    monkeypatch.setattr(app_module, "make_app", make_app)


@pytest.fixture
def full_sqlite_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every new SQLite database holds one page: its first write is a real SQLITE_FULL
    ("database or disk is full")."""
    connect: Callable[..., sqlite3.Connection] = sqlite3.connect

    def limited(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.execute("PRAGMA max_page_count = 1")
        return conn

    monkeypatch.setattr(sqlite3, "connect", limited)


def no_space(fd: int) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_the_console_on_a_full_disk(
    headless: None, full_sqlite_disk: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 2
    path = default_journal_path()
    line = one_line_in_process(capsys.readouterr().err, str(path), "free space")
    assert line.startswith("payments-console: error: Cannot open the journal at ")


@pytest.mark.parametrize("command", [PAY, REFUND], ids=lambda argv: argv[0])
def test_pay_and_refund_on_a_full_disk(
    full_sqlite_disk: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    a_profile()
    monkeypatch.setenv("PAYMENTS_API_KEY", KEY)
    assert main(command) == 2
    one_line_in_process(capsys.readouterr().err, str(default_journal_path()), "full")


def login(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(server.api_key))
    return main(["login", "--profile", "local", "--base-url", server.base_url])


def test_login_on_a_full_disk_stores_no_key_and_writes_no_settings(
    sandbox_server: SandboxServer,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "fsync", no_space)
    assert login(sandbox_server, monkeypatch) == 2
    path = default_config_path()
    one_line_in_process(
        capsys.readouterr().err,
        f"Cannot save the settings at {path}",
        "the disk is full; free space",
    )
    assert not path.exists()
    assert list(path.parent.iterdir()) == []  # no temporary file left behind
    assert memory_keyring.get_password("payments-console", "local") is None


def test_login_on_a_full_disk_leaves_the_settings_and_the_key_as_they_were(
    sandbox_server: SandboxServer,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = Profile(name="local", base_url="https://old.example/v1", mode="test")
    path = save_settings(Settings().with_profile(old))
    memory_keyring.set_password("payments-console", "local", KEY)
    before = snapshot(path)
    monkeypatch.setattr(os, "fsync", no_space)
    assert login(sandbox_server, monkeypatch) == 2
    one_line_in_process(capsys.readouterr().err, str(path), "free space")
    assert snapshot(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]
    assert memory_keyring.get_password("payments-console", "local") == KEY


def test_login_still_saves_both_when_the_disk_has_room(
    sandbox_server: SandboxServer,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert login(sandbox_server, monkeypatch) == 0
    assert "Logged in" in capsys.readouterr().out
    assert memory_keyring.get_password("payments-console", "local") == sandbox_server.api_key
    saved = default_config_path().read_text()
    assert sandbox_server.base_url in saved
    assert sandbox_server.api_key not in saved
    assert json.dumps(sandbox_server.api_key) not in saved
