"""The modes a profile can have; light enough for the command line's parser."""

from __future__ import annotations

from typing import Literal, get_args

Mode = Literal["sandbox", "test", "live"]
MODES: tuple[Mode, ...] = get_args(Mode)
