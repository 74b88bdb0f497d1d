"""What the settings screen's actions do to the OS keyring, the settings file and the API,
without drawing anything (no Textual here).

Each step runs its blocking parts (the keyring, the file) in a thread and raises what
went wrong; the screen's workers await them, then show the outcome.
"""

from __future__ import annotations

import asyncio

from console import credentials, session
from console.api.errors import AuthenticationError
from console.config import Profile, save_settings
from console.context import ConsoleContext


async def stored_key(profile: Profile, typed: str = "") -> str | None:
    """The key typed in the form, else the profile's stored key (None: it has none)."""
    return typed or await asyncio.to_thread(_stored_or_none, profile)


def _stored_or_none(profile: Profile) -> str | None:
    try:
        return session.stored_key(profile)
    except session.MissingKeyError:
        return None


async def save_profile(ctx: ConsoleContext, profile: Profile, key: str) -> str | None:
    """Store `key` (if one was typed) and save `profile`; the key to connect it again with
    when it is the profile in use and it changed (None: nothing to reconnect)."""
    if key:
        await asyncio.to_thread(session.save_key, profile, key)
    settings = ctx.settings.with_profile(profile)
    await asyncio.to_thread(save_settings, settings, ctx.config_path)
    ctx.settings = settings
    current = ctx.profile
    if current is not None and current.name == profile.name and (key or current != profile):
        return await stored_key(profile, key)
    return None


async def make_default(ctx: ConsoleContext, profile: Profile) -> str:
    """Make `profile` the default; its stored key, to switch to it with."""
    key = await stored_key(profile)
    if key is None:
        raise credentials.InvalidKeyError(
            f"Profile '{profile.name}' has no API key yet: paste one under New key "
            "and save (ctrl+s)"
        )
    settings = ctx.settings.model_copy(update={"default_profile": profile.name})
    await asyncio.to_thread(save_settings, settings, ctx.config_path)
    ctx.settings = settings
    return key


async def key_accepted(ctx: ConsoleContext, profile: Profile, key: str) -> bool:
    """`session.verify` at `profile`'s base URL: False when the API refuses `key`."""
    connection = ctx.session.connect(profile, key)
    try:
        await session.verify(connection)
    except AuthenticationError:
        return False
    finally:
        await connection.client.aclose()
    return True


async def delete_profile(ctx: ConsoleContext, name: str) -> None:
    """Delete profile `name` from the settings file, then its key from the keyring."""
    settings = ctx.settings.without_profile(name)
    await asyncio.to_thread(save_settings, settings, ctx.config_path)
    ctx.settings = settings
    await asyncio.to_thread(session.remove_key, name)


async def save_theme(ctx: ConsoleContext, theme: str) -> None:
    settings = ctx.settings.model_copy(update={"theme": theme})
    await asyncio.to_thread(save_settings, settings, ctx.config_path)
    ctx.settings = settings
