"""Schemathesis hooks for test_openapi.py's run (loaded through schemathesis.toml).

A client mints a new Idempotency-Key for each new request (`console.wire.idempotency`);
schemathesis draws keys from a small space ("0", "00" ...) and sends one key with many
bodies, which the sandbox rightly refuses (400 idempotency_error, as Stripe does; see
test_idempotency.py). So a valid key is made unique to its request, as a client's is:
the same key, path and body keep one key (a replay), anything else gets another.
Negative cases are sent as drawn: they test the refusals (and editing their headers
would make schemathesis send a "missing Authorization" case with its Authorization).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import schemathesis

from console.wire.idempotency import check_key

HEADER = "Idempotency-Key"


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    key = (case.headers or {}).get(HEADER)
    if not isinstance(key, str) or case.meta is None or case.meta.generation.mode.is_negative:
        return
    check_key(key)  # a positive case's key follows the rule
    request = json.dumps([case.method, case.path, key, case.body], sort_keys=True, default=str)
    case.headers[HEADER] = hashlib.sha256(request.encode()).hexdigest()
