"""What every screen needs from the outside world, injected by `make_app`.

Screens never construct HTTP clients or open databases; they reach the services
through `self.app.ctx`, a `ConsoleContext`: the settings, the journal and the
`console.session.Session` (the connected profile, its client and operations). The
settings screen and the first run switch profile through the app's `use_connection`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from console.clock import Clock, utc_now
from console.modes import Mode
from console.session import ClientFactory, Connection, Session

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.config import Profile, Settings
    from console.journal import Journal
    from console.operations import Operations

Connector = Callable[[], Awaitable[tuple["Profile", "PaymentsClient"]]]
"""Obtains a profile and its client after the first frame (e.g. starts the sandbox)."""


@dataclass(frozen=True)
class Services:
    """What a `Loader` reads from disk and the keyring: the pieces of a `ConsoleContext`."""

    settings: Settings
    journal: Journal
    profile: Profile | None = None
    client: PaymentsClient | None = None


@dataclass(frozen=True)
class Opening:
    """What the console knows of its profile before the loader is done (`--sandbox`
    knows it from the command line): the header shows it from the first frame, and a
    screen that asks nothing else of the context (the new-payment form) opens at once."""

    profile_name: str
    mode: Mode
    currency: str = "USD"


Loader = Callable[[], Services]
"""Loads the settings, opens the journal and picks a profile (and its client, when it has
a key). Called in a thread after the first frame, so none of that delays it."""


class ConsoleContext:
    """The services the screens use. The session has no connection until a profile is
    connected."""

    def __init__(
        self,
        *,
        client: PaymentsClient | None,
        journal: Journal,
        settings: Settings,
        profile: Profile | None,
        clock: Clock = utc_now,
        config_path: Path | None = None,
        client_factory: ClientFactory | None = None,
        display_tz: tzinfo | None = None,
    ) -> None:
        connection = Connection(profile, client) if profile and client else None
        self.session = Session(
            journal,
            clock=clock,
            client_factory=client_factory,
            connection=connection,
            profile=profile,
        )
        self.journal = journal
        self.settings = settings
        self.config_path = config_path
        """Where `config.save_settings` writes (None: the default location)."""
        self.display_tz = display_tz
        """Time zone for times on screen (None: this machine's local time zone)."""

    @property
    def clock(self) -> Clock:
        return self.session.clock

    @property
    def profile(self) -> Profile | None:
        return self.session.profile

    @property
    def client(self) -> PaymentsClient | None:
        return self.session.client

    @property
    def profile_name(self) -> str:
        return self.profile.name if self.profile is not None else "no profile"

    @property
    def journal_profile(self) -> str | None:
        """The profile whose journal entries the screens show: the current one (None, all
        of them, while no profile is chosen)."""
        return self.profile.name if self.profile is not None else None

    def require_client(self) -> PaymentsClient:
        return self.session.require_client()

    def operations(self) -> Operations:
        """The connected profile's payments and refunds (`NotConnectedError` if none)."""
        return self.session.operations()

    async def use_client(self, profile: Profile, client: PaymentsClient) -> None:
        """Switch to `profile` and `client`, closing the previous client."""
        await self.session.use(Connection(profile, client))

    async def connect(self, profile: Profile, api_key: str) -> None:
        """Switch to `profile`, building its client from `api_key`."""
        await self.session.use(self.session.connect(profile, api_key))

    async def aclose(self) -> None:
        await self.session.aclose()
