"""Settings: profiles (add, edit every field, rename, switch, delete), their API keys, a
connection test, the theme.

Profiles are saved in the settings file (never a key in it); keys go to the OS keyring
through `console.session` and are only ever shown masked. Without a usable keyring a
profile is still saved, used (with `PAYMENTS_API_KEY`) and deleted, and the screen says
what to run next. Keyring, file and network work runs in async workers (its steps, and
the sentences saying what they did, in `settings_io`), which then show the outcome. The
form on the right is `profile_form.ProfileForm`; at 24 rows its rows close up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList, Select

from console import credentials
from console.config import Profile
from console.error_text import describe_error
from console.screens import settings_io
from console.screens.base import ConsoleScreen
from console.screens.confirm import ConfirmScreen
from console.screens.profile_form import ProfileActions, ProfileForm
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


def _by_button(key: str, action: str, description: str, name: str, tooltip: str) -> Binding:
    """A binding its button shows: kept out of the footer, which keeps room for ? and esc."""
    return Binding(key, action, description, id=f"settings.{name}", show=False, tooltip=tooltip)


class SettingsScreen(ConsoleScreen[None]):
    """Profiles on the left, the selected one's form on the right, the theme below."""

    SCREEN_TITLE = "Settings"

    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012 (as Screen types it)
    """Below 30 rows the form's rows close up, so that every field and button fits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="settings.save", tooltip="Save the profile (and key)"),
        Binding(
            "ctrl+n",
            "new_profile",
            "New profile",
            id="settings.new",
            tooltip="Write a new profile: name, base URL, mode, key",
        ),
        _by_button(
            "ctrl+o",
            "use_profile",
            "Use",
            "use",
            "Switch to this profile now and make it the default",
        ),
        _by_button(
            "ctrl+t",
            "test_connection",
            "Test",
            "test",
            "Check the base URL and key against the API",
        ),
        _by_button(
            "ctrl+r",
            "remove_key",
            "Remove key",
            "remove_key",
            "Delete this profile's key from the OS keyring",
        ),
        _by_button(
            "delete",
            "delete_profile",
            "Delete profile",
            "delete",
            "Delete the profile highlighted in the list",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.selected: str | None = None
        """The saved profile shown in the form; None while a new one is being written."""
        self.keyring_problem: str | None = None
        """Why the OS keyring cannot be used, once a key could not be read (said once)."""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="settings-main"):
            with Vertical(id="settings-left"):
                yield ProfileList(id="settings-profiles")
                with Vertical(id="settings-theme-box"):
                    yield Label("Theme", classes="section-title")
                    yield Select(
                        [(name, name) for name in sorted(self.app.available_themes)],
                        value=self.app.theme,
                        allow_blank=False,
                        id="settings-theme",
                        compact=True,
                    )
            yield ProfileForm(id="settings-form")
        yield ProfileActions(id="settings-buttons")
        yield Label("", id="settings-status")
        yield ErrorPanel(id="settings-problem")

    @property
    def form(self) -> ProfileForm:
        return self.query_one(ProfileForm)

    def on_mount(self) -> None:
        self.form.show_errors({})
        settings, current = self.ctx.settings, self.ctx.profile
        self._say(settings_io.opening_note(settings, current))
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
            list(settings.profiles.values()), in_use=current, default=settings.default_profile
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
        self.query_one("#profile-name", Input).focus()

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
        self.query_one(ProfileActions).enable_saved_actions(self.selected is not None)

    # --- the key and saving ---------------------------------------------------------

    @work(exclusive=True, group=KEY, exit_on_error=False)
    async def read_key(self, name: str) -> None:
        """Show profile `name`'s key (masked), unless another profile is shown by then."""
        try:
            status = await asyncio.to_thread(credentials.read_key_status, name)
        except credentials.KeyringUnavailableError as error:
            self.form.key_unavailable()
            if self.keyring_problem is None:  # said once, not again at every profile
                self.keyring_problem = error.reason
                self._failed(error)
            return
        except Exception as error:
            self.form.key_unavailable()
            self._failed(error)
            return
        if name == self.selected:
            self.form.show_key(status)

    def _form_profile(self) -> tuple[Profile, str] | None:
        """The profile the form describes and the key typed, or None (the problems shown
        under the fields)."""
        profiles = self.ctx.settings.profiles
        return self.form.read(profiles.get(self.selected or ""), set(profiles))

    def action_save(self) -> None:
        read = self._form_profile()
        if read is not None:
            profile, key = read
            self._say(f"Saving profile '{profile.name}'…")
            self.save(profile, key, self.selected)

    @work(exclusive=True, group=SAVE, exit_on_error=False)
    async def save(self, profile: Profile, key: str, old_name: str | None) -> None:
        """Save the profile (renamed from `old_name`) and the key typed (if any, and if a
        keyring takes it); reconnect if it is the profile in use."""
        try:
            saved = await settings_io.save_profile(self.ctx, profile, key, old_name=old_name)
            if saved.reconnect_key:
                await self.console.use_profile(profile, saved.reconnect_key)
        except credentials.InvalidKeyError as error:
            self._key_refused(error)
            return
        except settings_io.RenameRefusedError as error:
            self.form.show_errors({"name": str(error)})
            self._say(None)
            return
        except Exception as error:
            self._failed(error)
            return
        self.keyring_problem = self.keyring_problem or saved.keyring_problem  # said here
        self._fill_list()
        self._select(profile.name)
        self._say(saved.describe())

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
        except settings_io.CannotUseError as error:
            self._say(None)
            self.query_one(ErrorPanel).show_message(
                f"Cannot use profile '{profile.name}'", str(error)
            )
            return
        except Exception as error:
            self._failed(error)
            return
        self._fill_list()
        self._say(settings_io.describe_switch(profile, key))

    def action_test_connection(self) -> None:
        read = self._form_profile()
        if read is not None:
            profile, key = read
            self._say(f"Testing {profile.base_url}…")
            self.test_connection(profile, key)

    @work(exclusive=True, group=TEST, exit_on_error=False)
    async def test_connection(self, profile: Profile, typed_key: str) -> None:
        """`session.verify` with the form's key (else the stored one); says whether
        the API accepted it."""
        try:
            key = await settings_io.key_to_test(profile, typed_key)
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
        if name is not None:
            question = settings_io.delete_question(
                self.ctx.settings, name, keyring_usable=self.keyring_problem is None
            )
            dialog = ConfirmScreen("Delete profile", question, confirm_label="Delete")
            self._confirm(dialog, lambda: self.delete(name))

    @work(exclusive=True, group=DELETE, exit_on_error=False)
    async def delete(self, name: str) -> None:
        """Delete profile `name` from the settings and its key from the keyring."""
        try:
            deleted = await settings_io.delete_profile(self.ctx, name)
        except Exception as error:
            self._failed(error)
            return
        self.keyring_problem = self.keyring_problem or deleted.keyring_problem  # said here
        self.query_one("#profile-list", OptionList).highlighted = None
        self._fill_list()
        message = deleted.describe()
        self.selected = None
        remaining = next(iter(self.ctx.settings.profiles), None)
        if remaining is None:
            self.action_new_profile()
        else:
            self._select(remaining)
        self._say(message)

    def action_remove_key(self) -> None:
        name = self.selected
        if name is not None:
            question = f"Remove the API key of profile '{name}' from the OS keyring?"
            dialog = ConfirmScreen("Remove key", question, confirm_label="Remove")
            self._confirm(dialog, lambda: self.remove_key(name))

    def _confirm(self, question: ConfirmScreen, then: Callable[[], object]) -> None:
        """Ask `question`; on yes, `then()`."""

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(question, answered)

    @work(exclusive=True, group=REMOVE_KEY, exit_on_error=False)
    async def remove_key(self, name: str) -> None:
        try:
            said = await settings_io.remove_key(name)
        except Exception as error:
            self._failed(error)
            return
        self._say(said)
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
