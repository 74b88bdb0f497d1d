"""`ProfileForm`: the settings screen's form of one profile (name, base URL, mode, its key
shown masked, a new key) with its buttons, and the profile it describes read back, each
problem shown under its field.

It reads and writes only its own fields: saving, testing and the keyring are the
settings screen's workers.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from console import credentials
from console.api.models import field_errors
from console.config import MODES, Profile

FIELDS = {"name": "profile-name", "base_url": "profile-base-url", "key": "profile-key"}
"""Which error line under the form a field's message goes to."""

BUTTONS = (
    ("Save ^s", "settings-save", "save"),
    ("Use ^o", "settings-use", "use_profile"),
    ("Test ^t", "settings-test", "test_connection"),
    ("Remove key ^r", "settings-remove-key", "remove_key"),
    ("Delete", "settings-delete", "delete_profile"),
)
"""(label, id, the settings screen's action it runs)."""


class ProfileForm(Vertical):
    """A saved profile shown for editing (its name fixed), or a new one being written."""

    SAVED_PROFILE_BUTTONS: ClassVar[tuple[str, ...]] = (
        "settings-use",
        "settings-remove-key",
        "settings-delete",
    )
    """Buttons of actions that apply to a saved profile, not to a new one."""

    def compose(self) -> ComposeResult:
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
            for label, button_id, action in BUTTONS:
                yield Button(
                    label,
                    id=button_id,
                    compact=True,
                    action=f"screen.{action}",
                    variant="error" if action == "delete_profile" else "default",
                )

    @staticmethod
    def _row(label: str, control: Widget) -> ComposeResult:
        with Horizontal(classes="settings-row"):
            yield Label(label, classes="settings-label")
            yield control

    def show_profile(self, profile: Profile) -> None:
        """Saved profile `profile`, its key not read yet ("…")."""
        self._fill(f"Profile '{profile.name}'", profile.name, profile.base_url, profile.mode)
        self.query_one("#profile-name", Input).disabled = True
        self.show_key(None)

    def show_new(self) -> None:
        """An empty form for a new profile, its name field focused."""
        self._fill("New profile", "", "", "test")
        name = self.query_one("#profile-name", Input)
        name.disabled = False
        self.query_one("#profile-key-shown", Label).update("none yet")
        name.focus()

    def _fill(self, title: str, name: str, base_url: str, mode: str) -> None:
        self.query_one("#settings-form-title", Label).update(title)
        self.query_one("#profile-name", Input).value = name
        self.query_one("#profile-base-url", Input).value = base_url
        self.query_one("#profile-mode", Select).value = mode
        self.query_one("#profile-key", Input).value = ""
        self.show_errors({})

    def show_key(self, status: credentials.KeyStatus | None) -> None:
        """The key stored for the profile (masked); None: not read yet."""
        shown = self.query_one("#profile-key-shown", Label)
        shown.update("…" if status is None else status.describe())

    def key_unavailable(self) -> None:
        self.query_one("#profile-key-shown", Label).update("unavailable (no usable keyring)")

    def enable_saved_actions(self, enabled: bool) -> None:
        for button_id in self.SAVED_PROFILE_BUTTONS:
            self.query_one(f"#{button_id}", Button).disabled = not enabled

    def profile(self, existing: Profile | None, names: set[str]) -> Profile | None:
        """The profile the form describes (over `existing`, the saved one shown, if any),
        or None with its errors shown under the fields; a new profile's name must not be
        one of `names`."""
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
            self.show_errors(dict(field_errors(exc)))
            return None
        if existing is None and profile.name in names:
            self.show_errors({"name": f"There is already a profile named '{profile.name}'"})
            return None
        self.show_errors({})
        return profile

    def typed_key(self) -> str | None:
        """The key typed in the form (checked), '' when none was typed, None when invalid."""
        typed = self.query_one("#profile-key", Input).value
        if not typed.strip():
            return ""
        try:
            return credentials.check_key_shape(typed)
        except credentials.InvalidKeyError as exc:
            self.show_errors({"key": str(exc)})
            return None

    def show_errors(self, errors: dict[str, str]) -> None:
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
