"""What several commands share: settings, the profile's key, a client, running a request."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from console import money
from console.api.models import describe
from console.cli import EXIT_API, EXIT_CONNECTION, EXIT_INTERRUPTED, PROG, Failure, warn
from console.config import Profile, Settings, load_settings

if TYPE_CHECKING:
    from console.api.client import PaymentsClient


def settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def profile_and_key(args: argparse.Namespace) -> tuple[Profile, str]:
    """The chosen profile and its API key; a missing key or keyring is a `Failure`."""
    from console import credentials

    profile = settings(args).get_profile(args.profile)
    try:
        key = credentials.get_key(profile.name)
    except credentials.KeyringUnavailableError as exc:
        raise Failure(str(exc)) from None
    if key is None:
        raise Failure(
            f"No API key for profile '{profile.name}': run "
            f"'{PROG} login --profile {profile.name}' or set PAYMENTS_API_KEY"
        )
    key = checked_key(profile, key)
    warning = credentials.mode_warning(key, profile.mode, profile.name)
    if warning:
        warn(warning)
    return profile, key


def checked_key(profile: Profile, key: str) -> str:
    """The key when it has a key's shape; else a `Failure` naming where it came from
    (never the key itself)."""
    from console import credentials

    try:
        return credentials.check_key_shape(key)
    except credentials.InvalidKeyError as exc:
        where = (
            f"{credentials.ENV_VAR}"
            if credentials.env_key()
            else f"the keyring's key for profile '{profile.name}'"
        )
        raise Failure(f"{where}: {exc}") from None


def client(profile: Profile, key: str) -> PaymentsClient:
    from console.api.client import PaymentsClient

    try:
        return PaymentsClient(profile.base_url, key, timeout=profile.timeout)
    except ValueError as exc:  # refused before anything is sent; never names the key
        raise Failure(f"Profile '{profile.name}': {exc}") from None


def amount(text: str, currency: str) -> Decimal:
    try:
        return money.parse_amount(text, currency)
    except money.AmountError as exc:
        raise Failure(f"--amount: {exc}") from None


def run(coroutine: Coroutine[Any, Any, int], idempotency_key: str | None = None) -> int:
    """Run an API coroutine, turning client errors into exit codes and one line.

    When a POST's outcome is unknown, the message names its idempotency key, with which
    retrying cannot apply it twice.
    """
    from console.api.errors import APIConnectionError, CardError, PaymentsError

    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        if idempotency_key is None:
            raise
        raise Failure(
            "Interrupted: the request may have been sent "
            f"(retry with --idempotency-key {idempotency_key})",
            EXIT_INTERRUPTED,
        ) from None
    except PaymentsError as exc:
        message = str(exc)
        if isinstance(exc, CardError):
            details = [f"decline code {exc.decline_code}"] if exc.decline_code else []
            details += [f"payment {exc.payment_id}"] if exc.payment_id else []
            message += f" ({', '.join(details)})" if details else ""
        if exc.outcome_unknown and idempotency_key is not None:
            message += f" (retry with --idempotency-key {idempotency_key})"
        code = EXIT_CONNECTION if isinstance(exc, APIConnectionError) else EXIT_API
        raise Failure(message, code) from None
    except ValidationError as exc:
        raise Failure(describe(exc)) from None
    except ValueError as exc:  # the client refused an argument before sending anything
        raise Failure(str(exc)) from None
