"""Test payment tokens: which succeed, and which decline with which decline_code."""

from __future__ import annotations

SUCCEEDING = ("tok_visa", "tok_mastercard", "tok_amex")

DECLINE_CODES = {
    "tok_chargeDeclined": "generic_decline",
    "tok_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "tok_chargeDeclinedExpiredCard": "expired_card",
    "tok_chargeDeclinedProcessingError": "processing_error",
}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "processing_error": "An error occurred while processing your card. Try again later.",
}

ALL_TOKENS = (*SUCCEEDING, *DECLINE_CODES)
