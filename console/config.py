"""Settings and profiles (base URL, mode) — never secrets.

The file is TOML in the platformdirs user config dir (or `--config PATH`)::

    default_profile = "shop"
    theme = "textual-dark"
    operator = "alice"                                   # who you are in the journal
    journal = "postgresql://payments@db.internal/console"  # a shared journal (optional)

    [profiles.shop]
    base_url = "https://api.paymentprocessing.com/v1"
    mode = "live"

Environment variables prefixed `PAYMENTS_CONSOLE_` override the file for one run
(`PAYMENTS_CONSOLE_DEFAULT_PROFILE`, `PAYMENTS_CONSOLE_THEME`, `PAYMENTS_CONSOLE_OPERATOR`,
`PAYMENTS_CONSOLE_JOURNAL`, or `PAYMENTS_CONSOLE_PROFILES` as JSON). The operator defaults
to the OS user name; the journal to the SQLite file in the data dir (`journal` is a
`postgresql://` URL, never with a password in it, or a file path). API keys live in the OS keyring
(`console.credentials`); a key-like field in the file is refused, never read or written.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from console.modes import MODES, Mode
from console.paths import data_dir, default_config_path, os_error_problem
from console.profile import Profile, refuse_secrets
from console.wire.base_url import check_base_url as check_base_url
from console.wire.models import describe

__all__ = [
    "DEFAULT_THEME",
    "ENV_PREFIX",
    "MODES",
    "ConfigError",
    "Mode",
    "Profile",
    "Settings",
    "SettingsWriteError",
    "UnknownProfileError",
    "check_base_url",
    "data_dir",
    "default_config_path",
    "is_journal_url",
    "journal_url_problem",
    "load_settings",
    "read_config_file",
    "save_settings",
    "saving_settings",
]

ENV_PREFIX = "PAYMENTS_CONSOLE_"
DEFAULT_THEME = "textual-dark"

_PROFILES_EXAMPLE = '{"shop": {"base_url": "https://api.example.com/v1", "mode": "live"}}'
_FIELD_IN_SETTINGS_ERROR = re.compile(r'field "(\w+)"')


_KEY_NAME = re.compile(r"(?:(?:ctrl|shift|alt|meta|super|hyper)\+)*[a-z0-9_]{1,30}")
"""A key as Textual names it: 'n', 'ctrl+n', 'f2', 'question_mark', 'shift+tab'."""


_OPERATOR = re.compile(r"[\w.@-]{1,64}")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_journal_url(journal: str) -> bool:
    """Whether the `journal` setting names a PostgreSQL database (not a SQLite file)."""
    return journal.partition("://")[0].lower() in _POSTGRES_SCHEMES


def journal_url_problem(journal: str) -> str | None:
    """Why the `journal` setting cannot be used (None: it can): a URL of another
    scheme, or one with a password in it (use ~/.pgpass, PGPASSWORD, peer or
    certificate authentication)."""
    if "://" not in journal:
        return None if journal.strip() else "name a postgresql:// URL or a file path"
    if not is_journal_url(journal):
        return "a URL must be postgresql://user@host/database"
    from urllib.parse import parse_qs, urlsplit

    try:
        parts = urlsplit(journal)
        query = parse_qs(parts.query)
        has_password = parts.password is not None or "password" in query
    except ValueError:
        return "it is not a valid postgresql:// URL"
    if has_password:
        return (
            "the URL holds a password, and passwords never go in the settings: remove it "
            "and use ~/.pgpass, PGPASSWORD, or peer or certificate authentication"
        )
    return None


class ConfigError(Exception):
    """The configuration file or environment cannot be used; `str()` says why, plainly."""


class UnknownProfileError(ConfigError):
    """A profile name that is not in the settings (or no profile at all)."""


class SettingsWriteError(ConfigError, OSError):
    """The settings file could not be written (a full disk, a directory that is not
    writable...); `str()` says what to do. An OSError too, for callers that catch one."""


# The file load_settings is reading; a context variable so BaseSettings' source
# machinery stays intact (init kwargs > environment > file).
_reading: ContextVar[Path | None] = ContextVar("_reading", default=None)


class _TomlFileSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ below returns the whole mapping

    def __call__(self) -> dict[str, Any]:
        path = _reading.get()
        return {} if path is None else read_config_file(path)


class Settings(BaseSettings):
    """Profiles, the default profile and the theme."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    profiles: dict[str, Profile] = Field(default_factory=dict)
    default_profile: str | None = None
    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id to key(s), e.g. {"new_payment": "ctrl+n"}; the console checks the ids
    and that no key is given to two actions (`console.screens.registry.check_keymap`)."""
    operator: str | None = None
    """Who works this console, as the journal records it (None: the OS user name)."""
    journal: str | None = None
    """Where the journal is: a `postgresql://` URL (a shared journal) or a SQLite file
    path (None: the file in the data dir)."""

    @field_validator("operator")
    @classmethod
    def _operator(cls, operator: str | None) -> str | None:
        if operator is not None and not _OPERATOR.fullmatch(operator):
            raise ValueError(
                f"operator = {operator!r}: a name of 1 to 64 letters, digits, '.', '_', "
                "'-' or '@' (e.g. 'alice')"
            )
        return operator

    @field_validator("journal")
    @classmethod
    def _journal(cls, journal: str | None) -> str | None:
        if journal is not None:
            problem = journal_url_problem(journal)
            if problem is not None:
                raise ValueError(f"journal: {problem}")
        return journal

    @field_validator("keymap")
    @classmethod
    def _keys(cls, keymap: dict[str, str]) -> dict[str, str]:
        """Each value is one key or a comma-separated list, as Textual names keys."""
        for action, keys in keymap.items():
            names = [name.strip() for name in keys.split(",")]
            if not all(names) or any(not _KEY_NAME.fullmatch(name) for name in names):
                raise ValueError(
                    f"keymap.{action} = {keys!r}: name one key or several separated by "
                    "commas, as Textual does (e.g. 'ctrl+n', 'f2', 'n,ctrl+n')"
                )
        return {
            action: ",".join(name.strip() for name in keys.split(","))
            for action, keys in keymap.items()
        }

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TomlFileSource(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _name_profiles(cls, data: Any) -> Any:
        """Refuse secrets; give each profile its table name as `name`."""
        if not isinstance(data, dict):
            return data
        refuse_secrets(data, "the settings")
        profiles = data.get("profiles")
        if isinstance(profiles, dict):
            named: dict[str, Any] = {}
            for name, profile in profiles.items():
                if isinstance(profile, dict):
                    refuse_secrets(profile, f"profile '{name}'")
                    profile = {"name": name, **profile}
                elif isinstance(profile, Profile) and profile.name != name:
                    raise ValueError(f"profile '{profile.name}' is filed under '{name}'")
                named[name] = profile
            data = {**data, "profiles": named}
        return data

    @model_validator(mode="after")
    def _names_match(self) -> Settings:
        for name, profile in self.profiles.items():
            if profile.name != name:
                raise ValueError(f"profile '{profile.name}' is filed under '{name}'")
        return self

    def get_profile(self, name: str | None = None) -> Profile:
        """`name`, else the default profile, else the only profile there is."""
        chosen = name is not None
        if name is None:
            name = self.default_profile
        if name is None and len(self.profiles) == 1:
            name = next(iter(self.profiles))
        if name is None:
            if not self.profiles:
                raise UnknownProfileError(
                    "No profile is configured yet: run 'payments-console login' "
                    "or 'payments-console --sandbox'"
                )
            raise UnknownProfileError(
                f"No default profile: pick one with --profile ({', '.join(self.profiles)})"
            )
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(self.profiles) or "none configured"
            variable = None if chosen else _env_name("default_profile")
            where = f" in {variable}" if variable else ""
            raise UnknownProfileError(f"Unknown profile '{name}'{where} (known: {known})") from None

    def with_profile(self, profile: Profile, *, make_default: bool = False) -> Settings:
        """A copy with `profile` added or replaced (and the default when asked or unset)."""
        default = self.default_profile
        if make_default or default is None or default not in self.profiles:
            default = profile.name
        return self.model_copy(
            update={
                "profiles": {**self.profiles, profile.name: profile},
                "default_profile": default,
            }
        )

    def without_profile(self, name: str) -> Settings:
        """A copy without profile `name`; the default moves to another profile if needed."""
        profiles = {key: value for key, value in self.profiles.items() if key != name}
        default = self.default_profile
        if default == name:
            default = next(iter(profiles), None)
        return self.model_copy(update={"profiles": profiles, "default_profile": default})

    def to_toml_data(self) -> dict[str, Any]:
        """What the file holds: everything but the profiles' names (their table names)."""
        data: dict[str, Any] = {}
        if self.default_profile is not None:
            data["default_profile"] = self.default_profile
        data["theme"] = self.theme
        if self.keymap:
            data["keymap"] = dict(self.keymap)
        for name in ("operator", "journal"):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        data["profiles"] = {
            name: profile.model_dump(exclude={"name"}) for name, profile in self.profiles.items()
        }
        return data


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's TOML as a dict; {} when it does not exist."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}; fix it or move it aside") from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path} is not valid TOML: it is not UTF-8 text; fix it or move it aside"
        ) from None
    except OSError as exc:
        problem = os_error_problem(exc, path)
        raise ConfigError(f"Cannot read the settings at {path}: {problem}") from None


