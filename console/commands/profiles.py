"""`login`, `logout` and `status`: profiles and their API keys in the OS keyring."""

from __future__ import annotations

import argparse
import getpass
import sys

from pydantic import ValidationError

from console import credentials
from console.api.models import describe
from console.commands import common
from console.commands.exits import EXIT_API, EXIT_OK, PROG, Failure, warn
from console.config import Mode, Profile, check_base_url, default_config_path, saving_settings
from console.hosts import is_loopback


def login(args: argparse.Namespace) -> int:
    from console import session
    from console.api.errors import AuthenticationError

    settings = common.settings(args)
    try:
        credentials.ensure_available()
        no_keyring: credentials.KeyringUnavailableError | None = None
    except credentials.KeyringUnavailableError as exc:
        no_keyring = exc  # the profile is still saved; the key goes in PAYMENTS_API_KEY
    name = args.profile or settings.default_profile
    if name is None:
        name = next(iter(settings.profiles)) if len(settings.profiles) == 1 else "default"
    existing = settings.profiles.get(name)
    if args.base_url is None and existing is None:
        raise Failure(f"--base-url is required for the new profile '{name}'")
    try:
        base_url = check_base_url(args.base_url) if args.base_url else None
    except ValueError as exc:
        raise Failure(f"--base-url: {exc}") from None
    try:
        key = credentials.check_key_shape(_read_key(name))
    except credentials.InvalidKeyError as exc:
        raise Failure(str(exc)) from None
    mode: Mode = args.mode or _login_mode(existing, base_url, key)
    try:
        profile = Profile(
            **{
                **(existing.model_dump() if existing else {}),
                "name": name,
                "base_url": base_url or (existing.base_url if existing else ""),
                "mode": mode,
                **({} if args.read_only is None else {"read_only": args.read_only}),
            }
        )
    except ValidationError as exc:
        raise Failure(describe(exc)) from None

    try:
        connection = session.connect(profile, key)
    except session.ConnectError as exc:
        raise Failure(str(exc)) from None

    async def check() -> int:
        async with connection.client:
            try:
                await session.verify(connection)
            except AuthenticationError as exc:
                raise Failure(f"The API rejected this key: {exc}", EXIT_API) from None
        return EXIT_OK

    common.run(check())
    if connection.key_warning:
        warn(connection.key_warning)
    # The settings are written (beside the old file) before the key is stored, and
    # replace the old file only once it is: a full disk or an unwritable settings dir
    # stores no key, and a keyring failure leaves the settings as they were.
    with saving_settings(settings.with_profile(profile), args.config) as path:
        if no_keyring is None:
            try:
                session.save_key(profile, key)
            except credentials.KeyringUnavailableError as exc:
                raise Failure(str(exc)) from None
    read_only = ", read-only" if profile.read_only else ""
    where = f"profile '{profile.name}' ({profile.mode} mode{read_only}, {profile.base_url})"
    if no_keyring is None:
        print(
            f"Logged in: {where}; key {credentials.mask(key)} stored in the OS keyring; "
            f"settings in {path}"
        )
        note = session.env_key_note(key)
        if note:
            warn(note)
        return EXIT_OK
    reason = no_keyring.reason
    print(f"Saved {where} in {path}; the key was not stored: no usable OS keyring ({reason})")
    print(session.next_step_with_env_key(profile.name, key))
    return EXIT_OK


def _read_key(name: str) -> str:
    """The key typed (without echo) or piped on stdin; nothing typed, PAYMENTS_API_KEY."""
    env = credentials.env_key()
    hint = f" (Enter: the one in {credentials.ENV_VAR})" if env else ""
    if sys.stdin is not None and sys.stdin.isatty():
        typed = getpass.getpass(f"API key for profile '{name}'{hint}: ")
    else:
        typed = sys.stdin.readline() if sys.stdin is not None else ""
    return typed if typed.strip() or env is None else env


def _login_mode(existing: Profile | None, base_url: str | None, key: str) -> Mode:
    """Keep the profile's mode; else infer it (a test key on a loopback URL is a sandbox)."""
    if existing is not None and base_url in (None, existing.base_url):
        return existing.mode
    inferred = credentials.infer_mode(key)
    host = (base_url or "").split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if inferred != "live" and is_loopback(host):
        return "sandbox"
    return inferred or "test"


def logout(args: argparse.Namespace) -> int:
    from console import session

    settings = common.settings(args)
    name = args.profile or settings.default_profile
    if name is None:
        name = settings.get_profile(None).name
    try:
        deleted = session.remove_key(name)
    except credentials.KeyringUnavailableError as exc:
        raise Failure(str(exc)) from None
    if deleted:
        print(f"Removed the API key of profile '{name}' from the OS keyring")
    elif name not in settings.profiles:
        settings.get_profile(name)  # raises: unknown profile, with the known ones
    else:
        print(f"Profile '{name}' had no API key in the OS keyring")
    if credentials.env_key():
        warn("PAYMENTS_API_KEY is still set in this environment")
    return EXIT_OK


def status(args: argparse.Namespace) -> int:
    path = args.config or default_config_path()
    settings = common.settings(args)
    print(f"Settings: {path}")
    if not settings.profiles:
        print(f"No profiles yet: run '{PROG} login --base-url URL' or '{PROG} --sandbox'")
        return EXIT_OK
    profiles = settings.profiles
    if args.profile is not None:
        profiles = {args.profile: settings.get_profile(args.profile)}
    width = max(len(name) for name in profiles)
    keyring_problem: str | None = None
    for name, profile in profiles.items():
        marker = "*" if name == settings.default_profile else " "
        try:
            key = credentials.get_key(name)
            source = credentials.key_source(name)
        except credentials.KeyringUnavailableError as exc:
            key, source, keyring_problem = None, None, str(exc)
        if key is None:
            shown = "keyring unavailable" if keyring_problem else "no key (run login)"
        else:
            origin = "PAYMENTS_API_KEY" if source == "env" else "keyring"
            shown = f"{credentials.mask(key)} ({origin})"
        read_only = "  read-only" if profile.read_only else ""
        print(
            f"{marker} {name:<{width}}  {profile.mode:<7}  {profile.base_url}  {shown}{read_only}"
        )
        warning = key and credentials.mode_warning(key, profile.mode, name)
        if warning:
            warn(warning)
    if keyring_problem:
        warn(keyring_problem)
    return EXIT_OK
