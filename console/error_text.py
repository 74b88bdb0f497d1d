"""The one place that turns an exception into what the merchant reads (UI-free, beside
`display.py`: the screens and the command line both show what it says).

`describe_error(exc)` returns `(title, message)`: plain sentences, never a
traceback, never an API key (the client keeps keys out of its messages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.money import AmountError
from console.session import NotConnectedError

if TYPE_CHECKING:
    from console import outcomes
    from console.api import errors

UNKNOWN_OUTCOME = (
    "The connection failed after the request may have reached the server, so it may "
    "have gone through. It is marked unknown in the journal: retry it from the home "
    "screen, which reuses its idempotency key and cannot charge twice."
)
STILL_UNKNOWN = (
    "The earlier attempt may have gone through, so it stays unknown in the journal. Send "
    "it again once the API answers (u on the home screen, or the same form): it reuses "
    "its idempotency key and cannot charge twice."
)


def _with_request_id(message: str, exc: errors.PaymentsError) -> str:
    return f"{message} (request {exc.request_id})" if exc.request_id else message


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(title, message) for any error a screen's worker can raise."""
    # Imported here, when an error is shown, so that the first frame never waits for
    # the HTTP client or the keyring to load.
    from pydantic import ValidationError

    from console.api import errors
    from console.api.models import describe
    from console.config import ConfigError
    from console.credentials import KeyringUnavailableError
    from console.outcomes import JournalWriteError, NotRetryableError, OperationFailed
    from console.profile import ReadOnlyProfileError
    from console.sandbox.background import SandboxFailed

    if isinstance(exc, OperationFailed):
        return _describe_operation(exc)
    if isinstance(exc, JournalWriteError):
        return "Journal unavailable", f"{exc}. Nothing was sent; it is safe to try again."
    if isinstance(exc, errors.APIConnectionError):
        if exc.may_have_reached_server:
            return "Outcome unknown", UNKNOWN_OUTCOME
        return "Cannot reach the API", f"{exc} Nothing was sent; it is safe to try again."
    if isinstance(exc, errors.CardError):
        details = [f"decline code {exc.decline_code}"] if exc.decline_code else []
        if exc.payment_id:
            details.append(f"declined payment {exc.payment_id}")
        return "Payment declined", f"{exc}" + (f"\n{' · '.join(details)}" if details else "")
    if isinstance(exc, errors.AuthenticationError):
        return (
            "API key not accepted",
            "The API rejected this profile's key. Set a new key in settings (s).",
        )
    if isinstance(exc, errors.ForbiddenError):
        return "Not allowed", _with_request_id(str(exc), exc)
    if isinstance(exc, errors.NotFoundError):
        return "Not found", str(exc)
    if isinstance(exc, errors.IdempotencyError):
        return "Idempotency conflict", _with_request_id(str(exc), exc)
    if isinstance(exc, errors.RateLimitError):
        wait = f" Try again in {exc.retry_after:g} s." if exc.retry_after else ""
        return "Too many requests", f"{exc}{wait}"
    if isinstance(exc, errors.InvalidRequestError):
        return "Request refused", _with_request_id(str(exc), exc)
    if isinstance(exc, errors.ResponseFormatError):
        return "Unexpected response", _with_request_id(str(exc), exc)
    if isinstance(exc, errors.APIError):
        return "Server error", _with_request_id(str(exc), exc)
    if isinstance(exc, errors.PaymentsError):
        return "API error", _with_request_id(str(exc), exc)
    if isinstance(exc, NotConnectedError):
        return "Not connected", str(exc)
    if isinstance(exc, NotRetryableError):
        return "Cannot retry", str(exc)
    if isinstance(exc, ReadOnlyProfileError):
        return "Read-only profile", str(exc)
    if isinstance(exc, SandboxFailed):
        return "Sandbox not started", str(exc)
    if isinstance(exc, KeyringUnavailableError):
        return "No keyring", str(exc)
    if isinstance(exc, ConfigError):
        return "Settings problem", str(exc)
    if isinstance(exc, ValidationError):
        return "Invalid input", describe(exc)
    if isinstance(exc, AmountError):
        return "Invalid amount", str(exc)
    if isinstance(exc, ValueError):  # refused before sending (a bad URL, a bad key shape)
        return "Invalid input", str(exc)
    return "Unexpected error", f"{type(exc).__name__}: {exc}"


def _describe_operation(failed: outcomes.OperationFailed) -> tuple[str, str]:
    """A payment or refund that did not succeed: its error, and what became of it."""
    title, message = describe_error(failed.cause)
    if failed.outcome == "unknown" and not getattr(failed.cause, "outcome_unknown", False):
        # Only an answer settles an attempt that may have gone through: this was none.
        title, message = "Outcome still unknown", f"{message.rstrip('.')}. {STILL_UNKNOWN}"
    elif failed.outcome == "unknown" and title != "Outcome unknown":
        message = f"{message.rstrip('.')}. {UNKNOWN_OUTCOME}"
    if failed.journal_error:
        message += f"\n{failed.journal_error}: it is settled the next time it is sent."
    return title, message
