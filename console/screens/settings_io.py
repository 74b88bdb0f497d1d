"""What the settings screen's actions do to the OS keyring, the settings file and the API,
without drawing anything (no Textual here), and what each did, in the merchant's words.

Each step runs its blocking parts (the keyring, the file, the journal) in a thread and
raises what went wrong; the screen's workers await them, then show the outcome. Keys go
through `console.session` (stored, moved, removed, looked up); without a usable keyring a
profile is still saved or deleted, and the outcome says what became of its key.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, replace

from console import credentials, session
from console.api.errors import AuthenticationError
from console.config import Profile, Settings, save_settings, saving_settings
from console.context import ConsoleContext


class CannotUseError(Exception):
    """The profile has no key this run can read; the message says what to do."""


class RenameRefusedError(ValueError):
    """The profile keeps its name; the message says why (shown under the name field)."""


async def stored_key(profile: Profile, typed: str = "") -> str | None:
    """The key typed in the form, else the profile's stored key (None: it has none).

    Raises `KeyringUnavailableError` when there is no usable keyring to look in (and
    `PAYMENTS_API_KEY` is not set)."""
    return typed or await asyncio.to_thread(_stored_or_none, profile)


def _stored_or_none(profile: Profile) -> str | None:
    try:
        return session.stored_key(profile)
    except session.MissingKeyError:
        return None


def where_the_key_goes() -> str:
    """What the first run says of the key it is given (blocking: the keyring is asked)."""
    try:
        credentials.ensure_available()
        kept = "kept in the OS keyring, never in a file"
    except credentials.KeyringUnavailableError:
        kept = "no usable OS keyring: used for this run only, never stored"
    env = credentials.env_key()
    if env is None:
        return kept
    return f"{credentials.ENV_VAR} ({credentials.mask(env)}) is used if none is typed"


def opening_note(settings: Settings, current: Profile | None) -> str | None:
    """What the screen says first: the profile in use when it is not saved, and which
    profile will be the default when none is saved yet."""
    said = []
    if current is not None and current.name not in settings.profiles:
        said.append(f"In use now: profile '{current.name}' (this run only, not saved).")
    elif not settings.profiles:
        said.append("No profile saved yet.")
    if not settings.profiles:
        said.append("The first profile you save becomes the default: the console opens on it.")
    return " ".join(said) or None


def delete_question(settings: Settings, name: str, *, keyring_usable: bool) -> str:
    """The question before deleting profile `name`: what becomes of its key and of the
    default."""
    said = [f"Delete profile '{name}'?"]
    if keyring_usable:
        said.append("Its API key is removed from the OS keyring too.")
    else:
        said.append("Its key, if it has one, cannot be removed: there is no usable OS keyring.")
    if settings.default_profile == name:
        said.append(_default_sentence(settings.without_profile(name).default_profile, future=True))
    return " ".join(said)


def _default_sentence(default: str | None, *, future: bool = False) -> str:
    if default is None:
        return "No profile will be the default." if future else "No profile is the default now."
    return f"'{default}' {'becomes' if future else 'is now'} the default profile."


# --- saving ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """What saving a profile did."""

    profile: Profile
    key: str
    """The key typed ('' when none was)."""
    keyring_problem: str | None = None
    """Why the typed key (or a renamed profile's key) could not be stored."""
    old_name: str | None = None
    """The profile's name before a rename."""
    became_default: bool = False
    in_use: bool = False
    """It is the profile this session uses."""
    reconnect_key: str | None = None
    """The key to connect it again with (None: the session stays as it is)."""

    def describe(self) -> str:
        """What was saved and where the key went; a command to run next comes last."""
        profile, key = self.profile, self.key
        parts = [f"Saved profile '{profile.name}' ({profile.mode}, {profile.base_url})."]
        if self.old_name is not None:
            parts[0] = f"Renamed profile '{self.old_name}' to '{profile.name}' and saved it."
        if self.became_default:
            parts.append(f"It is the default profile now: the console opens on '{profile.name}'.")
        next_step = None
        if self.keyring_problem is not None:
            kept = "was not stored" if key else "(if it has one) was not moved"
            parts.append(f"Its key {kept}: no usable OS keyring ({self.keyring_problem}).")
            next_step = session.next_step_with_env_key(profile.name, key or None)
        elif key:
            parts.append(f"Key {credentials.mask(key)} stored in the OS keyring.")
            note = session.env_key_note(key)
            parts.extend([f"{note}."] if note else [])
        elif credentials.env_key():
            next_step = session.next_step_with_env_key(profile.name)
        warning = key and credentials.mode_warning(key, profile.mode, profile.name)
        if warning:
            parts.append(f"Warning: {warning}.")
        if self.reconnect_key:
            parts.append("This session now uses it.")
        elif self.in_use and self.old_name is not None:
            parts.append(f"This session stays on '{self.old_name}' until you switch profile.")
        return " ".join([*parts, *([next_step] if next_step else [])])


async def save_profile(
    ctx: ConsoleContext, profile: Profile, key: str, *, old_name: str | None = None
) -> Saved:
    """Save `profile` (renamed from `old_name`, if given) and store `key` if one was typed;
    without a usable keyring the profile is saved all the same, and `Saved` says so."""
    if old_name == profile.name:
        old_name = None
    if old_name is not None:
        await asyncio.to_thread(_check_renamable, ctx, old_name)
    settings = _with_profile(ctx.settings, profile, old_name)
    problem = await asyncio.to_thread(_write, settings, ctx, profile, key, old_name)
    was_default = ctx.settings.default_profile in {profile.name, old_name} - {None}
    ctx.settings = settings
    saved = Saved(
        profile,
        key,
        keyring_problem=problem,
        old_name=old_name,
        became_default=settings.default_profile == profile.name and not was_default,
    )
    current = ctx.profile
    if current is None or current.name not in (profile.name, old_name):
        return saved
    reconnect = None
    if key or old_name or current != profile:
        # No keyring: the session keeps its connection; `Saved` says what to run next.
        with suppress(credentials.KeyringUnavailableError):
            reconnect = await stored_key(profile, key)
    return replace(saved, in_use=True, reconnect_key=reconnect)


def _check_renamable(ctx: ConsoleContext, old_name: str) -> None:
    if ctx.journal.recent(1, profile=old_name):
        raise RenameRefusedError(
            f"'{old_name}' keeps its name: the journal files its payments and refunds "
            "under it (History, retries). Add a new profile instead (ctrl+n)"
        )


def _with_profile(settings: Settings, profile: Profile, old_name: str | None) -> Settings:
    """`settings` with `profile` saved (in `old_name`'s place, the default following it)."""
    if old_name is None:
        return settings.with_profile(profile)
    profiles = {
        (profile.name if name == old_name else name): (profile if name == old_name else saved)
        for name, saved in settings.profiles.items()
    }
    default = settings.default_profile
    return settings.model_copy(
        update={
            "profiles": profiles,
            "default_profile": profile.name if default in (old_name, None) else default,
        }
    )


def _write(
    settings: Settings, ctx: ConsoleContext, profile: Profile, key: str, old_name: str | None
) -> str | None:
    """The settings written, the key stored or moved once they are; why the keyring
    could not take it (None: it did, or there was nothing to store)."""
    with saving_settings(settings, ctx.config_path):
        try:
            if key:
                session.save_key(profile, key)
            if old_name is not None and key:
                session.remove_key(old_name)
            elif old_name is not None:
                session.move_key(old_name, profile.name)
        except credentials.KeyringUnavailableError as exc:
            return exc.reason
    return None


# --- switching ------------------------------------------------------------------------


async def make_default(ctx: ConsoleContext, profile: Profile) -> str:
    """Make `profile` the default; its stored key, to switch to it with.

    Raises `CannotUseError` when it has no key this run can read."""
    try:
        key = await stored_key(profile)
    except credentials.KeyringUnavailableError as exc:
        raise CannotUseError(
            f"There is no usable OS keyring to read its key from ({exc.reason}). "
            + session.next_step_with_env_key(profile.name)
        ) from None
    if key is None:
        raise CannotUseError(
            f"Profile '{profile.name}' has no API key yet: paste one under New key, "
            "save (ctrl+s), then Use (ctrl+o)."
        )
    settings = ctx.settings.model_copy(update={"default_profile": profile.name})
    await asyncio.to_thread(save_settings, settings, ctx.config_path)
    ctx.settings = settings
    return key


def describe_switch(profile: Profile, key: str) -> str:
    """What Use did: the profile in use and the default, and where its key came from."""
    which = f"Now using profile '{profile.name}' ({profile.mode})"
    if credentials.env_key() == key:
        which += f" with the key in {credentials.ENV_VAR} ({credentials.mask(key)})"
    return f"{which}; it is the default."


async def key_to_test(profile: Profile, typed: str) -> str:
    """The key typed, else the stored one; `InvalidKeyError` saying why there is none."""
    try:
        key = await stored_key(profile, typed)
    except credentials.KeyringUnavailableError as exc:
        raise credentials.InvalidKeyError(
            f"No key to test: no usable OS keyring to read it from ({exc.reason}); "
            "paste one under New key"
        ) from None
    if key is None:
        raise credentials.InvalidKeyError(
            f"No key to test: profile '{profile.name}' has none; paste one under New key"
        )
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


# --- deleting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Deleted:
    """What deleting a profile did."""

    name: str
    key_removed: bool
    keyring_problem: str | None
    default_moved: bool
    default: str | None
    in_use: bool

    def describe(self) -> str:
        if self.keyring_problem is not None:
            parts = [
                f"Deleted profile '{self.name}'. Its key, if it had one, could not be removed: "
                f"no usable OS keyring ({self.keyring_problem})."
            ]
        elif self.key_removed:
            parts = [f"Deleted profile '{self.name}' and its key."]
        else:
            parts = [f"Deleted profile '{self.name}' (it had no key in the OS keyring)."]
        if self.default_moved:
            parts.append(_default_sentence(self.default))
        if self.in_use:
            parts.append("This session stays connected until you switch profile.")
        return " ".join(parts)


async def delete_profile(ctx: ConsoleContext, name: str) -> Deleted:
    """Delete profile `name` from the settings file, then its key from the keyring (a
    keyring that cannot be used leaves the profile deleted, and `Deleted` says so)."""
    settings = ctx.settings.without_profile(name)
    await asyncio.to_thread(save_settings, settings, ctx.config_path)
    default_moved = ctx.settings.default_profile == name
    ctx.settings = settings
    removed, problem = False, None
    try:
        removed = await asyncio.to_thread(session.remove_key, name)
    except credentials.KeyringUnavailableError as exc:
        problem = exc.reason
    current = ctx.profile
    return Deleted(
        name,
        key_removed=removed,
        keyring_problem=problem,
        default_moved=default_moved,
        default=settings.default_profile,
        in_use=current is not None and current.name == name,
    )


async def remove_key(name: str) -> str:
    """Remove profile `name`'s key from the keyring; what was done, in a sentence."""
    try:
        removed = await asyncio.to_thread(session.remove_key, name)
    except credentials.KeyringUnavailableError as exc:
        return f"Nothing removed: there is no usable OS keyring ({exc.reason})."
    if removed:
        return f"Removed the key of profile '{name}' from the OS keyring."
    return f"Profile '{name}' had no key in the OS keyring."


async def save_theme(ctx: ConsoleContext, theme: str) -> None:
    settings = ctx.settings.model_copy(update={"theme": theme})
    await asyncio.to_thread(save_settings, settings, ctx.config_path)
    ctx.settings = settings
