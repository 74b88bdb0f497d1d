"""payments-console: a keyboard-driven terminal console for the Payment Processing API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("payments-console")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0"
