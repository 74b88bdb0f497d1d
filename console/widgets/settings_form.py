"""How profiles read in the settings screen's list: `ProfileList` and its prompts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, OptionList

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


class NamedProfile(Protocol):
    """What the list shows of a profile (a `console.config.Profile`)."""

    @property
    def name(self) -> str: ...

    @property
    def mode(self) -> str: ...


class ProfileList(Vertical):
    """The saved profiles under a title, with the legend of their marks below."""

    def compose(self) -> ComposeResult:
        yield Label("Profiles", classes="section-title")
        yield OptionList(id="profile-list")
        yield Label(LEGEND, id="profile-legend")

    def show(
        self, profiles: Sequence[NamedProfile], *, in_use: str | None, default: str | None
    ) -> None:
        """`profiles` (● the one named `in_use`, ★ `default`), the highlight kept in place."""
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for profile in profiles:
            options.add_option(
                profile_prompt(
                    profile.name,
                    profile.mode,
                    in_use=profile.name == in_use,
                    default=profile.name == default,
                )
            )
        if highlighted is not None and profiles:
            options.highlighted = min(highlighted, len(profiles) - 1)

    def highlight(self, index: int) -> None:
        options = self.query_one(OptionList)
        if options.highlighted != index:
            options.highlighted = index
