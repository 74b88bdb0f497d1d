"""`payments-console [--sandbox]`: open the console (the Textual app)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from console.cli import EXIT_OK, PROG, Failure
from console.commands import common

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.config import Profile
    from console.context import Connector
    from console.sandbox.server import SandboxServer


def open_console(args: argparse.Namespace) -> int:
    from console.app import make_app
    from console.context import default_client_factory, utc_now
    from console.journal import Journal, default_journal_path

    settings = common.settings(args)
    servers: list[SandboxServer] = []

    def start_sandbox_server() -> tuple[Profile, PaymentsClient]:
        """Import, start and connect to the embedded sandbox (in a thread: FastAPI and
        uvicorn take a while to import)."""
        from console.config import Profile
        from console.sandbox.command import default_db_path
        from console.sandbox.server import SandboxServer

        server = SandboxServer(default_db_path())
        servers.append(server)
        server.start()
        profile = Profile(name="sandbox", base_url=server.base_url, mode="sandbox")
        return profile, default_client_factory(profile, server.api_key)

    async def start_sandbox() -> tuple[Profile, PaymentsClient]:
        return await asyncio.to_thread(start_sandbox_server)

    profile: Profile | None = None
    client: PaymentsClient | None = None
    connect: Connector | None = start_sandbox if args.sandbox else None
    if not args.sandbox and (settings.profiles or args.profile is not None):
        profile = settings.get_profile(args.profile)
        from console import credentials

        try:
            key = credentials.get_key(profile.name)
        except credentials.KeyringUnavailableError as exc:
            raise Failure(f"{exc} Or run '{PROG} --sandbox'.") from None
        if key is not None:
            client = default_client_factory(profile, key)
    try:
        with Journal(default_journal_path()) as journal:
            app = make_app(
                client=client,
                journal=journal,
                settings=settings,
                profile=profile,
                clock=utc_now,
                config_path=args.config,
                connect=connect,
                sandbox=start_sandbox,
            )
            app.run()
    finally:
        for server in servers:
            server.stop()
    return app.return_code or EXIT_OK
