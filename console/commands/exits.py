"""How a command ends: exit codes, `Failure`, and the lines it prints on the way out.

The exit codes tell a script whether to run a command again: 0 done, 1 definitively
refused, 2 usage or configuration, 3 nothing was sent, 4 the outcome is unknown. An
expected failure is one line on stderr (a JSON object on stdout with --json), never a
traceback; every line is `safe_text.one_line` (no control characters, keys masked).
"""

from __future__ import annotations

import json
import sys

from console.safe_text import escape_json_controls, one_line

EXIT_OK = 0
EXIT_API = 1
"""The API gave a definitive refusal: nothing happened."""
EXIT_USAGE = 2
EXIT_NOT_SENT = 3
"""Nothing was sent (connection refused, DNS, TLS, the journal unwritable): safe to rerun."""
EXIT_UNKNOWN = 4
"""The outcome is unknown: it may have happened. Rerunning the same command re-sends it
with its idempotency key (printed), so it cannot happen twice."""
EXIT_INTERRUPTED = 130

PROG = "payments-console"


class Failure(Exception):
    """An expected failure: one line on stderr (a JSON object on stdout with --json) and an
    exit code. The JSON object also has the API's error code (`api_code`, as "code") and
    `details` (the outcome, the idempotency key, the retry command...)."""

    def __init__(
        self,
        message: str,
        code: int = EXIT_USAGE,
        *,
        api_code: str | None = None,
        **details: str | None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.api_code = api_code
        self.details = details


def print_json_error(failure: Failure) -> None:
    """The failure as one JSON object on stdout (control characters escaped)."""
    fields = {
        "error": one_line(str(failure)),
        "code": failure.api_code,
        "exit_code": failure.code,
        **failure.details,
    }
    print(escape_json_controls(json.dumps(fields, ensure_ascii=False)))


def error(message: str) -> None:
    """The one line of a command that failed, on stderr."""
    print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)


def warn(message: str) -> None:
    """A one-line warning on stderr; the command goes on."""
    print(f"{PROG}: warning: {one_line(message)}", file=sys.stderr)
