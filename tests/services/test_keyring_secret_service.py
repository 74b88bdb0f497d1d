"""The key through a real Secret Service: gnome-keyring under a private D-Bus session.

Runs in a subprocess with a throwaway HOME, XDG_DATA_HOME and XDG_RUNTIME_DIR (mode 700),
so no keyring file survives. `make test` installs the Debian packages first
(scripts/system-deps.sh); the test is skipped only where they are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.fake_keys import live_key

TOOLS = ("dbus-run-session", "gnome-keyring-daemon", "secret-tool")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"{', '.join(MISSING)} not installed: run scripts/system-deps.sh (as root) "
    "to install dbus, gnome-keyring and libsecret-tools",
)

KEY = "sk_test_SecretServiceIntegration0042"
OTHER_KEY = live_key("StoredBySecretTool9999")

SCRIPT = textwrap.dedent(
    f"""
    import subprocess
    import keyring
    from console import credentials

    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService", backend

    def lookup(profile):
        found = subprocess.run(
            ["secret-tool", "lookup", "service", "payments-console", "username", profile],
            capture_output=True, text=True,
        )
        return found.stdout if found.returncode == 0 else None

    assert credentials.get_key("shop") is None
    credentials.set_key("shop", {KEY!r})
    assert credentials.get_key("shop") == {KEY!r}
    assert lookup("shop") == {KEY!r}, "secret-tool does not see the stored key"

    subprocess.run(
        ["secret-tool", "store", "--label=other", "service", "payments-console",
         "username", "other"],
        input={OTHER_KEY!r}, text=True, check=True,
    )
    assert credentials.get_key("other") == {OTHER_KEY!r}

    assert credentials.delete_key("shop") is True
    assert credentials.get_key("shop") is None
    assert lookup("shop") is None
    assert credentials.delete_key("shop") is False
    print("secret-service-ok")
    """
)


LOCKED_SCRIPT = textwrap.dedent(
    f"""
    from console import credentials

    actions = (lambda: credentials.set_key("shop", {KEY!r}), lambda: credentials.get_key("shop"))
    for action in actions:
        try:
            action()
        except credentials.KeyringUnavailableError as exc:
            assert "PAYMENTS_API_KEY" in str(exc) and {KEY!r} not in str(exc)
        else:
            raise AssertionError("a locked keyring was used")
    print("locked-keyring-refused")
    """
)


def run_in_session(base: Path, daemon: str, script: str) -> subprocess.CompletedProcess[str]:
    """Run `script` with a private D-Bus session and gnome-keyring started by `daemon`."""
    home, data, runtime = base / "home", base / "data", base / "run"
    for directory in (base, home, data, runtime):
        directory.mkdir(mode=0o700)
    runtime.chmod(0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(runtime),
        "LANG": "C.UTF-8",
        "PYTHON": sys.executable,
        "SCRIPT": script,
    }
    return subprocess.run(
        [
            "dbus-run-session",
            "--",
            "bash",
            "-c",
            f'{daemon} >/dev/null && exec "$PYTHON" -c "$SCRIPT"',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_store_read_delete_through_gnome_keyring(tmp_path: Path) -> None:
    base = tmp_path / "secret-service"
    unlocked = "printf pw | gnome-keyring-daemon --unlock --components=secrets"
    result = run_in_session(base, unlocked, SCRIPT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "secret-service-ok" in result.stdout
    # The keyring lived in the throwaway XDG_DATA_HOME, which pytest removes.
    assert any((base / "data" / "keyrings").iterdir())


def test_a_locked_keyring_is_reported_not_bypassed(tmp_path: Path) -> None:
    # Started without a password: no collection can be created or unlocked (no prompter).
    started = "gnome-keyring-daemon --start --components=secrets"
    result = run_in_session(tmp_path / "locked", started, LOCKED_SCRIPT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "locked-keyring-refused" in result.stdout
