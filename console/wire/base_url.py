"""The one base-URL rule: https, or plain http only to this machine (a loopback host).

The config checks a profile's URL with it, and the client checks it again before anything
is sent (`console.api.transport.normalize_base_url` then appends `/v1`).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from console.hosts import is_loopback

__all__ = ["check_base_url"]

_HOST: Final = re.compile(r"[A-Za-z0-9.-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
"""A DNS name (an IDN once punycoded), an IPv4 address, or an IPv6 address."""


def check_base_url(url: str) -> str:
    """The URL stripped, without a trailing slash; ValueError (naming the fix) unless it is
    https (or http to a loopback host) with a host, no user name, password, query or fragment."""
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"'{url}' is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("base URL must start with https:// and name a host")
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        ascii_host = ""
    if not _HOST.fullmatch(ascii_host):
        raise ValueError("base URL has no valid host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError("base URL must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("base URL must not contain a query string or fragment")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError("base URL must use https:// (plain http:// only for 127.0.0.1/localhost)")
    return url
