"""What every screen needs from the outside world, injected by `make_app`.

Screens never construct HTTP clients or open databases; they reach the services
through `self.app.ctx`, a `ConsoleContext`. It is mutable: the settings screen
switches profile (and with it the client) through `PaymentsConsoleApp.use_profile`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from console.clock import Clock, utc_now

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.config import Profile, Settings
    from console.journal import Journal

ClientFactory = Callable[["Profile", str], "PaymentsClient"]
"""Builds a client for a profile and its API key."""

Connector = Callable[[], Awaitable[tuple["Profile", "PaymentsClient"]]]
"""Obtains a profile and its client after the first frame (e.g. starts the sandbox)."""


@dataclass(frozen=True)
class Services:
    """What a `Loader` reads from disk and the keyring: the pieces of a `ConsoleContext`."""

    settings: Settings
    journal: Journal
    profile: Profile | None = None
    client: PaymentsClient | None = None


Loader = Callable[[], Services]
"""Loads the settings, opens the journal and picks a profile (and its client, when it has a
key). Called in a thread after the first frame, so none of that delays it."""


class NotConnectedError(Exception):
    """A screen needs the API but no profile is connected yet."""

    def __init__(self) -> None:
        super().__init__(
            "No API is connected yet: choose the local sandbox or enter a base URL and key."
        )


def default_client_factory(profile: Profile, api_key: str) -> PaymentsClient:
    from console.api.client import PaymentsClient

    return PaymentsClient(profile.base_url, api_key, timeout=profile.timeout)


@dataclass
class ConsoleContext:
    """The services the screens use. `client` is None until a profile is connected."""

    client: PaymentsClient | None
    journal: Journal
    settings: Settings
    profile: Profile | None
    clock: Clock = utc_now
    config_path: Path | None = None
    """Where `config.save_settings` writes (None: the default location)."""
    client_factory: ClientFactory = field(default=default_client_factory)
    display_tz: tzinfo | None = None
    """Time zone for times on screen (None: this machine's local time zone)."""

    @property
    def profile_name(self) -> str:
        return self.profile.name if self.profile is not None else "no profile"

    @property
    def journal_profile(self) -> str | None:
        """The profile whose journal entries the screens show: the current one (None, all
        of them, while no profile is chosen)."""
        return self.profile.name if self.profile is not None else None

    def require_client(self) -> PaymentsClient:
        if self.client is None:
            raise NotConnectedError
        return self.client

    async def use_client(self, profile: Profile, client: PaymentsClient) -> None:
        """Switch to `profile` and `client`, closing the previous client."""
        previous, self.client, self.profile = self.client, client, profile
        if previous is not None and previous is not client:
            await previous.aclose()

    async def connect(self, profile: Profile, api_key: str) -> None:
        """Switch to `profile`, building its client from `api_key`."""
        await self.use_client(profile, self.client_factory(profile, api_key))

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None
