"""The connected profile: its API key, its client and the operations bound to them.

This is the one place where a profile and a key become a client. `connect` looks the key
up when none is given (`PAYMENTS_API_KEY`, else the OS keyring), checks its shape, and
builds the client (which checks the base URL and timeout); `verify` also asks the API
whether it accepts the key. The CLI, the first run, the settings screen and the app all
go through it. A `Session` holds the current connection and the journal, and gives the
`Operations` (payments, refunds, retries) of the connected profile.

Errors say which profile and where the key came from, never the key itself. Key lookup
and storage are blocking (the keyring may be a D-Bus service): the UI calls them in a
thread. The keyring and the client are imported when first used, so that importing the
app (its first frame) does not wait for them.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.clock import Clock, utc_now

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.config import Profile
    from console.journal import Journal
    from console.operations import Operations

ClientFactory = Callable[["Profile", str], "PaymentsClient"]
"""Builds a client for a profile and its API key (checked already)."""


def default_client_factory(profile: Profile, api_key: str) -> PaymentsClient:
    from console.api.client import PaymentsClient

    return PaymentsClient(profile.base_url, api_key, timeout=profile.timeout)


class ConnectError(Exception):
    """The profile cannot be connected: no key, a key that is not one, or a profile setting
    the client refuses. The message names the profile, never the key."""


class MissingKeyError(ConnectError):
    """The profile has no key in the keyring and `PAYMENTS_API_KEY` is not set."""

    def __init__(self, profile_name: str) -> None:
        super().__init__(f"No API key for profile '{profile_name}'")
        self.profile_name = profile_name


class NotConnectedError(Exception):
    """Something needs the API but no profile is connected yet."""

    def __init__(self) -> None:
        super().__init__(
            "No API is connected yet: choose the local sandbox or enter a base URL and key."
        )


@dataclass(frozen=True)
class Connection:
    """A profile with a client for it."""

    profile: Profile
    client: PaymentsClient
    key_warning: str | None = None
    """Set when the key's prefix says another mode than the profile's (test key, live
    profile): the caller shows it."""


def stored_key(profile: Profile) -> str:
    """The profile's key (`PAYMENTS_API_KEY` first, then the keyring), shape-checked.

    Raises `MissingKeyError`, `ConnectError` (a stored key that is not one, saying where
    it came from) or `credentials.KeyringUnavailableError`.
    """
    from console import credentials

    key = credentials.get_key(profile.name)
    if key is None:
        raise MissingKeyError(profile.name)
    return _checked(key, _key_origin(profile))


def connect(
    profile: Profile, key: str | None = None, *, client_factory: ClientFactory | None = None
) -> Connection:
    """`profile` with a client for `key` (None: its stored key, see `stored_key`)."""
    from console.credentials import mode_warning

    key = stored_key(profile) if key is None else _checked(key, "the key")
    try:
        client = (client_factory or default_client_factory)(profile, key)
    except ValueError as exc:  # refused before anything is sent; never names the key
        raise ConnectError(f"Profile '{profile.name}': {exc}") from None
    return Connection(profile, client, mode_warning(key, profile.mode, profile.name))


async def verify(connection: Connection) -> None:
    """Return when the API accepts the connection's key; raise `AuthenticationError` when
    it refuses it (401), or whatever else went wrong reaching it."""
    from console.operations import check_key

    await check_key(connection.client)


def save_key(profile: Profile, key: str) -> None:
    """Store the profile's key in the OS keyring (raises `KeyringUnavailableError`)."""
    from console import credentials

    credentials.set_key(profile.name, key)


def move_key(old_name: str, new_name: str) -> bool:
    """Store profile `old_name`'s keyring key under `new_name`, then remove the old one;
    False when it had none (raises `KeyringUnavailableError`)."""
    from console import credentials

    key = credentials.keyring_key(old_name)
    if key is None:
        return False
    credentials.set_key(new_name, key)
    credentials.delete_key(old_name)
    return True


def remove_key(profile_name: str) -> bool:
    """Remove the profile's key from the keyring; False when it had none."""
    from console import credentials

    return credentials.delete_key(profile_name)


COMMAND = "payments-console"
"""The console's command, as the next step without a keyring names it."""


def next_step_with_env_key(profile_name: str, key: str | None = None) -> str:
    """What to run next when the key comes from `PAYMENTS_API_KEY` (no keyring keeps
    `key`, or none was given): the command that reads it without echo (never on a command
    line), or, when the variable is set to `key` or none was given, that it is used.
    The CLI's `login` and the settings screen say the same."""
    from console.credentials import ENV_VAR, env_key, mask

    run = f"{COMMAND} --profile {shlex.quote(profile_name)}"
    env = env_key()
    if env is not None and key == env:
        return f"{ENV_VAR} is set to this key and will be used. Next: {run}"
    if env is not None and key is None:
        return f"{ENV_VAR} is set ({mask(env)}) and will be used. Next: {run}"
    return (
        f"Give the key in {ENV_VAR} for each run. Next (the key is read without "
        f"echo): read -rs {ENV_VAR} && export {ENV_VAR} && {run}"
    )


def env_key_note(key: str) -> str | None:
    """Said when a key is stored while `PAYMENTS_API_KEY` holds another: the variable wins."""
    from console.credentials import ENV_VAR, env_key

    if env_key() in (None, key):
        return None
    return f"{ENV_VAR} is set: it is used instead of this key while it is"


def _checked(key: str, origin: str) -> str:
    from console import credentials

    try:
        return credentials.check_key_shape(key)
    except credentials.InvalidKeyError as exc:
        raise ConnectError(f"{origin}: {exc}") from None


def _key_origin(profile: Profile) -> str:
    from console import credentials

    if credentials.env_key():
        return credentials.ENV_VAR
    return f"the keyring's key for profile '{profile.name}'"


class Session:
    """The connection in use (none until a profile is connected), the journal and the
    clock; `operations()` sends through them."""

    def __init__(
        self,
        journal: Journal,
        *,
        clock: Clock = utc_now,
        client_factory: ClientFactory | None = None,
        connection: Connection | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.journal = journal
        self.clock = clock
        self.client_factory = client_factory or default_client_factory
        self.connection = connection
        self._chosen = profile

    @property
    def profile(self) -> Profile | None:
        """The connected profile, or the one chosen whose key is still missing."""
        return self.connection.profile if self.connection is not None else self._chosen

    @property
    def client(self) -> PaymentsClient | None:
        return self.connection.client if self.connection is not None else None

    def require_client(self) -> PaymentsClient:
        if self.connection is None:
            raise NotConnectedError
        return self.connection.client

    def operations(self) -> Operations:
        """Payments and refunds of the connected profile: `NotConnectedError` if none,
        `ReadOnlyProfileError` if it may not move money."""
        from console.operations import Operations
        from console.profile import require_writable

        client = self.require_client()
        assert self.connection is not None
        require_writable(self.connection.profile)
        return Operations(client, self.journal, self.connection.profile.name, self.clock)

    def connect(self, profile: Profile, key: str | None = None) -> Connection:
        """A connection for `profile` through this session's client factory (not used
        until `use`); blocking when `key` is None (the keyring)."""
        return connect(profile, key, client_factory=self.client_factory)

    async def use(self, connection: Connection) -> None:
        """Switch to `connection`, closing the previous client."""
        previous, self.connection, self._chosen = self.connection, connection, None
        if previous is not None and previous.client is not connection.client:
            await previous.client.aclose()

    async def aclose(self) -> None:
        if self.connection is not None:
            await self.connection.client.aclose()
            self.connection = None
