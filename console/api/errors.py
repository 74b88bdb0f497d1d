"""Exceptions raised by PaymentsClient.

Every error is a `PaymentsError` whose `str()` is a plain sentence a merchant can read;
the machine-readable details (`http_status`, `code`, `request_id`, ...) are attributes.
No message ever contains the API key: the client scrubs anything the server echoes.

`outcome_unknown` is the one flag an operation journal needs: True when the request may
have taken effect on the server although no definitive answer came back (a dropped
connection after sending, a 5xx, an unreadable response). Retrying the same POST with the
same idempotency key is then always safe and settles it.
"""

from __future__ import annotations

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "CardError",
    "ForbiddenError",
    "IdempotencyError",
    "InvalidRequestError",
    "NotFoundError",
    "PaymentsError",
    "RateLimitError",
    "ResponseFormatError",
]


class PaymentsError(Exception):
    """Base of every error the client raises."""

    def __init__(
        self,
        message: str,
        http_status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        *,
        param: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.request_id = request_id
        self.param = param
        """The request field the server blamed, when it named one (e.g. "amount")."""
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self._repr_fields())
        return f"{type(self).__name__}({fields})"

    def _repr_fields(self) -> list[tuple[str, object]]:
        fields: list[tuple[str, object]] = [("message", self.message)]
        for name in ("http_status", "code", "request_id", "param"):
            value = getattr(self, name)
            if value is not None:
                fields.append((name, value))
        return fields


class InvalidRequestError(PaymentsError):
    """400: the server refused the request's content (see `param` and `code`)."""


class AuthenticationError(PaymentsError):
    """401: no key, an unknown or revoked key, or a key for the wrong mode."""


class CardError(PaymentsError):
    """402: the card was declined; the failed payment is stored as `payment_id`."""

    def __init__(
        self,
        message: str,
        http_status: int | None = 402,
        code: str | None = None,
        request_id: str | None = None,
        *,
        param: str | None = None,
        decline_code: str | None = None,
        payment_id: str | None = None,
    ) -> None:
        super().__init__(message, http_status, code, request_id, param=param)
        self.decline_code = decline_code
        self.payment_id = payment_id

    def _repr_fields(self) -> list[tuple[str, object]]:
        extra = [("decline_code", self.decline_code), ("payment_id", self.payment_id)]
        return super()._repr_fields() + [(k, v) for k, v in extra if v is not None]


class ForbiddenError(PaymentsError):
    """403: the key is valid but may not do this."""


class NotFoundError(PaymentsError):
    """404: no such payment or refund (or payment_id of a refund)."""


class IdempotencyError(PaymentsError):
    """400 `idempotency_error` (key reused with another body) or 409 (key still in use)."""


class RateLimitError(PaymentsError):
    """429: too many requests; `retry_after` is the server's advice in seconds, if any."""

    def __init__(
        self,
        message: str,
        http_status: int | None = 429,
        code: str | None = None,
        request_id: str | None = None,
        *,
        param: str | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(
            message, http_status, code, request_id, param=param, outcome_unknown=outcome_unknown
        )
        self.retry_after = retry_after

    def _repr_fields(self) -> list[tuple[str, object]]:
        fields = super()._repr_fields()
        if self.retry_after is not None:
            fields.append(("retry_after", self.retry_after))
        return fields


class APIError(PaymentsError):
    """5xx, or any status the API does not document; the outcome of a POST is unknown."""


class APIConnectionError(PaymentsError):
    """No usable answer: the network failed or the server took too long.

    `may_have_reached_server` is False only when no attempt of the request can have been
    processed: each one failed before sending (refused connection, DNS failure, connect
    timeout, TLS failure). True after a read timeout, a connection lost after sending, or
    when an earlier attempt was lost that way: a POST may then have taken effect.
    """

    def __init__(
        self,
        message: str,
        *,
        may_have_reached_server: bool,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, None, None, request_id, outcome_unknown=may_have_reached_server)
        self.may_have_reached_server = may_have_reached_server

    def _repr_fields(self) -> list[tuple[str, object]]:
        return [*super()._repr_fields(), ("may_have_reached_server", self.may_have_reached_server)]


class ResponseFormatError(PaymentsError):
    """The server answered something unreadable.

    Not JSON, an HTML error page (from a proxy, say), JSON of the wrong shape, a body cut
    off before its end, or a body over the client's size limit. The server did receive the
    request, so `outcome_unknown` is True unless the status was a definitive 4xx.
    """