def load_settings(path: Path | None = None) -> Settings:
    """Settings from the file at `path` (default location if None), then the environment."""
    path = default_config_path() if path is None else Path(path)
    token = _reading.set(path)
    try:
        return Settings()
    except SettingsError as exc:  # a variable that is not the JSON its field needs
        raise ConfigError(_unparsable_variable(exc, path)) from None
    except ValidationError as exc:
        raise ConfigError(f"Invalid settings in {_sources(exc, path)}: {describe(exc)}") from None
    finally:
        _reading.reset(token)


def _env_name(field: str) -> str | None:
    """The environment variable that overrides `field`, as it is spelled there (the
    prefix is case-insensitive), or None."""
    wanted = f"{ENV_PREFIX}{field}".upper()
    return next((name for name in os.environ if name.upper() == wanted), None)


def _env_overridden(field: str) -> bool:
    return _env_name(field) is not None


def _unparsable_variable(exc: SettingsError, path: Path) -> str:
    """One line for a variable pydantic-settings could not parse as JSON (never its value,
    which may hold anything the user pasted)."""
    match = _FIELD_IN_SETTINGS_ERROR.search(str(exc))
    field = match.group(1) if match else "profiles"
    variable = _env_name(field) or f"{ENV_PREFIX}{field}".upper()
    cause = exc.__cause__
    reason = f"it is not valid JSON ({cause})" if cause is not None else "it is not valid JSON"
    if field == "profiles":
        wanted = f"a JSON object of profiles, e.g. {_PROFILES_EXAMPLE}"
    else:
        wanted = "JSON"
    return f"{variable} must be {wanted}: {reason}; fix it, or unset it to use {path}"


