"""The wire contract and the one door to the Payment Processing API (no Textual here).

Names load on first use, so importing the models does not import httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.api.client import PaymentsClient
    from console.api.errors import (
        APIConnectionError,
        APIError,
        AuthenticationError,
        CardError,
        ForbiddenError,
        IdempotencyError,
        InvalidRequestError,
        NotFoundError,
        PaymentsError,
        RateLimitError,
        ResponseFormatError,
    )
    from console.wire.models import ErrorBody, Payment, PaymentCreate, Refund, RefundCreate

_HOMES = {
    "PaymentsClient": "client",
    "ErrorBody": "models",
    "Payment": "models",
    "PaymentCreate": "models",
    "Refund": "models",
    "RefundCreate": "models",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "CardError",
    "ErrorBody",
    "ForbiddenError",
    "IdempotencyError",
    "InvalidRequestError",
    "NotFoundError",
    "Payment",
    "PaymentCreate",
    "PaymentsClient",
    "PaymentsError",
    "RateLimitError",
    "Refund",
    "RefundCreate",
    "ResponseFormatError",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'console.api' has no attribute {name!r}")
    module = importlib.import_module(f"console.api.{_HOMES.get(name, 'errors')}")
    return getattr(module, name)
