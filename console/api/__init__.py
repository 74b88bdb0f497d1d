"""The wire contract and the one door to the Payment Processing API (no Textual here)."""

from console.api.models import ErrorBody, Payment, PaymentCreate, Refund, RefundCreate

__all__ = ["ErrorBody", "Payment", "PaymentCreate", "Refund", "RefundCreate"]
