"""How profiles read in the settings screen's list: `ProfileList` and its prompts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

MODE_STYLES = {"sandbox": "$warning", "test": "$warning", "live": "bold $error"}


NO_PROFILE = "none saved yet"

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
        self,
        profiles: Sequence[NamedProfile],
        *,
        in_use: NamedProfile | None,
        default: str | None,
    ) -> None:
        """`profiles` (● the one `in_use`, ★ `default`), the highlight kept in place; below
        them, greyed out, the profile in use when it is not one of them (this run only),
        or a line saying there is none yet."""
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for profile in profiles:
            options.add_option(
                profile_prompt(
                    profile.name,
                    profile.mode,
                    in_use=in_use is not None and profile.name == in_use.name,
                    default=profile.name == default,
                )
            )
        if in_use is not None and all(profile.name != in_use.name for profile in profiles):
            prompt = profile_prompt(in_use.name, in_use.mode, in_use=True, default=False)
            options.add_option(
                Option(Content.assemble(prompt, "\n    this run only"), disabled=True)
            )
        elif not profiles:
            options.add_option(Option(NO_PROFILE, disabled=True))
        if highlighted is not None and profiles:
            options.highlighted = min(highlighted, len(profiles) - 1)

    def highlight(self, index: int) -> None:
        options = self.query_one(OptionList)
        if options.highlighted != index:
            options.highlighted = index
