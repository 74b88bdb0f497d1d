"""A batch's identity and its rows' idempotency keys: the same file under the same profile
gives the same keys; any byte changed, or another profile, gives others."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.batch.identity import BatchIdentity, file_sha256
from console.wire.idempotency import MAX_KEY_LENGTH, check_key

CONTENT = b"payment_id,amount\r\npay_1,1\r\npay_2,2\r\n"


def identity_of(tmp_path: Path, content: bytes, profile: str = "default") -> BatchIdentity:
    path = tmp_path / "batch.csv"
    path.write_bytes(content)
    return BatchIdentity.of_file(profile, path)


def test_the_same_file_and_profile_give_the_same_keys(tmp_path: Path) -> None:
    first = identity_of(tmp_path, CONTENT)
    again = identity_of(tmp_path / ".." / tmp_path.name, CONTENT)
    assert first == again
    assert [first.row_key(line) for line in (2, 3)] == [again.row_key(line) for line in (2, 3)]


def test_a_key_names_the_batch_and_the_line(tmp_path: Path) -> None:
    identity = identity_of(tmp_path, CONTENT)
    key = identity.row_key(2)
    assert key == f"batch-{identity.id}-2"
    assert len(identity.id) == 32
    assert int(identity.id, 16) >= 0
    assert check_key(key) == key


def test_the_profile_name_never_appears_in_a_key(tmp_path: Path) -> None:
    identity = identity_of(tmp_path, CONTENT, profile="Boutique Zoë live")
    assert "Zo" not in identity.row_key(2)
    check_key(identity.row_key(2))


def test_another_profile_is_another_batch(tmp_path: Path) -> None:
    assert identity_of(tmp_path, CONTENT, "a").id != identity_of(tmp_path, CONTENT, "b").id


def test_any_byte_changed_is_another_batch(tmp_path: Path) -> None:
    base = identity_of(tmp_path, CONTENT).id
    for index in range(len(CONTENT)):
        changed = bytearray(CONTENT)
        changed[index] ^= 0x01
        assert identity_of(tmp_path, bytes(changed)).id != base
    assert identity_of(tmp_path, CONTENT + b"\r\n").id != base
    assert identity_of(tmp_path, b"\xef\xbb\xbf" + CONTENT).id != base


def test_the_header_has_no_key() -> None:
    identity = BatchIdentity("default", "0" * 64)
    with pytest.raises(ValueError, match="start at line 2"):
        identity.row_key(1)


@pytest.mark.parametrize("sha256", ["", "abc", "0" * 63, "0" * 66, "z" * 64])
def test_an_identity_needs_a_whole_sha256(sha256: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - fromhex's or ours
        BatchIdentity("default", sha256)


def test_file_sha256_reads_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes(CONTENT)
    # sha256sum of the same bytes
    assert file_sha256(path) == "f381943fb8b5af721e067be0d07685647c6642ed90c3dcc7837fb045ee2b9a02"


@given(
    profile=st.text(max_size=80),
    digest=st.binary(min_size=32, max_size=32),
    line=st.integers(min_value=2, max_value=10**12),
)
def test_every_key_satisfies_the_wire_rule(profile: str, digest: bytes, line: int) -> None:
    key = BatchIdentity(profile, digest.hex()).row_key(line)
    assert check_key(key) == key
    assert len(key) <= MAX_KEY_LENGTH


@given(lines=st.sets(st.integers(min_value=2, max_value=10**6), min_size=2, max_size=50))
def test_keys_of_distinct_lines_are_distinct(lines: set[int]) -> None:
    identity = BatchIdentity("default", "ab" * 32)
    assert len({identity.row_key(line) for line in lines}) == len(lines)
