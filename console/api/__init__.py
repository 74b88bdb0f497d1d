"""The wire contract and the one door to the Payment Processing API (no Textual here)."""

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
from console.api.models import ErrorBody, Payment, PaymentCreate, Refund, RefundCreate

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
