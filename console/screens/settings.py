"""Settings: profiles (add, edit, switch, delete), their API keys, a connection test, the theme.

Profiles are saved with `config.save_settings` (never a key in the file); keys go to the
OS keyring through `console.credentials` and are only ever shown masked. Testing a
connection is `session.verify` (the CLI's login and the first run use it too).
Keyring, file and network work runs in async workers (its steps in `settings_io`), which
then show the outcome. The form on the right is `profile_form.ProfileForm`.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Label, OptionList, Select

from console import credentials, session
from console.config import Profile
from console.error_text import describe_error
from console.screens import settings_io
from console.screens.base import ConsoleScreen
from console.screens.confirm import ConfirmScreen
from console.screens.profile_form import ProfileForm
from console.widgets.panels import ErrorPanel
from console.widgets.settings_form import ProfileList

KEY = "settings-key"
SAVE = "settings-save"
USE = "settings-use"
TEST = "settings-test"
DELETE = "settings-delete"
REMOVE_KEY = "settings-remove-key"
THEME = "settings-theme"

SAVED_PROFILE_ACTIONS = frozenset({"use_profile", "remove_key", "delete_profile"})
"""Actions that apply to a saved profile, not to a new one (`ProfileForm` greys out their
buttons)."""


class SettingsScreen(ConsoleScreen[None]):
    """Profiles on the left, the selected one's form on the right, the theme below."""

    SCREEN_TITLE = "Settings"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="settings.save", tooltip="Save the profile (and key)"),
        Binding(
            "ctrl+n",
            "new_profile",
            "New profile",
            id="settings.new",
            tooltip="Write a new profile: name, base URL, mode, key",
        ),
        Binding(
            "ctrl+o",
            "use_profile",
            "Use",
            id="settings.use",
            show=False,  # its button shows it; the footer keeps room for ? and esc
            tooltip="Switch to this profile now and make it the default",
        ),
        Binding(
            "ctrl+t",
            "test_connection",
            "Test",
            id="settings.test",
            show=False,  # its button shows it; the footer keeps room for ? and esc
            tooltip="Check the base URL and key against the API",
        ),
        Binding(
            "ctrl+r",
            "remove_key",
            "Remove key",
            id="settings.remove_key",
            show=False,  # its button shows it; the footer keeps room for ? and esc
            tooltip="Delete this profile's key from the OS keyring",
        ),
        Binding(
            "delete",
            "delete_profile",
            "Delete profile",
            id="settings.delete",
            show=False,  # its button shows it; the footer keeps room for ? and esc
            tooltip="Delete the profile highlighted in the list",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.selected: str | None = None
        """The saved profile shown in the form; None while a new one is being written."""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="settings-main"):
            yield ProfileList(id="settings-profiles")
            yield ProfileForm(id="settings-form")
        with Horizontal(id="settings-theme-row", classes="settings-row"):
            yield Label("Theme", classes="settings-label")
            yield Select(
                [(name, name) for name in sorted(self.app.available_themes)],
                value=self.app.theme,
                allow_blank=False,
                id="settings-theme",
                compact=True,
            )
        yield Label("", id="settings-status")
        yield ErrorPanel(id="settings-problem")

    @property
    def form(self) -> ProfileForm:
        return self.query_one(ProfileForm)

    def on_mount(self) -> None:
        self.form.show_errors({})
        self._say(None)
        settings, current = self.ctx.settings, self.ctx.profile
        if current is not None and current.name not in settings.profiles:
            self._say(f"In use now: profile '{current.name}' (this run only, not saved).")
        self._fill_list()
        first = next(iter(settings.profiles), None)
        if current is not None and current.name in settings.profiles:
            first = current.name
        elif settings.default_profile in settings.profiles:
            first = settings.default_profile
        if first is None:
            self.action_new_profile()
        else:
            self._select(first)
            self.query_one("#profile-list", OptionList).focus()

    # --- the list and the form -------------------------------------------------------

    def _fill_list(self) -> None:
        settings, current = self.ctx.settings, self.ctx.profile
        self.query_one(ProfileList).show(
            list(settings.profiles.values()),
            in_use=current.name if current is not None else None,
            default=settings.default_profile,
        )

    def _select(self, name: str) -> None:
        """Show saved profile `name` in the form, and highlight it in the list."""
        self.query_one(ProfileList).highlight(list(self.ctx.settings.profiles).index(name))
        self._show_profile(self.ctx.settings.profiles[name])

    @on(OptionList.OptionHighlighted, "#profile-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        names = list(self.ctx.settings.profiles)
        if event.option_index < len(names) and names[event.option_index] != self.selected:
            self._show_profile(self.ctx.settings.profiles[names[event.option_index]])

    @on(OptionList.OptionSelected, "#profile-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on a profile: edit it."""
        self.query_one("#profile-base-url", Input).focus()

    def _show_profile(self, profile: Profile) -> None:
        self.selected = profile.name
        self.form.show_profile(profile)
        self.read_key(profile.name)
        self.refresh_bindings()

    def action_new_profile(self) -> None:
        self.selected = None
        self.form.show_new()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SAVED_PROFILE_ACTIONS:
            return self.selected is not None
        return True

    def refresh_bindings(self) -> None:
        """Also grey out the buttons of actions that need a saved profile."""
        super().refresh_bindings()
        self.form.enable_saved_actions(self.selected is not None)

    # --- the key and saving ---------------------------------------------------------

    @work(exclusive=True, group=KEY, exit_on_error=False)
    async def read_key(self, name: str) -> None:
        """Show profile `name`'s key (masked), unless another profile is shown by then."""
        try:
            status = await asyncio.to_thread(credentials.read_key_status, name)
        except Exception as error:
            self.form.key_unavailable()
            self._failed(error)
            return
        if name == self.selected:
            self.form.show_key(status)

    def _form_profile(self) -> Profile | None:
        """The profile the form describes, or None (its errors shown under the fields)."""
        profiles = self.ctx.settings.profiles
        return self.form.profile(profiles.get(self.selected or ""), set(profiles))

    def action_save(self) -> None:
        profile = self._form_profile()
        key = self.form.typed_key() if profile is not None else None
        if profile is not None and key is not None:
            self._say(f"Saving profile '{profile.name}'…")
            self.save(profile, key)

    @work(exclusive=True, group=SAVE, exit_on_error=False)
    async def save(self, profile: Profile, key: str) -> None:
        """Store the key typed (if any), save the profile, reconnect if it is in use."""
        try:
            active_key = await settings_io.save_profile(self.ctx, profile, key)
            if active_key:
                await self.console.use_profile(profile, active_key)
        except credentials.InvalidKeyError as error:
            self._key_refused(error)
            return
        except Exception as error:
            self._failed(error)
            return
        parts = [f"Saved profile '{profile.name}' ({profile.mode}, {profile.base_url})."]
        if key:
            parts.append(f"Key {credentials.mask(key)} stored in the OS keyring.")
            warning = credentials.mode_warning(key, profile.mode, profile.name)
            if warning:
                parts.append(f"Warning: {warning}.")
        if active_key:
            parts.append("This session now uses it.")
        self._fill_list()
        self._select(profile.name)
        self._say(" ".join(parts))

    # --- switching, testing, deleting --------------------------------------------------

    def action_use_profile(self) -> None:
        if self.selected is not None:
            self.use(self.ctx.settings.profiles[self.selected])

    @work(exclusive=True, group=USE, exit_on_error=False)
    async def use(self, profile: Profile) -> None:
        """Switch to `profile` (with its stored key) and make it the default."""
        try:
            key = await settings_io.make_default(self.ctx, profile)
            await self.console.use_profile(profile, key)
        except Exception as error:
            self._failed(error)
            return
        self._fill_list()
        self._say(f"Now using profile '{profile.name}' ({profile.mode}); it is the default.")

    def action_test_connection(self) -> None:
        profile = self._form_profile()
        key = self.form.typed_key() if profile is not None else None
        if profile is not None and key is not None:
            self._say(f"Testing {profile.base_url}…")
            self.test_connection(profile, key)

    @work(exclusive=True, group=TEST, exit_on_error=False)
    async def test_connection(self, profile: Profile, typed_key: str) -> None:
        """`session.verify` with the form's key (else the stored one); says whether
        the API accepted it."""
        try:
            key = await settings_io.stored_key(profile, typed_key)
            if key is None:
                raise credentials.InvalidKeyError(
                    f"No key to test: profile '{profile.name}' has none; paste one under New key"
                )
            accepted = await settings_io.key_accepted(self.ctx, profile, key)
        except credentials.InvalidKeyError as error:
            self._key_refused(error)
            return
        except Exception as error:
            self._failed(error)
            return
        masked = credentials.mask(key)
        if accepted:
            self._say(f"Connection OK: {profile.base_url} accepted the key {masked}.")
        else:
            self._say(None)
            self.query_one(ErrorPanel).show_message(
                "Key refused",
                f"{profile.base_url} refused the key {masked} (401). "
                "Paste the right key under New key, then save.",
            )

    def action_delete_profile(self) -> None:
        name = self.selected
        if name is None:
            return
        question = ConfirmScreen(
            "Delete profile",
            f"Delete profile '{name}'? Its API key is removed from the OS keyring too.",
            confirm_label="Delete",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(name)

        self.app.push_screen(question, answered)

    @work(exclusive=True, group=DELETE, exit_on_error=False)
    async def delete(self, name: str) -> None:
        """Delete profile `name` from the settings and its key from the keyring."""
        try:
            await settings_io.delete_profile(self.ctx, name)
        except Exception as error:
            self._failed(error)
            return
        self.query_one("#profile-list", OptionList).highlighted = None
        self._fill_list()
        message = f"Deleted profile '{name}' and its key."
        if self.ctx.profile is not None and self.ctx.profile.name == name:
            message += " This session stays connected until you switch profile."
        self.selected = None
        remaining = next(iter(self.ctx.settings.profiles), None)
        if remaining is None:
            self.action_new_profile()
        else:
            self._select(remaining)
        self._say(message)

    def action_remove_key(self) -> None:
        name = self.selected
        if name is None:
            return
        question = ConfirmScreen(
            "Remove key",
            f"Remove the API key of profile '{name}' from the OS keyring?",
            confirm_label="Remove",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.remove_key(name)

        self.app.push_screen(question, answered)

    @work(exclusive=True, group=REMOVE_KEY, exit_on_error=False)
    async def remove_key(self, name: str) -> None:
        try:
            removed = await asyncio.to_thread(session.remove_key, name)
        except Exception as error:
            self._failed(error)
            return
        self._say(
            f"Removed the key of profile '{name}' from the OS keyring."
            if removed
            else f"Profile '{name}' had no key in the OS keyring."
        )
        if name == self.selected:
            self.read_key(name)

    # --- the theme ------------------------------------------------------------------

    @on(Select.Changed, "#settings-theme")
    def _theme_changed(self, event: Select.Changed) -> None:
        theme = event.value
        if isinstance(theme, str) and theme != self.ctx.settings.theme:
            self.app.theme = theme
            self.save_theme(theme)

    @work(exclusive=True, group=THEME, exit_on_error=False)
    async def save_theme(self, theme: str) -> None:
        try:
            await settings_io.save_theme(self.ctx, theme)
        except Exception as error:
            self._failed(error)
            return
        self._say(f"Theme '{theme}' saved.")

    # --- messages -------------------------------------------------------------------

    def _key_refused(self, error: credentials.InvalidKeyError) -> None:
        """No usable key to save or test: said under the key field."""
        self.form.show_errors({"key": str(error)})
        self._say(None)

    def _failed(self, error: Exception) -> None:
        """A keyring, file or network step failed: said in the problem panel."""
        self._say(None)
        self.query_one(ErrorPanel).show_message(*describe_error(error))

    def _say(self, message: str | None) -> None:
        """A status line (None clears it, and any problem shown)."""
        status = self.query_one("#settings-status", Label)
        status.update(message or "")
        status.display = message is not None
        self.query_one(ErrorPanel).clear()
