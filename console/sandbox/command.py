"""`payments-console sandbox`: run the sandbox API server in the foreground.

Import-light: FastAPI and uvicorn are imported by `run`, not when the CLI is built.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from console.hosts import is_loopback
from console.paths import data_dir
from console.sandbox.faults import ENV_PREFIX, Faults

if TYPE_CHECKING:
    import logging

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PROG = "payments-console sandbox"
INTERRUPTED = 130
"""The exit code of a stop that did not wait (128 + SIGINT, as shells report it)."""


def default_db_path() -> Path:
    """Where the sandbox keeps its data unless --db says otherwise."""
    return data_dir() / "sandbox.db"


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1 (e.g. 0.1 for 10%)")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _port(text: str) -> int:
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("must be a port number from 0 to 65535")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (loopback)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help="port (0: any free port)")
    parser.add_argument(
        "--db",
        metavar="PATH",
        help=f"SQLite database, or :memory: (default: {default_db_path()})",
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="allow a --host that is not loopback (anyone who can reach it can use it)",
    )
    faults = parser.add_argument_group(
        "fault injection (off by default; each also read from the environment variable shown)"
    )
    faults.add_argument(
        "--latency",
        metavar="MS",
        type=_non_negative,
        help=f"delay every request by MS milliseconds ({ENV_PREFIX}LATENCY_MS)",
    )
    faults.add_argument(
        "--fail-rate",
        metavar="R",
        type=_rate,
        help=f"answer this share of requests with 500, doing nothing ({ENV_PREFIX}FAIL_RATE)",
    )
    faults.add_argument(
        "--rate-limit",
        metavar="N",
        type=_positive,
        help=f"allow N requests per second per key, then 429 ({ENV_PREFIX}RATE_LIMIT)",
    )
    faults.add_argument(
        "--drop-after-commit",
        metavar="R",
        type=_rate,
        help="commit this share of POSTs, then close the connection without answering"
        f" ({ENV_PREFIX}DROP_AFTER_COMMIT)",
    )
    faults.add_argument(
        "--seed",
        type=int,
        help=f"seed for the random faults, for repeatable runs ({ENV_PREFIX}SEED)",
    )


def _faults(args: argparse.Namespace) -> Faults:
    """Options override the environment."""
    env = Faults.from_env()
    return Faults(
        latency_ms=env.latency_ms if args.latency is None else args.latency,
        fail_rate=env.fail_rate if args.fail_rate is None else args.fail_rate,
        rate_limit=env.rate_limit if args.rate_limit is None else args.rate_limit,
        drop_after_commit=(
            env.drop_after_commit if args.drop_after_commit is None else args.drop_after_commit
        ),
        seed=env.seed if args.seed is None else args.seed,
    )


def _describe(faults: Faults) -> str:
    parts = []
    if faults.latency_ms:
        parts.append(f"latency {faults.latency_ms} ms")
    if faults.fail_rate:
        parts.append(f"fail rate {faults.fail_rate:g}")
    if faults.rate_limit:
        parts.append(f"rate limit {faults.rate_limit}/s per key")
    if faults.drop_after_commit:
        parts.append(f"drop after commit {faults.drop_after_commit:g}")
    return ", ".join(parts) or "none"


def _cut_off_in_one_line(record: logging.LogRecord) -> bool:
    """uvicorn logs a request cut off by the stop (cancelled once the graceful shutdown
    timed out, or at a second Ctrl-C) as "Exception in ASGI application" with the traceback
    of its cancellation: one line says it instead. A real error keeps its traceback."""
    error = record.exc_info[1] if record.exc_info else None
    if error is not None and not isinstance(error, Exception):  # CancelledError
        record.msg = "A request still being answered was cut off by the stop."
        record.args, record.exc_info, record.exc_text = (), None, None
    return True


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C. 0 once stopped (requests in flight answered, or cut off after
    a few seconds), 130 if a second Ctrl-C stopped it at once (or one came before it
    served), 2 on bad options, 1 if it cannot listen."""
    if not is_loopback(args.host) and not args.public:
        print(
            f"{PROG}: refusing to listen on {args.host}, which is not a loopback address:"
            " anyone who can reach it could use the sandbox. Add --public if you mean it.",
            file=sys.stderr,
        )
        return 2
    try:
        faults = _faults(args)
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        return _serve(args, faults)
    except KeyboardInterrupt:  # before it served, or a Ctrl-C while it was closing
        print("Sandbox stopped.", flush=True)
        return INTERRUPTED


def _serve(args: argparse.Namespace, faults: Faults) -> int:
    import logging

    import uvicorn

    from console.sandbox.app import API_KEY_ENV, create_app
    from console.sandbox.server import base_url, bind, uvicorn_config

    db_path = args.db or default_db_path()
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"{PROG}: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    app = create_app(db_path, faults=faults)
    port = sock.getsockname()[1]
    print(f"Payments sandbox listening on {base_url(args.host, port)}")
    print(f"API key: {app.state.api_key}")
    if os.environ.get(API_KEY_ENV):
        print(f"Also accepted: the key in {API_KEY_ENV}")
    print(f"Database: {db_path}")
    print(f"Faults: {_describe(faults)}")
    print("Press Ctrl-C to stop.", flush=True)
    server = uvicorn.Server(uvicorn_config(app, log_level="info", access_log=True))
    logging.getLogger("uvicorn.error").addFilter(_cut_off_in_one_line)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled gracefully
    finally:
        sock.close()
        app.state.store.close()
    if server.force_exit:
        print("Sandbox stopped at once (second Ctrl-C).", flush=True)
        return INTERRUPTED
    print("Sandbox stopped.", flush=True)
    return 0
