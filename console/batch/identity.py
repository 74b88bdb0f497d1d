"""A batch's identity, and the idempotency key of each of its rows.

The identity is a SHA-256 of the profile's name and of the file's bytes: the same file
run again under the same profile is the same batch (it resumes, each row with its own
key again); a file with any byte changed, or another profile, is another batch. A row
the API refused is sent again (when the merchant asks) under a retry key of its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from console.wire.idempotency import check_key

_DOMAIN = b"payments-console batch v1\x00"
_ID_HEX_DIGITS = 32
FIRST_ROW_LINE = 2
"""Line 1 is the header."""


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@dataclass(frozen=True)
class BatchIdentity:
    """Which batch this is: a profile and the SHA-256 of a file's bytes."""

    profile: str
    sha256: str

    def __post_init__(self) -> None:
        if len(bytes.fromhex(self.sha256)) != hashlib.sha256().digest_size:
            raise ValueError("sha256 must be 64 hex digits")

    @classmethod
    def of_file(cls, profile: str, path: Path) -> BatchIdentity:
        return cls(profile, file_sha256(path))

    @property
    def id(self) -> str:
        """32 hex digits (128 bits) naming the batch; the profile's name is hashed in, so
        it never appears in a key."""
        digest = hashlib.sha256(_DOMAIN + bytes.fromhex(self.sha256) + self.profile.encode())
        return digest.hexdigest()[:_ID_HEX_DIGITS]

    def row_key(self, line: int) -> str:
        """The idempotency key of the row at `line`: 'batch-<id>-<line>'."""
        if line < FIRST_ROW_LINE:
            raise ValueError(f"a batch's rows start at line {FIRST_ROW_LINE}, not {line}")
        return check_key(f"batch-{self.id}-{line}")

    def retry_key(self, line: int, refused_entry: int) -> str:
        """The key of the row at `line` sent again after the API refused its journal entry
        `refused_entry` (the API keeps the refusal under the row's first key):
        'batch-<id>-<line>-r<entry>'."""
        return check_key(f"{self.row_key(line)}-r{refused_entry}")
