"""The sandbox's one error type and the codes it answers with (see tests/CONTRACTS)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: HTTP status plus the body `{"error", "code", "param", ...}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, request_id: str) -> dict[str, Any]:
        return {
            "error": self.message,
            "code": self.code,
            "param": self.param,
            "request_id": request_id,
            **self.extra,
        }


def payment_not_found(param: str) -> ApiError:
    return ApiError(404, "resource_missing", "Payment not found", param)


def refund_not_found() -> ApiError:
    return ApiError(404, "resource_missing", "Refund not found", "id")


def invalid_refund_amount() -> ApiError:
    return ApiError(400, "amount_invalid", "Invalid refund amount", "amount")
