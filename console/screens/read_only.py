"""The app's side of read-only profiles and of the settings' keymap, mixed into
`console.app.PaymentsConsoleApp` (which says which profile is in use).

On a read-only profile the actions that move money (`registry.MOVES_MONEY`) are hidden
by the app's `check_action`; reached anyway (their key, Enter on an unknown operation),
they say why nothing happens. The keymap is checked by `make_app` (`keymap.check_keymap`)
and applied here through Textual's `App.set_keymap`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from textual import events
from textual.app import App

from console.error_text import describe_error
from console.screens import registry
from console.screens.keymap import check_keymap, only_bound_to, stand_aside

if TYPE_CHECKING:
    from console.context import ConsoleContext
    from console.profile import Profile


class ReadOnlyAndKeymap(App[None]):
    """Read-only refusals and the keymap in force, for the console's App."""

    keymap: Mapping[str, str] = MappingProxyType({})
    """The settings' `[keymap]` in force."""
    stand_aside: frozenset[str] = registry.SINGLE_LETTER
    """The actions whose keys a focused text field takes (`keymap.stand_aside`)."""

    @property
    def ctx(self) -> ConsoleContext:
        """The console's context (the app's)."""
        raise NotImplementedError

    @property
    def loaded(self) -> bool:
        """Whether the context is loaded (the app's)."""
        raise NotImplementedError

    @classmethod
    def check_keymap(cls, keymap: Mapping[str, str]) -> None:
        """`keymap.check_keymap`, the command palette's key being this app's."""
        check_keymap(keymap, cls.COMMAND_PALETTE_BINDING)

    def profile_in_use(self) -> Profile | None:
        """The profile in use (None while the console opens, or before one is chosen)."""
        return self.ctx.profile if self.loaded else None

    def apply_keymap(self, keymap: Mapping[str, str]) -> None:
        self.keymap = MappingProxyType(dict(keymap))
        self.set_keymap(self.keymap)
        self.stand_aside = stand_aside(self.keymap)

    def hides(self, action: str) -> bool:
        """Whether `action` is hidden as one that moves money, on a read-only profile."""
        return action in registry.MOVES_MONEY and self.read_only

    @property
    def read_only(self) -> bool:
        """Whether the profile in use is read-only (it never pays or refunds)."""
        profile = self.profile_in_use()
        return profile is not None and profile.read_only

    def refuses_money(self) -> bool:
        """On a read-only profile, say that it never pays or refunds, and return True."""
        profile = self.profile_in_use()
        if profile is None or not profile.read_only:
            return False
        from console.profile import ReadOnlyProfileError  # loaded with the profile

        title, message = describe_error(ReadOnlyProfileError(profile))
        self.notify(message, title=title, severity="warning")
        return True

    def on_key(self, event: events.Key) -> None:
        """A key only a (hidden) action moving money answers: say why nothing happens."""
        if self.read_only and only_bound_to(self.screen, event.key, registry.MOVES_MONEY):
            event.prevent_default()
            self.refuses_money()

    def watch_profile_revision(self) -> None:
        """Another profile may be read-only, or not: its keys differ."""
        self.refresh_bindings()
