"""Who gets in: a test API key as a Bearer token, within the rate limit, past the
injected failures (`--rate-limit`, `--fail-rate`, `--latency`)."""

from __future__ import annotations

import hashlib

import anyio
from starlette.requests import Request

from console.sandbox.errors import ApiError
from console.sandbox.faults import FaultInjector

LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_", "pk_live_")


class Admission:
    """Checks the API key and the injected faults before a request does anything."""

    def __init__(self, api_keys: list[str], faults: FaultInjector) -> None:
        self.faults = faults
        # Rate windows are per API key, keyed by a hash, never by the key. Idempotency keys
        # belong to the account (`Store.account`), which every one of these keys opens.
        self.scopes = {key: hashlib.sha256(key.encode()).hexdigest()[:32] for key in api_keys}

    def admit(self, request: Request) -> str:
        """Check the API key and the injected faults; the key's rate scope on success."""
        header = request.headers.get("authorization")
        if not header:
            raise _unauthorized(
                "invalid_api_key",
                "No API key provided. Send it as 'Authorization: Bearer sk_test_...'.",
            )
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise _unauthorized(
                "invalid_api_key", "Send the API key as 'Authorization: Bearer sk_test_...'."
            )
        if key.startswith(LIVE_KEY_PREFIXES):
            raise _unauthorized(
                "livemode_key",
                "This is a sandbox: it only accepts test keys (sk_test_...), never a live key.",
            )
        scope = self.scopes.get(key)
        if scope is None:
            raise _unauthorized("invalid_api_key", f"Invalid API key provided: {_mask(key)}")
        retry_after = self.faults.retry_after(scope)
        if retry_after is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests: this sandbox allows {self.faults.faults.rate_limit}"
                f" per second per API key. Retry after {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )
        if self.faults.should_fail():
            raise ApiError(
                500,
                "api_error",
                "Simulated server error (fault injection): nothing was done. Retry the request.",
            )
        return scope

    async def delay(self) -> None:
        """The injected latency, after admission and before the work."""
        if self.faults.latency_seconds:
            await anyio.sleep(self.faults.latency_seconds)


def _mask(key: str) -> str:
    """Enough of an unknown key to recognise it, never enough to use it."""
    return f"…{key[-4:]}" if len(key) >= 16 else "…"


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})
