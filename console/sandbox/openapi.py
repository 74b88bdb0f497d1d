"""The OpenAPI description of the sandbox: hand-written schemas that match the wire exactly.

Bodies are read raw (amounts must never pass through float), so FastAPI cannot derive
the request and response schemas; they are written here and attached to the routes.
"""

from __future__ import annotations

from typing import Any

from console import money
from console.sandbox import tokens
from console.sandbox.body import MAX_BODY_BYTES
from console.sandbox.fields import MAX_DESCRIPTION_LENGTH
from console.wire.idempotency import MAX_KEY_LENGTH

ERROR_CODES = (
    "parameter_invalid",
    "parameter_missing",
    "amount_invalid",
    "charge_already_refunded",
    "payment_failed",
    "resource_missing",
    "card_declined",
    "invalid_api_key",
    "livemode_key",
    "idempotency_error",
    "idempotency_key_in_use",
    "rate_limited",
    "api_error",
    "method_not_allowed",
    "unsupported_media_type",
    "request_too_large",
    "request_timeout",
    "request_invalid",
)


MAX_AMOUNT = 10**money.MAX_INTEGER_DIGITS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_AMOUNT_TEXT = (
    "A JSON number, exact: never more decimals than the currency allows (USD 2, JPY 0,"
    " KWD 3). Responses always carry exactly the currency's decimals."
)

SCHEMAS: dict[str, Any] = {
    "PaymentCreate": {
        "type": "object",
        "required": ["amount", "currency", "source"],
        "additionalProperties": False,
        "properties": {
            "amount": {
                "type": "number",
                "exclusiveMinimum": 0,
                "exclusiveMaximum": MAX_AMOUNT,
                "description": _AMOUNT_TEXT,
            },
            "currency": {
                "type": "string",
                "enum": list(money.currency_codes()),
                "description": "ISO 4217 code of a currency with a minor unit;"
                " lower case is accepted too.",
            },
            "source": {
                "type": "string",
                "enum": list(tokens.ALL_TOKENS),
                "description": "A test payment token; tok_chargeDeclined* tokens decline.",
            },
            "description": {
                "type": ["string", "null"],
                "maxLength": MAX_DESCRIPTION_LENGTH,
                "description": f"At most {MAX_DESCRIPTION_LENGTH:,} characters.",
            },
        },
    },
    "RefundCreate": {
        "type": "object",
        "required": ["payment_id"],
        "additionalProperties": False,
        "properties": {
            "payment_id": {"type": "string", "minLength": 1},
            "amount": {
                "type": ["number", "null"],
                "exclusiveMinimum": 0,
                "description": "Omitted: the whole remaining amount. " + _AMOUNT_TEXT,
            },
        },
    },
    "Payment": {
        "type": "object",
        "required": [
            "id",
            "amount",
            "currency",
            "status",
            "created_at",
            "description",
            "amount_refunded",
            "refunded",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "example": "pay_3f9c0d1e2a4b5c6d7e8f9a0b"},
            "amount": {"type": "number", "exclusiveMinimum": 0, "description": _AMOUNT_TEXT},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "status": {"type": "string", "enum": ["succeeded", "failed"]},
            "created_at": {"type": "string", "format": "date-time"},
            "description": {"type": ["string", "null"]},
            "amount_refunded": {"type": "number", "minimum": 0},
            "refunded": {"type": "boolean", "description": "True once fully refunded."},
        },
    },
    "Refund": {
        "type": "object",
        "required": ["id", "payment_id", "amount", "currency", "status", "created_at"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "example": "refund_0a1b2c3d4e5f6a7b8c9d0e1f"},
            "payment_id": {"type": "string"},
            "amount": {"type": "number", "exclusiveMinimum": 0, "description": _AMOUNT_TEXT},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "status": {"type": "string", "enum": ["succeeded"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "code", "param", "request_id"],
        "additionalProperties": False,
        "properties": {
            "error": {"type": "string", "description": "A sentence for people."},
            "code": {"type": "string", "enum": list(ERROR_CODES)},
            "param": {"type": ["string", "null"], "description": "The parameter at fault."},
            "request_id": {"type": "string", "description": "Same as the Request-Id header."},
        },
    },
    "CardDeclinedError": {
        "type": "object",
        "required": ["error", "code", "param", "request_id", "decline_code", "payment_id"],
        "additionalProperties": False,
        "properties": {
            "error": {"type": "string"},
            "code": {"type": "string", "enum": ["card_declined"]},
            "param": {"type": ["string", "null"]},
            "request_id": {"type": "string"},
            "decline_code": {"type": "string", "enum": sorted(set(tokens.DECLINE_CODES.values()))},
            "payment_id": {
                "type": "string",
                "description": "The stored payment, whose status is failed.",
            },
        },
    },
}

