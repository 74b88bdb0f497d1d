"""Settings: profiles (add, edit, switch, delete), their API keys, a connection test, the theme.

Profiles are saved with `config.save_settings` (never a key in the file); keys go to the
OS keyring through `console.credentials` and are only ever shown masked. Testing a
connection is `operations.check_key` (the CLI's login and the first run use it too).
Keyring, file and network work runs in async workers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Select

from console import credentials
from console.api.errors import AuthenticationError
from console.api.models import field_errors
from console.config import MODES, Profile, save_settings
from console.error_text import describe_error
from console.operations import check_key
from console.screens.base import ConsoleScreen
from console.screens.confirm import ConfirmScreen
from console.widgets.panels import ErrorPanel
from console.widgets.settings_form import LEGEND, profile_prompt

KEY = "settings-key"
SAVE = "settings-save"
USE = "settings-use"
TEST = "settings-test"
DELETE = "settings-delete"
REMOVE_KEY = "settings-remove-key"
THEME = "settings-theme"

SAVED_PROFILE_ACTIONS = {
    "use_profile": "settings-use",
    "remove_key": "settings-remove-key",
    "delete_profile": "settings-delete",
}
"""Actions (and their buttons) that apply to a saved profile, not to a new one."""

FIELDS = {"name": "profile-name", "base_url": "profile-base-url", "key": "profile-key"}
"""Which error line under the form a field's message goes to."""


