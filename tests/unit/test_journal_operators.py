"""Who did it: every entry records its operator (the `operator` setting or
PAYMENTS_CONSOLE_OPERATOR, else the OS user) and host; the history filters by operator;
`history --operator` and the `journal` setting; a password in a journal URL is refused."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path

import pytest

from console.cli import main
from console.config import ConfigError, load_settings
from console.journal import Journal
from console.journal.export import Selection
from tests.unit.test_journal import T0, pay


def test_entries_record_their_operator_and_host(tmp_path: Path) -> None:
    with Journal(tmp_path / "a.sqlite3", operator="alice") as alice:
        entry = alice.get(pay(alice))
        assert entry is not None
        assert (entry.operator, entry.host) == ("alice", socket.gethostname())
        assert entry.sender == f"alice on {socket.gethostname()}"
    with Journal(tmp_path / "a.sqlite3") as anyone:  # no setting: the OS user
        later = anyone.get(pay(anyone, key="idem-2"))
        assert later is not None
        assert later.operator == getpass.getuser()
        assert anyone.get(entry.id) == entry  # reopening changes nobody's name


def test_the_history_filter_and_selection_find_an_operators_entries(tmp_path: Path) -> None:
    path = tmp_path / "team.sqlite3"
    with Journal(path, operator="alice") as alice, Journal(path, operator="bob") as bob:
        pay(alice, key="a-1")
        pay(bob, key="b-1")
        pay(alice, "25.00", key="a-2")
        assert [e.idempotency_key for e in bob.page("alice")] == ["a-2", "a-1"]
        assert [e.idempotency_key for e in bob.page("ALICE 25")] == ["a-2"]
        assert bob.count("bob") == 1
        chosen = bob.selected(Selection(operator="bob"))
        assert [e.idempotency_key for e in chosen] == ["b-1"]
        assert bob.selected(Selection(operator="Bob")) == []  # --operator is exact


def test_history_operator_reads_the_journal_the_settings_name(
    isolated_dirs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared.sqlite3"
    config = tmp_path / "settings.toml"
    config.write_text(f'journal = "{shared}"\noperator = "carol"\n')
    with Journal(shared, operator="alice") as alice, Journal(shared, operator="bob") as bob:
        pay(alice, key="a-1", at=T0)
        pay(bob, key="b-1", at=T0)
    assert main(["history", "--config", str(config), "--json", "--operator", "bob"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert (entry["idempotency_key"], entry["operator"]) == ("b-1", "bob")
    assert entry["host"] == socket.gethostname()
    argv = ["history", "--config", str(config), "--operator", "dave", "--status", "pending"]
    assert main(argv) == 0
    assert "no operation matches" in capsys.readouterr().err


def test_the_operator_and_journal_settings_and_their_variables(
    isolated_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('operator = "alice"\njournal = "postgresql://payments@db.internal/console"\n')
    settings = load_settings(config)
    assert (settings.operator, settings.journal) == (
        "alice",
        "postgresql://payments@db.internal/console",
    )
    assert settings.to_toml_data()["operator"] == "alice"
    monkeypatch.setenv("PAYMENTS_CONSOLE_OPERATOR", "bob")
    monkeypatch.setenv("PAYMENTS_CONSOLE_JOURNAL", str(tmp_path / "j.sqlite3"))
    overridden = load_settings(config)
    assert (overridden.operator, overridden.journal) == ("bob", str(tmp_path / "j.sqlite3"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'journal = "postgresql://payments:hunter2@db.internal/console"',
            "the URL holds a password, and passwords never go in the settings",
        ),
        (
            'journal = "postgresql://db.internal/console?password=hunter2"',
            "use ~/.pgpass, PGPASSWORD, or peer or certificate authentication",
        ),
        ('journal = "mysql://db.internal/console"', "a URL must be postgresql://"),
        ('operator = "alice smith"', "operator = 'alice smith': a name of 1 to 64"),
    ],
)
def test_a_password_in_the_url_or_a_bad_operator_is_refused_plainly(
    isolated_dirs: Path, tmp_path: Path, line: str, message: str
) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(line + "\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert message in str(refused.value)
    assert "hunter2" not in str(refused.value)
