"""`payments-console [--sandbox]`: open the console (the Textual app).

The app draws its first frame before anything slow: the settings, the journal and the
profile's key are read by a loader in a thread after it. `--sandbox` launches the
embedded sandbox in its own process before Textual is even imported
(`console.sandbox.background`): its address and key are known at once, so the console is
connected (badge, keys, forms) as soon as the loader is done, and a request sent before
the sandbox is up waits for it.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from console.commands.exits import EXIT_OK, PROG, Failure
from console.context import Opening

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.config import Profile
    from console.context import Services
    from console.journal import Journal
    from console.sandbox.background import BackgroundSandbox


_SANDBOX_OPENING = Opening("sandbox", "sandbox")
"""The profile `--sandbox` opens on, known before anything is loaded."""


def open_console(args: argparse.Namespace) -> int:
    sandboxes: list[BackgroundSandbox] = []
    if args.sandbox:  # first, so that it starts while the console does (the loader
        sandboxes.append(_launch_sandbox())  # checks its database file, as the child does)
    try:
        return _run_console(args, sandboxes)
    finally:
        for sandbox in sandboxes:
            sandbox.stop()


def _launch_sandbox() -> BackgroundSandbox:
    from console.sandbox.background import launch
    from console.sandbox.command import default_db_path

    try:
        return launch(default_db_path())
    except OSError as exc:
        raise Failure(f"Cannot start the local sandbox: {exc}") from None


def _sandbox_connection(sandbox: BackgroundSandbox) -> tuple[Profile, PaymentsClient]:
    from console.config import Profile
    from console.session import default_client_factory

    opening = _SANDBOX_OPENING
    profile = Profile(name=opening.profile_name, base_url=sandbox.base_url, mode=opening.mode)
    return profile, default_client_factory(profile, sandbox.api_key)


def _run_console(args: argparse.Namespace, sandboxes: list[BackgroundSandbox]) -> int:
    from console.app import make_app
    from console.clock import utc_now

    journals: list[Journal] = []
    connections: list[tuple[Profile, PaymentsClient]] = []

    def load() -> Services:
        """Settings, journal, and (unless --sandbox) the profile with a client if it has
        a key. Unusable settings, an unknown profile, an unusable keyring, or a journal
        (or sandbox database) that cannot be opened end the console with one line; a
        file that is not a database is left as it was."""
        import sqlite3

        from console.commands.common import opened_journal
        from console.commands.common import settings as load_settings
        from console.config import is_journal_url
        from console.context import Services
        from console.journal import Journal, default_journal_path

        settings = load_settings(args)
        # Every file is checked before any is opened: one that is not a database is left
        # exactly as it was. The client comes last: nothing after it can fail.
        shared = settings.journal is not None and is_journal_url(settings.journal)
        path = Path(settings.journal or default_journal_path()).expanduser()
        if not shared:
            _check_database(path, "the journal")
        if sandboxes:
            from console.sandbox.command import default_db_path

            _check_database(default_db_path(), "the sandbox database")
        if shared:
            journal = opened_journal(settings.journal, settings.operator, sends=False)
        else:
            try:
                journal = Journal(path, operator=settings.operator)
            except (OSError, sqlite3.Error) as exc:
                raise _file_failure("open", "the journal", path, exc) from None
        journals.append(journal)
        try:
            journal.recover_abandoned(now=utc_now())
        except (OSError, sqlite3.Error) as exc:
            raise _file_failure("write", "the journal", path, exc) from None
        profile: Profile | None = None
        client: PaymentsClient | None = None
        if sandboxes:
            profile, client = _sandbox_connection(sandboxes[0])
            connections.append((profile, client))
        elif settings.profiles or args.profile is not None:
            from console import credentials, session

            profile = settings.get_profile(args.profile)
            try:
                client = session.connect(profile).client
            except session.MissingKeyError:
                pass  # the first run asks for it
            except session.ConnectError as exc:
                raise Failure(str(exc)) from None
            except credentials.KeyringUnavailableError as exc:
                raise Failure(f"{exc} Or run '{PROG} --sandbox'.") from None
        return Services(settings=settings, journal=journal, profile=profile, client=client)

    async def sandbox_answers() -> tuple[Profile, PaymentsClient]:
        """The --sandbox connection (made by the loader) once the sandbox is up."""
        await asyncio.to_thread(sandboxes[0].wait_ready)
        return connections[0]

    def start_sandbox() -> tuple[Profile, PaymentsClient]:
        """The first run's choice: launch the sandbox, connect once it is up."""
        from console.sandbox.command import default_db_path

        _check_database(default_db_path(), "the sandbox database")
        sandbox = _launch_sandbox()
        sandboxes.append(sandbox)
        sandbox.wait_ready()
        return _sandbox_connection(sandbox)

    async def chosen_sandbox() -> tuple[Profile, PaymentsClient]:
        return await asyncio.to_thread(start_sandbox)

    app = make_app(
        loader=load,
        opening=_SANDBOX_OPENING if args.sandbox else None,
        clock=utc_now,
        config_path=args.config,
        connect=sandbox_answers if args.sandbox else None,
        sandbox=chosen_sandbox,
    )
    try:
        app.run()
    finally:
        for journal in journals:
            journal.close()
    if app.load_error is not None:
        raise app.load_error
    return app.return_code or EXIT_OK


def _check_database(path: Path, what: str) -> None:
    """A `Failure` when `path` cannot be a SQLite database, found without changing it."""
    from console.paths import sqlite_file_problem

    problem = sqlite_file_problem(path)
    if problem is not None:
        raise Failure(f"Cannot open {what} at {path}: {problem}")


def _file_failure(verb: str, what: str, path: Path, exc: BaseException) -> Failure:
    from console.paths import file_error_problem

    return Failure(f"Cannot {verb} {what} at {path}: {file_error_problem(exc, path)}")