@dataclass(frozen=True)
class Saved:
    profile: Profile
    key_stored: str | None
    """The masked key stored with this save, if one was typed."""
    warning: str | None
    """The key's prefix says another mode than the profile's."""
    reconnected: bool


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
        self.key_status: credentials.KeyStatus | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="settings-main"):
            with Vertical(id="settings-profiles"):
                yield Label("Profiles", classes="section-title")
                yield OptionList(id="profile-list")
                yield Label(LEGEND, id="profile-legend")
            with Vertical(id="settings-form"):
                yield Label("", id="settings-form-title", classes="section-title")
                yield from self._row("Name", Input(id="profile-name", compact=True))
                yield Label("", id="profile-name-error", classes="settings-error")
                yield from self._row(
                    "Base URL",
                    Input(placeholder="https://…/v1", id="profile-base-url", compact=True),
                )
                yield Label("", id="profile-base-url-error", classes="settings-error")
                yield from self._row(
                    "Mode",
                    Select(
                        [(mode, mode) for mode in MODES],
                        allow_blank=False,
                        id="profile-mode",
                        compact=True,
                    ),
                )
                yield from self._row("API key", Label("", id="profile-key-shown"))
                yield from self._row(
                    "New key",
                    Input(
                        placeholder="paste a key to set or replace it",
                        password=True,
                        id="profile-key",
                        compact=True,
                    ),
                )
                yield Label("", id="profile-key-error", classes="settings-error")
                with Horizontal(id="settings-buttons"):
                    yield Button("Save ^s", id="settings-save", compact=True)
                    yield Button("Use ^o", id="settings-use", compact=True)
                    yield Button("Test ^t", id="settings-test", compact=True)
                    yield Button("Remove key ^r", id="settings-remove-key", compact=True)
                    yield Button("Delete", id="settings-delete", compact=True, variant="error")
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

    def _row(self, label: str, control: Any) -> ComposeResult:
        with Horizontal(classes="settings-row"):
            yield Label(label, classes="settings-label")
            yield control

    def on_mount(self) -> None:
        for error in self.query(".settings-error"):
            error.display = False
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
        options = self.query_one("#profile-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for profile in settings.profiles.values():
            in_use = current is not None and current.name == profile.name
            default = settings.default_profile == profile.name
            options.add_option(
                profile_prompt(profile.name, profile.mode, in_use=in_use, default=default)
            )
        if highlighted is not None and settings.profiles:
            options.highlighted = min(highlighted, len(settings.profiles) - 1)

    def _select(self, name: str) -> None:
        """Show saved profile `name` in the form, and highlight it in the list."""
        profiles = list(self.ctx.settings.profiles)
        options = self.query_one("#profile-list", OptionList)
        if options.highlighted != profiles.index(name):
            options.highlighted = profiles.index(name)
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
        self.query_one("#settings-form-title", Label).update(f"Profile '{profile.name}'")
        name = self.query_one("#profile-name", Input)
        name.value, name.disabled = profile.name, True
        self.query_one("#profile-base-url", Input).value = profile.base_url
        self.query_one("#profile-mode", Select).value = profile.mode
        self.query_one("#profile-key", Input).value = ""
        self._errors({})
        self._show_key(None)
        self.read_key(profile.name)
        self.refresh_bindings()

    def action_new_profile(self) -> None:
        self.selected = None
        self.query_one("#settings-form-title", Label).update("New profile")
        name = self.query_one("#profile-name", Input)
        name.value, name.disabled = "", False
        self.query_one("#profile-base-url", Input).value = ""
        self.query_one("#profile-mode", Select).value = "test"
        self.query_one("#profile-key", Input).value = ""
        self.query_one("#profile-key-shown", Label).update("none yet")
        self._errors({})
        self.refresh_bindings()
        name.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SAVED_PROFILE_ACTIONS:
            return self.selected is not None
        return True

    def refresh_bindings(self) -> None:
        """Also grey out the buttons of actions that need a saved profile."""
        super().refresh_bindings()
        for button_id in SAVED_PROFILE_ACTIONS.values():
            self.query_one(f"#{button_id}", Button).disabled = self.selected is None

    # --- the key --------------------------------------------------------------------

    @work(exclusive=True, group=KEY, exit_on_error=False)
    async def read_key(self, name: str) -> tuple[str, credentials.KeyStatus]:
        return name, await asyncio.to_thread(credentials.read_key_status, name)

    def _show_key(self, status: credentials.KeyStatus | None) -> None:
        self.key_status = status
        shown = self.query_one("#profile-key-shown", Label)
        shown.update("…" if status is None else status.describe())

    # --- saving ---------------------------------------------------------------------

    def _form_profile(self) -> Profile | None:
        """The profile the form describes, or None (its errors shown under the fields)."""
        existing = self.ctx.settings.profiles.get(self.selected or "")
        mode = self.query_one("#profile-mode", Select).value
        try:
            profile = Profile(
                **{
                    **(existing.model_dump() if existing else {}),
                    "name": self.query_one("#profile-name", Input).value,
                    "base_url": self.query_one("#profile-base-url", Input).value,
                    "mode": mode,
                }
            )
        except ValidationError as exc:
            self._errors(dict(field_errors(exc)))
            return None
        if existing is None and profile.name in self.ctx.settings.profiles:
            self._errors({"name": f"There is already a profile named '{profile.name}'"})
            return None
        self._errors({})
        return profile

    def _typed_key(self) -> str | None:
        """The key typed in the form (checked), '' when none was typed, None when invalid."""
        typed = self.query_one("#profile-key", Input).value
        if not typed.strip():
            return ""
        try:
            return credentials.check_key_shape(typed)
        except credentials.InvalidKeyError as exc:
            self._errors({"key": str(exc)})
            return None

    def action_save(self) -> None:
        profile = self._form_profile()
        key = self._typed_key() if profile is not None else None
        if profile is not None and key is not None:
            self._say(f"Saving profile '{profile.name}'…")
            self.save(profile, key)

    @work(exclusive=True, group=SAVE, exit_on_error=False)
    async def save(self, profile: Profile, key: str) -> Saved:
        ctx = self.ctx
        if key:
            await asyncio.to_thread(credentials.set_key, profile.name, key)
        settings = ctx.settings.with_profile(profile)
        await asyncio.to_thread(save_settings, settings, ctx.config_path)
        ctx.settings = settings
        reconnected = False
        current = ctx.profile
        if current is not None and current.name == profile.name and (key or current != profile):
            active_key = await self._key(profile.name, key)
            if active_key:
                await self.console.use_profile(profile, active_key)
                reconnected = True
        return Saved(
            profile,
            credentials.mask(key) if key else None,
            credentials.mode_warning(key, profile.mode, profile.name) if key else None,
            reconnected,
        )

    def _saved(self, saved: Saved) -> None:
        profile = saved.profile
        parts = [f"Saved profile '{profile.name}' ({profile.mode}, {profile.base_url})."]
        if saved.key_stored:
            parts.append(f"Key {saved.key_stored} stored in the OS keyring.")
        if saved.warning:
            parts.append(f"Warning: {saved.warning}.")
        if saved.reconnected:
            parts.append("This session now uses it.")
        self._fill_list()
        self._select(profile.name)
        self._say(" ".join(parts))

    # --- switching, testing, deleting --------------------------------------------------

    def action_use_profile(self) -> None:
        if self.selected is not None:
            self.use(self.ctx.settings.profiles[self.selected])

    @work(exclusive=True, group=USE, exit_on_error=False)
    async def use(self, profile: Profile) -> Profile:
        ctx = self.ctx
        key = await asyncio.to_thread(credentials.get_key, profile.name)
        if key is None:
            raise credentials.InvalidKeyError(
                f"Profile '{profile.name}' has no API key yet: paste one under New key "
                "and save (ctrl+s)"
            )
        settings = ctx.settings.model_copy(update={"default_profile": profile.name})
        await asyncio.to_thread(save_settings, settings, ctx.config_path)
        ctx.settings = settings
        await self.console.use_profile(profile, key)
        return profile

    def action_test_connection(self) -> None:
        profile = self._form_profile()
        key = self._typed_key() if profile is not None else None
        if profile is not None and key is not None:
            self._say(f"Testing {profile.base_url}…")
            self.test_connection(profile, key)

    async def _key(self, name: str, typed: str) -> str | None:
        """The key typed in the form, else the profile's stored key (if any)."""
        return typed or await asyncio.to_thread(credentials.get_key, name)

    @work(exclusive=True, group=TEST, exit_on_error=False)
    async def test_connection(self, profile: Profile, typed_key: str) -> tuple[bool, str]:
        """(accepted, what to say): `operations.check_key` with the form's key."""
        key = await self._key(profile.name, typed_key)
        if key is None:
            raise credentials.InvalidKeyError(
                f"No key to test: profile '{profile.name}' has none; paste one under New key"
            )
        masked = credentials.mask(key)
        client = self.ctx.client_factory(profile, key)
        try:
            await check_key(client)
        except AuthenticationError:
            return False, (
                f"{profile.base_url} refused the key {masked} (401). "
                "Paste the right key under New key, then save."
            )
        finally:
            await client.aclose()
        return True, f"Connection OK: {profile.base_url} accepted the key {masked}."

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
    async def delete(self, name: str) -> str:
        ctx = self.ctx
        settings = ctx.settings.without_profile(name)
        await asyncio.to_thread(save_settings, settings, ctx.config_path)
        ctx.settings = settings
        await asyncio.to_thread(credentials.delete_key, name)
        return name

    def _deleted(self, name: str) -> None:
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
    async def remove_key(self, name: str) -> tuple[str, bool]:
        return name, await asyncio.to_thread(credentials.delete_key, name)

    # --- the theme ------------------------------------------------------------------

    @on(Select.Changed, "#settings-theme")
    def _theme_changed(self, event: Select.Changed) -> None:
        theme = event.value
        if isinstance(theme, str) and theme != self.ctx.settings.theme:
            self.app.theme = theme
            self.save_theme(theme)

    @work(exclusive=True, group=THEME, exit_on_error=False)
    async def save_theme(self, theme: str) -> str:
        ctx = self.ctx
        settings = ctx.settings.model_copy(update={"theme": theme})
        await asyncio.to_thread(save_settings, settings, ctx.config_path)
        ctx.settings = settings
        return theme

    # --- buttons, results, messages ---------------------------------------------------

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {
            "settings-save": self.action_save,
            "settings-use": self.action_use_profile,
            "settings-test": self.action_test_connection,
            "settings-remove-key": self.action_remove_key,
            "settings-delete": self.action_delete_profile,
        }
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def work_succeeded(self, group: str, result: Any) -> None:
        if group == KEY:
            name, status = result
            if name == self.selected:
                self._show_key(status)
        elif group == SAVE:
            self._saved(result)
        elif group == USE:
            self._fill_list()
            self._say(f"Now using profile '{result.name}' ({result.mode}); it is the default.")
        elif group == TEST:
            accepted, message = result
            self._say(message if accepted else None)
            if not accepted:
                self.query_one(ErrorPanel).show_message("Key refused", message)
        elif group == DELETE:
            self._deleted(result)
        elif group == REMOVE_KEY:
            name, removed = result
            self._say(
                f"Removed the key of profile '{name}' from the OS keyring."
                if removed
                else f"Profile '{name}' had no key in the OS keyring."
            )
            if name == self.selected:
                self.read_key(name)
        elif group == THEME:
            self._say(f"Theme '{result}' saved.")

    def work_failed(self, group: str, error: BaseException) -> None:
        if isinstance(error, credentials.InvalidKeyError) and group in (SAVE, TEST):
            self._errors({"key": str(error)})
            self._say(None)
            return
        if group == KEY:
            self.query_one("#profile-key-shown", Label).update("unavailable (no usable keyring)")
        self._say(None)
        self.query_one(ErrorPanel).show_message(*describe_error(error))

    def _say(self, message: str | None) -> None:
        """A status line (None clears it, and any problem shown)."""
        status = self.query_one("#settings-status", Label)
        status.update(message or "")
        status.display = message is not None
        self.query_one(ErrorPanel).clear()

    def _errors(self, errors: dict[str, str]) -> None:
        """Messages under the name, base URL and key fields (others cleared)."""
        for field, widget_id in FIELDS.items():
            label = self.query_one(f"#{widget_id}-error", Label)
            message = errors.get(field)
            label.update(message or "")
            label.display = message is not None
        unplaced = [f"{field}: {text}" for field, text in errors.items() if field not in FIELDS]
        if unplaced:
            self.query_one("#profile-base-url-error", Label).update("; ".join(unplaced))
            self.query_one("#profile-base-url-error").display = True
