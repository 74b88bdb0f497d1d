"""The wire contract's rules, each written once in console/wire/: the Idempotency-Key rule
and the base-URL rule, and the models kept importable from console.api.models."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

import console.api.models as api_models
import console.wire.models as wire_models
from console.api import mapping
from console.config import check_base_url as config_check_base_url
from console.sandbox import app as sandbox_app
from console.wire.base_url import check_base_url
from console.wire.idempotency import KEY_RULE, MAX_KEY_LENGTH, check_key, new_key

GOOD_KEYS = ["order-7", "k" * MAX_KEY_LENGTH, "!", "~", "a:b/c?d=e&f#g", str(uuid.UUID(int=7))]
BAD_KEYS = [
    "",
    "k" * (MAX_KEY_LENGTH + 1),
    "has space",
    " leading",
    "trailing ",
    "tab\there",
    "new\nline",
    "nul\x00",
    "del\x7f",
    "café",
    "ключ",
    "\u00a0nbsp",
]


def test_the_limit_is_written_once() -> None:
    assert MAX_KEY_LENGTH == 255
    assert mapping.MAX_IDEMPOTENCY_KEY_LENGTH == MAX_KEY_LENGTH
    assert sandbox_app.MAX_IDEMPOTENCY_KEY_LENGTH == MAX_KEY_LENGTH
    assert KEY_RULE == ("an idempotency key must be 1 to 255 printable ASCII characters, no spaces")


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_good_keys_pass_unchanged(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused_with_the_one_message(key: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(KEY_RULE)}$"):
        check_key(key)


def test_new_keys_follow_the_rule_and_differ() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(check_key(key) == key for key in keys)


@given(st.text(max_size=300))
def test_the_rule_is_printable_ascii_without_spaces(key: str) -> None:
    allowed = 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(ch) <= 126 for ch in key)
    try:
        check_key(key)
    except ValueError:
        assert not allowed
    else:
        assert allowed


def test_config_uses_the_one_base_url_rule() -> None:
    assert config_check_base_url is check_base_url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.example.com", "must use https:// (plain http:// only for"),
        ("http://localhost.evil.com", "must use https:// (plain http:// only for"),
        ("ftp://127.0.0.1", "must start with https:// and name a host"),
        ("https://", "must start with https:// and name a host"),
        ("https://exa mple.com", "no valid host name"),
        ("https://user@api.example.com", "user name or password"),
        ("https://api.example.com#top", "query string or fragment"),
        ("https://api.example.com:99999", "not a valid URL"),
    ],
)
def test_base_url_rule(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_base_url(url)


@pytest.mark.parametrize(
    "url", ["https://api.example.com", "https://bücher.example", "http://[::1]:8000"]
)
def test_base_url_rule_accepts(url: str) -> None:
    assert check_base_url(f" {url}/ ") == url


def test_the_models_live_in_wire_and_stay_importable_from_api() -> None:
    public = [name for name in vars(wire_models) if not name.startswith("_")]
    names = ["Payment", "PaymentCreate", "Refund", "RefundCreate", "ErrorBody"]
    names += ["describe", "field_errors", "PAYMENT_STATUSES", "REFUND_STATUSES"]
    for name in names:
        assert name in public
        assert getattr(api_models, name) is getattr(wire_models, name)
    assert wire_models.Payment.__module__ == "console.wire.models"


def test_the_wire_needs_no_http_client_and_no_console_above_it() -> None:
    code = (
        "import sys, console.wire.models, console.wire.idempotency, console.wire.base_url\n"
        "loaded = [m for m in ('httpx', 'textual', 'console.api', 'console.config')"
        " if m in sys.modules]\n"
        "sys.exit(str(loaded) if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
