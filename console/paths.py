"""Where the console keeps its files: the user config and data dirs (platformdirs).

Light on purpose: the command line shows the default settings path in `--help` without
loading the settings machinery (pydantic).

Why a file cannot be used is said the same way everywhere, as a clause that follows
"Cannot open the journal at PATH: " (or any "Cannot <verb> <what> at PATH: "): what is
wrong, then what to do — "move it aside", "make it writable", "free space". The checks
change nothing: a damaged file is left exactly as it was.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import platformdirs

APP_NAME = "payments-console"

SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file (an empty file is a new database)."""

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_DENIED = (errno.EACCES, errno.EPERM)


def default_config_path() -> Path:
    """The settings file unless `--config` names another."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def data_dir() -> Path:
    """The user data dir (journal, embedded sandbox database)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def exports_dir() -> Path:
    """Where files the merchant asks for (a CSV export, a receipt) go unless another path is
    named: the downloads directory when there is one, else `exports` in the data dir."""
    downloads = Path(platformdirs.user_downloads_dir())
    return downloads if downloads.is_dir() else data_dir() / "exports"


def unused_path(directory: Path, stem: str, suffix: str) -> Path:
    """`directory/stem.suffix`, or with a number added (`stem-2.suffix`...) if it is taken:
    never an existing file."""
    path = directory / f"{stem}{suffix}"
    number = 1
    while path.exists():
        number += 1
        path = directory / f"{stem}-{number}{suffix}"
    return path


def directory_problem(path: Path, *, writable: bool = True) -> str | None:
    """Why the directory that holds `path` cannot be made (or, if `writable`, written),
    or None.

    The nearest existing ancestor of `path` must be a directory, and one this user can
    write in when a file is to be created there (the missing directories, `path`, its
    temporary files or SQLite's -wal and -shm files). Root passes every permission check.
    """
    for parent in Path(os.path.abspath(path)).parents:
        try:
            mode = os.stat(parent).st_mode
        except OSError:  # missing, or under a file (ENOTDIR): look further up
            continue
        if not stat.S_ISDIR(mode):
            return f"{parent} is not a directory; move it aside"
        if writable and not os.access(parent, os.W_OK | os.X_OK):
            return f"the directory {parent} is not writable; make it writable"
        return None
    return None


def sqlite_file_problem(path: Path) -> str | None:
    """Why `path` cannot be opened as a SQLite database, found by reading at most its
    first 16 bytes (never writing), or None: it is one, or it does not exist yet and can
    be created."""
    # SQLite creates the file and its -wal and -shm files beside it: the directory must
    # be writable unless they are all there already.
    complete = all(os.path.lexists(f"{path}{suffix}") for suffix in ("", "-wal", "-shm"))
    problem = directory_problem(path, writable=not complete)
    if problem is not None:
        return problem
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return os_error_problem(exc, path)
    if stat.S_ISDIR(mode):
        return "it is a directory, not a database file; move it aside"
    if not stat.S_ISREG(mode):
        return "it is not a regular file; move it aside"
    try:
        with open(path, "rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        return os_error_problem(exc, path)
    if head and head != SQLITE_HEADER:
        return "it is not a SQLite database; move it aside (it was left unchanged)"
    return None


def os_error_problem(exc: OSError, path: Path) -> str:
    """What is wrong and what to do, for `exc` met reading or writing `path`."""
    if exc.errno in _DISK_FULL:
        return "the disk is full; free space and try again"
    if exc.errno == errno.EROFS:
        return "the file system is read-only; make it writable or move the file"
    problem = directory_problem(path)
    if problem is not None:
        return problem
    if exc.errno == errno.EISDIR:
        return "it is a directory, not a file; move it aside"
    if exc.errno in _DENIED:
        return "permission denied; make it readable and writable by you"
    return exc.strerror or str(exc) or type(exc).__name__


def file_error_problem(exc: BaseException, path: Path) -> str:
    """What is wrong and what to do, for an OSError or a sqlite3.Error met opening or
    writing the database (or other file) at `path`."""
    if isinstance(exc, OSError):
        return os_error_problem(exc, path)
    name = getattr(exc, "sqlite_errorname", None)  # sqlite3.Error (Python 3.11+)
    text = str(exc)
    if name == "SQLITE_FULL" or "disk is full" in text:
        return "the disk is full; free space and try again"
    if name == "SQLITE_NOTADB" or "not a database" in text:
        return "it is not a SQLite database; move it aside (it was left unchanged)"
    if name == "SQLITE_CORRUPT" or "malformed" in text:
        return "the database is damaged; move it aside (it was left unchanged)"
    problem = sqlite_file_problem(path)
    if problem is not None:
        return problem
    if name == "SQLITE_READONLY" or "readonly" in text:
        return f"it is read-only; make it and {path.parent} writable"
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in text:
        return "another process holds it locked; close that process and try again"
    if name == "SQLITE_CANTOPEN" or "unable to open" in text:
        return f"it cannot be opened; make {path.parent} a writable directory"
    return text or type(exc).__name__
