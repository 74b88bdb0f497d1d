"""How a profile reads in the settings screen's list."""

from __future__ import annotations

from textual.content import Content

MODE_STYLES = {"sandbox": "$warning", "test": "$warning", "live": "bold $error"}


LEGEND = Content.assemble(("●", "$success"), " in use  ", ("★", "$accent"), " default")


def profile_prompt(name: str, mode: str, *, in_use: bool, default: bool) -> Content:
    """'● ★ shop  LIVE' for the profile list (see LEGEND)."""
    return Content.assemble(
        ("● " if in_use else "  ", "$success"),
        ("★ " if default else "  ", "$accent"),
        (name, "bold"),
        " ",
        (mode.upper(), MODE_STYLES.get(mode, "")),
    )