_REQUEST_ID = {
    "description": "Identifies this request; error bodies carry the same value.",
    "required": True,
    "schema": {"type": "string"},
}
_REPLAYED = {
    "description": "true when this is the stored answer to an earlier request with the same"
    " Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}


def _answer(
    description: str,
    schema: str,
    *,
    replayable: bool = False,
    headers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    all_headers: dict[str, Any] = {"Request-Id": _REQUEST_ID, **(headers or {})}
    if replayable:
        all_headers["Idempotent-Replayed"] = _REPLAYED
    return {
        "description": description,
        "headers": all_headers,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


_COMMON: dict[int | str, dict[str, Any]] = {
    401: _answer("No API key, an unknown key, or a live key.", "Error"),
    429: _answer(
        "Rate limited (only with --rate-limit).",
        "Error",
        headers={
            "Retry-After": {
                "description": "Seconds to wait.",
                "required": True,
                "schema": {"type": "integer"},
            }
        },
    ),
    500: _answer("Server error (--fail-rate): nothing was done; retry.", "Error"),
}

_POST_ONLY: dict[int | str, dict[str, Any]] = {
    409: _answer("A request with the same Idempotency-Key is still being processed.", "Error"),
    408: _answer(
        "The body did not arrive within 10 s of the head (code request_timeout); the"
        " connection is closed.",
        "Error",
    ),
    413: _answer(
        f"The body is larger than {MAX_BODY_BYTES:,} bytes (code request_too_large).", "Error"
    ),
    415: _answer(
        "A Content-Type that is not JSON (code unsupported_media_type, param Content-Type):"
        " send application/json, or no Content-Type.",
        "Error",
    ),
}


def _link(operation: str, **target: dict[str, str]) -> dict[str, Any]:
    """An OpenAPI link feeding the new object's id to another operation."""
    return {"operationId": operation, **target}


_NEW_ID = "$response.body#/id"

CREATE_PAYMENT: dict[int | str, dict[str, Any]] = {
    201: {
        **_answer("The payment was created and committed.", "Payment", replayable=True),
        "links": {
            "GetPayment": _link("get_payment", parameters={"payment_id": _NEW_ID}),
            "RefundPayment": _link("create_refund", requestBody={"payment_id": _NEW_ID}),
        },
    },
    400: _answer(
        "Invalid parameters or two Idempotency-Key headers (not stored under the key), or"
        " the key was reused with a different body or first used on another endpoint"
        " (code idempotency_error).",
        "Error",
    ),
    402: _answer(
        "The card was declined; the payment is stored with status failed.",
        "CardDeclinedError",
        replayable=True,
    ),
    **_POST_ONLY,
    **_COMMON,
}

GET_PAYMENT: dict[int | str, dict[str, Any]] = {
    200: _answer("The payment, with its refunded amount.", "Payment"),
    404: _answer("Payment not found.", "Error"),
    **_COMMON,
}

CREATE_REFUND: dict[int | str, dict[str, Any]] = {
    201: {
        **_answer("The refund was created and committed.", "Refund", replayable=True),
        "links": {"GetRefund": _link("get_refund", parameters={"refund_id": _NEW_ID})},
    },
    400: _answer(
        "Invalid refund amount (amount_invalid), payment already fully refunded"
        " (charge_already_refunded), payment failed (payment_failed), other invalid"
        " parameters, or idempotency_error (the key was reused with a different body or"
        " first used on another endpoint).",
        "Error",
        replayable=True,
    ),
    404: _answer(
        "Payment not found (code resource_missing, param payment_id).", "Error", replayable=True
    ),
    **_POST_ONLY,
    **_COMMON,
}

GET_REFUND: dict[int | str, dict[str, Any]] = {
    200: _answer("The refund.", "Refund"),
    404: _answer("Refund not found.", "Error"),
    **_COMMON,
}


def get_extra(name: str, description: str) -> dict[str, Any]:
    """openapi_extra of a GET: its path parameter (read from the path, not by FastAPI)."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": description,
                "schema": {"type": "string"},
            }
        ]
    }


def post_extra(schema: str) -> dict[str, Any]:
    """openapi_extra of a POST: its JSON body and the Idempotency-Key header."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(schema)}},
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Makes retries safe: the same key and body within 24 hours"
                " replays the first answer instead of acting twice. Scoped to the account"
                " (any of its API keys) and bound to the endpoint it was first used on;"
                " send it once.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_KEY_LENGTH,
                    "pattern": "^[!-~]+$",
                },
            }
        ],
    }


def finish(document: dict[str, Any]) -> None:
    """Complete FastAPI's document: our schemas, bearer auth, and no 422 (never sent)."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(SCHEMAS)
    components["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "sk_test_... keys only"}
    }
    document["security"] = [{"bearerAuth": []}]
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            for response in responses.values():
                # FastAPI adds a "type" to the default answer's schema beside our $ref.
                media = response.get("content", {}).get("application/json", {})
                if "$ref" in media.get("schema", {}):
                    media["schema"] = {"$ref": media["schema"]["$ref"]}
