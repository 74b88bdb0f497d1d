"""Key masking keeps the text around a key intact."""

from __future__ import annotations

import pytest

from console.safe_text import mask_keys
from tests.fake_keys import live_key


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"a key ({live_key('abc123')}) but", "a key (sk_live_…) but"),
        (f"key {live_key('abcdefgh12345678')}.", "key sk_live_…5678."),
        ("only test keys (sk_test_...), never a live key.", None),
        ("'sk_test_abcdefghij'", "'sk_test_…'"),
        ("[rk_test_0123456789abcdef]", "[rk_test_…cdef]"),
        ("Bearer sk_test_a.b+c/d=e12345", "Bearer sk_test_…2345"),
        ("task_test_abcdefghijk", None),
    ],
)
def test_masking_closes_what_it_opens(text: str, shown: str | None) -> None:
    assert mask_keys(text) == (text if shown is None else shown)
