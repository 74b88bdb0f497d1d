"""`console.paths.unused_path`: the name a new export or screenshot is written under."""

from __future__ import annotations

from pathlib import Path

from console.paths import unused_path


def test_a_taken_name_gets_the_next_number_never_an_existing_file(tmp_path: Path) -> None:
    assert unused_path(tmp_path, "history", ".csv") == tmp_path / "history.csv"
    (tmp_path / "history.csv").write_text("mine")
    (tmp_path / "history-2.csv").write_text("mine too")
    assert unused_path(tmp_path, "history", ".csv") == tmp_path / "history-3.csv"
    assert unused_path(tmp_path, "history", ".svg") == tmp_path / "history.svg"
