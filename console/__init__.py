"""payments-console: a keyboard-driven terminal console for the Payment Processing API."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`__version__` is looked up on first use: importlib.metadata costs start-up time."""
    if name != "__version__":
        raise AttributeError(f"module 'console' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("payments-console")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"
