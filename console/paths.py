"""Where the console keeps its files: the user config and data dirs (platformdirs).

Light on purpose: the command line shows the default settings path in `--help` without
loading the settings machinery (pydantic).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "payments-console"


def default_config_path() -> Path:
    """The settings file unless `--config` names another."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def data_dir() -> Path:
    """The user data dir (journal, embedded sandbox database)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
