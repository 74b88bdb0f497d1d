"""Reading a POST body: JSON only, at most 64 KB, whole within 10 s of the head, with
exact decimals (never a float) and every key given once."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from console.sandbox.errors import ApiError

MAX_BODY_BYTES = 64 * 1024
"""A POST body larger than this is refused with 413 (a payment is a few hundred bytes)."""
BODY_TIMEOUT_SECONDS = 10.0
"""A POST body must arrive whole within this long of its head, or the answer is 408."""


def check_content_type(request: Request) -> None:
    """A body must be JSON: no Content-Type is taken as JSON, any other type is a 415."""
    content_type = request.headers.get("content-type")
    if content_type is None:
        return
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    raise ApiError(
        415,
        "unsupported_media_type",
        f"The body must be JSON, sent with 'Content-Type: application/json', not {media_type!r}"
        " (curl -d sends application/x-www-form-urlencoded unless told otherwise)",
        "Content-Type",
    )


def _too_large() -> ApiError:
    return ApiError(
        413,
        "request_too_large",
        f"The request body is larger than {MAX_BODY_BYTES:,} bytes, the sandbox's limit",
    )


async def read_body(request: Request) -> bytes:
    """The whole body, refused (413) as soon as it is known to exceed MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()  # before reading any of it
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large()
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(
            408,
            "request_timeout",
            f"The request body did not arrive within {BODY_TIMEOUT_SECONDS:g} s"
            f" ({size:,} of {declared or 'an unknown number of'} bytes came)",
            headers={"Connection": "close"},
        ) from None
    return b"".join(chunks)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook: a key given twice is an error, never "the last one wins"."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object whose numbers are all Decimals; 400 saying why if not."""
    if not raw.strip():
        raise ApiError(400, "parameter_missing", "The request body is empty: send a JSON object")
    try:
        data = json.loads(
            raw,
            # Integers as Decimals too: int() refuses more than 4,300 digits, and such a
            # body is valid JSON whose amount is merely too large.
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except _DuplicateKey as exc:
        raise ApiError(
            400,
            "parameter_invalid",
            f"The request body gives the key {exc.key!r} more than once: send it once",
            exc.key,
        ) from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "parameter_invalid",
            f"The request body is not valid JSON: {exc.msg} (line {exc.lineno},"
            f" column {exc.colno})",
        ) from None
    except UnicodeDecodeError:
        raise ApiError(
            400, "parameter_invalid", "The request body is not UTF-8 text: send UTF-8 JSON"
        ) from None
    except RecursionError:
        raise ApiError(
            400, "parameter_invalid", "The request body is nested too deeply to read"
        ) from None
    except ValueError as exc:  # NaN, Infinity: JSON has no such numbers
        raise ApiError(
            400, "parameter_invalid", f"The request body is not valid JSON: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "parameter_invalid", "The request body must be a JSON object")
    return data
