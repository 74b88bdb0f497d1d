"""`ProfileForm`: the settings screen's form of one profile (every field of it, its key
shown masked, a new key) and the profile it describes read back, each problem shown
under its field; `ProfileActions`: the buttons that run the screen's actions.

The fields are the rows of `FIELDS`, one per `console.config.Profile` field: a new field
is one row there and, if its control is of a new kind, one line in `_shown`. The form
reads and writes only its own fields: saving, testing and the keyring are the settings
screen's workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select

from console import credentials
from console.api.models import field_errors
from console.config import MODES, Profile
from console.widgets.currency import CurrencySelect

Control = Input | Select[str] | Checkbox
"""What a field is edited with (a `value` of the field's type, or text to parse)."""


def _compact(select: Select[str]) -> Select[str]:
    select.compact = True
    return select


@dataclass(frozen=True)
class ProfileField:
    """One row of the form: a `Profile` field, its label, its control and what follows it."""

    name: str
    label: str
    control: Callable[[str], Control]
    """Builds the control, given its id."""
    unit: str = ""
    message: str | None = None
    """Said under the field instead of the validator's own words."""

    @property
    def id(self) -> str:
        return "profile-" + self.name.replace("_", "-")


FIELDS = (
    ProfileField("name", "Name", lambda id: Input(placeholder="e.g. shop", id=id, compact=True)),
    ProfileField(
        "base_url",
        "Base URL",
        lambda id: Input(placeholder="e.g. https://api.example.com/v1", id=id, compact=True),
    ),
    ProfileField(
        "mode",
        "Mode",
        lambda id: Select([(mode, mode) for mode in MODES], allow_blank=False, id=id, compact=True),
    ),
    ProfileField(
        "timeout",
        "Timeout",
        lambda id: Input(id=id, compact=True),
        unit="seconds",
        message="the seconds to wait for the API: a number above 0, at most 300",
    ),
    ProfileField(
        "currency",
        "Currency",
        lambda id: _compact(CurrencySelect("USD", id=id)),
        unit="new payments",
    ),
    ProfileField(
        "read_only",
        "Read-only",
        lambda id: Checkbox("never pays or refunds", id=id, compact=True),
    ),
)
"""The profile's fields, in the order shown."""

KEY_ERROR = "profile-key-error"

BUTTONS = (
    ("Save ^s", "settings-save", "save"),
    ("Use ^o", "settings-use", "use_profile"),
    ("Test ^t", "settings-test", "test_connection"),
    ("Remove key ^r", "settings-remove-key", "remove_key"),
    ("Delete", "settings-delete", "delete_profile"),
)
"""(label, id, the settings screen's action it runs)."""


class ProfileForm(Vertical):
    """A saved profile shown for editing, or a new one being written."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.controls: dict[str, Control] = {}
        """The control of each field, by the field's name."""

    def compose(self) -> ComposeResult:
        yield Label("", id="settings-form-title", classes="section-title")
        for field in FIELDS:
            self.controls[field.name] = control = field.control(field.id)
            yield from _row(field.label, control, field.unit)
            yield Label("", id=f"{field.id}-error", classes="profile-error")
        yield from _row("API key", Label("", id="profile-key-shown"))
        yield from _row(
            "New key",
            Input(
                placeholder="paste a key to set or replace it",
                password=True,
                id="profile-key",
                compact=True,
            ),
        )
        yield Label("", id=KEY_ERROR, classes="profile-error")

    def show_profile(self, profile: Profile) -> None:
        """Saved profile `profile`, its key not read yet ("…")."""
        self._fill(f"Profile '{profile.name}'", profile.model_dump())
        self.show_key(None)

    def show_new(
        self, title: str = "New profile", start: Mapping[str, object] | None = None
    ) -> None:
        """A form for a new profile (its fields as in `start`, else empty or the model's
        defaults), its name focused."""
        self._fill(title, {**_new_profile_values(), **(start or {})})
        self.show_key_note("none yet")
        self.query_one("#profile-name", Input).focus()

    def _fill(self, title: str, values: Mapping[str, object]) -> None:
        self.query_one("#settings-form-title", Label).update(title)
        for name, control in self.controls.items():
            _shown(control, values[name])
        self.query_one("#profile-key", Input).value = ""
        self.show_errors({})

    def show_key(self, status: credentials.KeyStatus | None) -> None:
        """The key stored for the profile (masked); None: not read yet."""
        shown = self.query_one("#profile-key-shown", Label)
        shown.update("…" if status is None else status.describe())

    def key_unavailable(self) -> None:
        self.show_key_note("unavailable: no usable OS keyring")

    def show_key_note(self, note: str) -> None:
        """`note` where the stored key is shown (e.g. where a new key will be kept)."""
        self.query_one("#profile-key-shown", Label).update(note)

    def read(self, existing: Profile | None, names: set[str]) -> tuple[Profile, str] | None:
        """The profile the form describes (over `existing`, the saved one shown, if any)
        and the key typed ('' for none), or None with every problem shown under its
        field; the profile's name must not be another's (one of `names`)."""
        errors: dict[str, str] = {}
        typed = {name: control.value for name, control in self.controls.items()}
        profile = None
        try:
            profile = Profile(**{**(existing.model_dump() if existing else {}), **typed})
        except ValidationError as exc:
            errors.update(field_errors(exc))
        if profile and profile.name in names and (not existing or existing.name != profile.name):
            errors["name"] = f"There is already a profile named '{profile.name}'"
        key = self.query_one("#profile-key", Input).value
        try:
            key = credentials.check_key_shape(key) if key.strip() else ""
        except credentials.InvalidKeyError as exc:
            errors["key"] = str(exc)
        self.show_errors(errors)
        return None if errors or profile is None else (profile, key)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field (others cleared); one of no field under the first."""
        placed = {field.name for field in FIELDS} | {"key"}
        unplaced = [f"{name}: {text}" for name, text in errors.items() if name not in placed]
        for field in FIELDS:
            message = errors.get(field.name)
            if message is not None:
                message = field.message or message
            elif unplaced and field is FIELDS[0]:
                message = "; ".join(unplaced)
            _error(self.query_one(f"#{field.id}-error", Label), message)
        _error(self.query_one(f"#{KEY_ERROR}", Label), errors.get("key"))


class ProfileActions(Horizontal):
    """The form's buttons; those that need a saved profile greyed out for a new one."""

    SAVED_PROFILE_BUTTONS: ClassVar[tuple[str, ...]] = (
        "settings-use",
        "settings-remove-key",
        "settings-delete",
    )

    def compose(self) -> ComposeResult:
        for label, button_id, action in BUTTONS:
            yield Button(
                label,
                id=button_id,
                compact=True,
                action=f"screen.{action}",
                variant="error" if action == "delete_profile" else "default",
            )

    def enable_saved_actions(self, enabled: bool) -> None:
        for button_id in self.SAVED_PROFILE_BUTTONS:
            self.query_one(f"#{button_id}", Button).disabled = not enabled


def _new_profile_values() -> dict[str, object]:
    """What a new profile's form starts with: the model's defaults, in test mode."""
    defaults = {
        name: info.default for name, info in Profile.model_fields.items() if not info.is_required()
    }
    return {"name": "", "base_url": "", "mode": "test", **defaults}


def _row(label: str, control: Widget, unit: str = "") -> ComposeResult:
    with Horizontal(classes="profile-row"):
        yield Label(label, classes="profile-label")
        yield control
        if unit:
            yield Label(unit, classes="profile-unit")


def _shown(control: Control, value: object) -> None:
    """Put `value` in `control`: a timeout as '10' or '2.5', a mode or currency as it is,
    read-only ticked or not."""
    if isinstance(control, Checkbox):
        control.value = bool(value)
    elif isinstance(control, Input):
        control.value = f"{value:g}" if isinstance(value, float) else str(value)
    else:
        control.value = str(value)


def _error(label: Label, message: str | None) -> None:
    label.update(message or "")
    label.display = message is not None
