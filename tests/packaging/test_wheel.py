"""The built wheel ships the Textual styles, so an installed console finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_styles_and_entry_point(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("payments_console-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    styles = sorted(n for n in names if n.startswith("console/styles/"))
    expected = sorted(f"console/styles/{p.name}" for p in (ROOT / "styles").glob("*.tcss"))
    assert expected, "the repository has no styles/*.tcss"
    assert styles == expected
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "payments-console = console.cli:main" in text