def _sources(exc: ValidationError, path: Path) -> str:
    """Where the invalid values came from: the file, and the variables that set the
    fields in error (every set variable when an error names no field)."""
    fields = [str(error["loc"][0]) if error["loc"] else None for error in exc.errors()]
    variables = [
        name
        for field in Settings.model_fields
        if (field in fields or None in fields) and (name := _env_name(field)) is not None
    ]
    return " or ".join([str(path), *variables])


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write `settings` atomically (temporary file in the same dir, then rename), mode 0600.

    A top-level field that an environment variable overrides keeps the value the file had,
    so a one-run override never becomes permanent by saving. A file that cannot be
    written (a full disk, a directory that is not writable or not a directory) is a
    SettingsWriteError (a ConfigError) saying what to do; the old file is left as it was.
    """
    with saving_settings(settings, path) as saved:
        return saved


@contextmanager
def saving_settings(settings: Settings, path: Path | None = None) -> Iterator[Path]:
    """`save_settings` in two steps: the new file is written in full (beside the old one)
    before the block runs, and replaces the old one only if the block succeeds.

    So what must go with the settings (a key in the keyring) is done only once they are
    safely on disk, and the settings do not change when it fails.
    """
    path = default_config_path() if path is None else Path(path)
    data = settings.to_toml_data()
    overridden = [field for field in Settings.model_fields if _env_overridden(field)]
    if overridden:
        on_disk = read_config_file(path)
        for field in overridden:
            data.pop(field, None)
            if field in on_disk:
                data[field] = on_disk[field]
    refuse_secrets(data, "the settings")
    try:
        temp = _write_temporary(data, path)
    except OSError as exc:
        raise _save_error(exc, path) from None
    try:
        yield path
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    try:
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _save_error(exc, path) from None


def _save_error(exc: OSError, path: Path) -> SettingsWriteError:
    return SettingsWriteError(f"Cannot save the settings at {path}: {os_error_problem(exc, path)}")


def _write_temporary(data: dict[str, Any], path: Path) -> Path:
    """`data` as TOML in a new file beside `path` (mode 0600, flushed to disk)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            tomli_w.dump(data, file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o600)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp
