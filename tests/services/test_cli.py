"""The command line end to end, in subprocesses, against a sandbox on 127.0.0.1.

Subprocesses use a test keyring backend (tests/services/file_keyring.py) whose file lies
outside the config and data dirs, so the leak scan covers everything the console wrote.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from console import money
from console.cli import main
from console.config import (
    Profile,
    Settings,
    data_dir,
    default_config_path,
    load_settings,
    save_settings,
)
from console.display import NO_ID, NOT_AN_ID
from console.journal import Journal, JournalEntry, default_journal_path
from console.sandbox.faults import Faults
from console.sandbox.server import SandboxServer
from tests.services.cli_runner import Runner

UNREACHABLE = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("sandbox") / "sandbox.db") as server:
        yield server


@pytest.fixture
def cli(isolated_dirs: Path, tmp_path: Path) -> Runner:
    return Runner(home=isolated_dirs, keyring_file=tmp_path / "test-keyring.json")


def logged_in(cli: Runner, server: SandboxServer, name: str = "local") -> None:
    """A profile with its key, set up directly (the login test covers the command)."""
    profile = Profile(name=name, base_url=server.base_url, mode="sandbox")
    save_settings(Settings().with_profile(profile))
    cli.keyring_file.write_text(json.dumps({f"payments-console/{name}": server.api_key}))


def one_line_error(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("payments-console")
    assert "error:" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def secret_windows(key: str) -> list[str]:
    """Every 8-character piece of the key's secret part (a mask shows only 4)."""
    secret = key.removeprefix("sk_test_")
    return [secret[i : i + 8] for i in range(len(secret) - 7)]


def test_login_pay_get_refund_and_nothing_leaks(cli: Runner, server: SandboxServer) -> None:
    key = server.api_key
    out = cli.ok("login", "--profile", "local", "--base-url", server.base_url, stdin=key + "\n")
    assert "profile 'local' (sandbox mode" in out
    assert f"sk_test_…{key[-4:]}" in out

    status = cli.ok("status")
    assert "* local  sandbox" in status
    assert server.base_url in status
    assert f"sk_test_…{key[-4:]} (keyring)" in status

    human = cli.ok("pay", "--amount", "10.00", "--currency", "usd", "--source", "tok_visa",
                   "--description", "Order 12345")  # fmt: skip
    assert "succeeded  USD 10.00" in human
    assert "description  Order 12345" in human

    paid = money.loads(cli.ok("pay", "--amount", "1,234.50", "--source", "tok_visa", "--json"))
    assert isinstance(paid["amount"], Decimal)
    assert str(paid["amount"]) == "1234.50"
    assert (paid["currency"], paid["status"]) == ("USD", "succeeded")
    payment_id = paid["id"]

    fetched = money.loads(cli.ok("get", payment_id, "--json"))
    assert fetched["id"] == payment_id
    assert fetched["amount"] == Decimal("1234.50")

    refund = money.loads(cli.ok("refund", payment_id, "--amount", "234.50", "--json"))
    assert (refund["payment_id"], str(refund["amount"])) == (payment_id, "234.50")
    rest = cli.ok("refund", payment_id)
    assert f"USD 1,000.00 of {payment_id}" in rest

    shown = cli.ok("get", payment_id)
    assert "refunded     USD 1,234.50" in shown
    refund_shown = money.loads(cli.ok("get", refund["id"], "--json"))
    assert refund_shown["id"] == refund["id"]
    assert f"succeeded  USD 234.50 of {payment_id}" in cli.ok("get", refund["id"])

    declined = cli("pay", "--amount", "5", "--source", "tok_chargeDeclined")
    one_line_error(declined, 1, "declined", "payment pay_")

    # The journal recorded every CLI operation.
    with Journal(default_journal_path()) as journal:
        kinds = [(e.kind, e.status, str(e.amount)) for e in journal.recent()]
    assert kinds == [
        ("payment", "failed", "5.00"),
        ("refund", "succeeded", "1000.00"),
        ("refund", "succeeded", "234.50"),
        ("payment", "succeeded", "1234.50"),
        ("payment", "succeeded", "10.00"),
    ]

    assert "Removed the API key of profile 'local'" in cli.ok("logout")
    assert "no key (run login)" in cli.ok("status")

    # Leak scan: the key is in no file under the config and data dirs, in no output.
    files = [p for d in (default_config_path().parent, data_dir()) for p in d.rglob("*")]
    files = [p for p in files if p.is_file()]
    assert any(p.name == "config.toml" for p in files)
    assert any(p.name.startswith("journal") for p in files)
    windows = secret_windows(key)
    for path in files:
        data = path.read_bytes().decode("utf-8", "replace")
        assert not [w for w in windows if w in data], f"key material in {path}"
    for output in cli.outputs:
        assert not [w for w in windows if w in output], f"key material in output: {output}"


def test_login_reads_the_key_from_stdin_only(cli: Runner, server: SandboxServer) -> None:
    result = cli("login", "--base-url", server.base_url, server.api_key)
    one_line_error(result, 2, "unrecognized arguments", "an API key is never an argument")
    assert server.api_key not in result.stderr
    assert f"sk_test_…{server.api_key[-4:]}" in result.stderr


def test_login_keeps_an_existing_profile_and_warns_on_mode_mismatch(
    cli: Runner, server: SandboxServer
) -> None:
    logged_in(cli, server)
    result = cli("login", "--profile", "local", "--mode", "live", stdin=server.api_key)
    assert result.returncode == 0, result.stderr
    assert "warning: This is a test-mode key" in result.stderr
    assert "profile 'local' is in live mode" in result.stderr
    assert "(live mode" in result.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "code", "fragments"),
    [
        (["pay", "--amount", "10"], None, 2, ["required: --source"]),
        (["pay", "--source", "tok_visa"], None, 2, ["required: --amount"]),
        (["pay", "--amount", "ten", "--source", "tok_visa"], None, 2, ["--amount: Amount must"]),
        (["pay", "--amount", "1.001", "--source", "tok_visa"], None, 2, ["at most 2 decimal"]),
        (["pay", "--amount", "-5", "--source", "tok_visa"], None, 2, ["greater than zero"]),
        (["pay", "--amount", "5", "--currency", "XYZ", "--source", "tok_visa"], None, 2,
         ["Unknown currency"]),
        (["pay", "--profile", "nope", "--amount", "1", "--source", "tok_visa"], None, 2,
         ["Unknown profile 'nope' (known: local)"]),
        (["--profile", "nope", "get", "pay_1"], None, 2, ["Unknown profile 'nope'"]),
        (["refund", "pay_1", "--idempotency-key", "has space"], None, 2, ["--idempotency-key"]),
        (["get"], None, 2, ["required: ID"]),
        (["frobnicate"], None, 2, ["invalid choice"]),
        (["get", "pay_doesnotexist"], None, 1, ["Payment not found"]),
        (["get", "refund_doesnotexist"], None, 1, ["Refund not found"]),
        (["get", "hello"], None, 2, [NOT_AN_ID]),  # the shape Find checks too, before asking
        (["refund", "pay_doesnotexist"], None, 1, ["Payment not found"]),
        (["login", "--profile", "new"], "sk_test_whatever1234", 2, ["--base-url is required"]),
        (["login", "--profile", "new", "--base-url", "http://api.example.com"], "sk_x1234567", 2,
         ["https"]),
        (["login"], "", 2, ["Not an API key"]),
        (["login", "--profile", "my shop", "--base-url", "https://a.example"],
         "sk_test_whatever1234", 2, ["a profile name is"]),
        (["login"], "sk_test_RejectedByTheSandbox0000\n", 1, ["rejected this key"]),
    ],
)  # fmt: skip
def test_bad_inputs(
    cli: Runner,
    server: SandboxServer,
    args: list[str],
    stdin: str | None,
    code: int,
    fragments: list[str],
) -> None:
    logged_in(cli, server)
    one_line_error(cli(*args, stdin=stdin), code, *fragments)


def test_ctrl_c_during_a_payment_leaves_it_unknown(cli: Runner, tmp_path: Path) -> None:
    slow = SandboxServer(tmp_path / "slow.db", faults=Faults(latency_ms=5000))
    with slow:
        logged_in(cli, slow)
        process = subprocess.Popen(
            [sys.executable, "-m", "console", "pay", "--amount", "3", "--source", "tok_visa",
             "--idempotency-key", "order-7"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=cli.env(), cwd=cli.home,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not default_journal_path().exists() or not _entries():
            assert time.monotonic() < deadline, "the payment was never journaled"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 4
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("payments-console: error: Interrupted (SIGINT) while the request")
    assert "idempotency key order-7" in line
    assert (
        "(payments-console pay --amount 3.00 --currency USD --source tok_visa "
        "--idempotency-key order-7)"
    ) in line
    [entry] = _entries()
    assert (entry.status, entry.idempotency_key) == ("unknown", "order-7")
    # Re-running it as the message says settles that same entry, and pays once.
    with SandboxServer(tmp_path / "slow.db") as healthy:
        logged_in(cli, healthy)
        cli.ok("pay", "--amount", "3", "--source", "tok_visa", "--idempotency-key", "order-7")
    [settled] = _entries()
    assert (settled.id, settled.status) == (entry.id, "succeeded")
    with sqlite3.connect(tmp_path / "slow.db") as db:
        assert db.execute("SELECT count(*) FROM payments").fetchone() == (1,)
    assert healthy.api_key == slow.api_key


def _entries() -> list[JournalEntry]:
    with Journal(default_journal_path()) as journal:
        return journal.recent()


def test_unreachable_api(cli: Runner, server: SandboxServer) -> None:
    save_settings(Settings().with_profile(Profile(name="gone", base_url=UNREACHABLE, mode="test")))
    login = cli("login", stdin="sk_test_Unreachable000000001")
    one_line_error(login, 3, "Could not connect")
    env_key = {"PAYMENTS_API_KEY": "sk_test_Unreachable000000001"}
    result = cli("pay", "--amount", "1", "--source", "tok_visa", **env_key)
    one_line_error(result, 3, "Could not connect")


def test_missing_key_and_missing_keyring(cli: Runner, server: SandboxServer) -> None:
    logged_in(cli, server)
    cli.keyring_file.unlink()
    one_line_error(cli("get", "pay_1"), 2, "No API key for profile 'local'", "login")
    fail = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    # With the variable set, the commands work without any keyring.
    result = cli("get", "pay_doesnotexist", PAYMENTS_API_KEY=server.api_key, **fail)
    one_line_error(result, 1, "Payment not found")
    status = cli("status", PAYMENTS_API_KEY=server.api_key, **fail)
    assert status.returncode == 0
    assert "(PAYMENTS_API_KEY)" in status.stdout


NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_login_without_a_keyring_saves_the_profile_and_says_what_to_run(
    cli: Runner, server: SandboxServer
) -> None:
    login = cli("login", "--profile", "shop", "--base-url", server.base_url,
                stdin=server.api_key, **NO_KEYRING)  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert "profile 'shop'" in login.stdout and "the key was not stored" in login.stdout
    assert "no usable OS keyring" in login.stdout
    assert "read -rs PAYMENTS_API_KEY && export PAYMENTS_API_KEY && payments-console " \
        "--profile shop" in login.stdout  # fmt: skip
    assert server.api_key not in login.stdout + login.stderr
    assert not cli.keyring_file.exists()
    assert "shop" in load_settings().profiles
    # The advice works: with the variable set, the saved profile is used.
    found = cli("get", "pay_doesnotexist", PAYMENTS_API_KEY=server.api_key, **NO_KEYRING)
    one_line_error(found, 1, "Payment not found")


def test_login_with_the_key_in_the_environment_says_it_is_used(
    cli: Runner, server: SandboxServer
) -> None:
    env = {"PAYMENTS_API_KEY": server.api_key, **NO_KEYRING}
    login = cli("login", "--profile", "shop", "--base-url", server.base_url, stdin="", **env)
    assert login.returncode == 0, login.stderr
    assert "PAYMENTS_API_KEY is set to this key and will be used" in login.stdout
    assert "Next: payments-console --profile shop" in login.stdout
    # With a keyring, another key in the variable is said to win over the stored one.
    other = cli("login", "--profile", "shop", stdin=server.api_key,
                PAYMENTS_API_KEY="sk_test_other123")  # fmt: skip
    assert other.returncode == 0, other.stderr
    assert "stored in the OS keyring" in other.stdout
    assert "PAYMENTS_API_KEY is set: it is used instead of this key" in other.stderr


def test_invalid_config_file(cli: Runner) -> None:
    path = default_config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.x]\nbase_url = "http://example.com"\nmode = "test"\n')
    one_line_error(cli("status"), 2, "Invalid settings", "https")
    other = cli.home / "other.toml"
    other.write_text("= broken")
    one_line_error(cli("--config", str(other), "status"), 2, "not valid TOML")


@pytest.mark.parametrize("command", [[], ["login"], ["logout"], ["status"], ["pay"], ["get"],
                                     ["refund"], ["sandbox"]])  # fmt: skip
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: payments-console {' '.join(command)}".rstrip())
    if command != ["sandbox"]:
        assert "Exit codes: 0 done; 1 the API refused" in " ".join(out.split())


def test_scripting_commands_import_no_ui_or_server(cli: Runner, server: SandboxServer) -> None:
    logged_in(cli, server)
    code = (
        "import sys\n"
        "from console.cli import main\n"
        "for args in (['status'], ['get', 'pay_missing'], ['pay', '--amount', '1',"
        " '--source', 'tok_visa']):\n"
        "    main(args)\n"
        "heavy = [m for m in ('textual', 'fastapi', 'uvicorn', 'starlette') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli.env(), timeout=60
    )
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize(
    "command", [["get", "pay_x"], ["pay", "--amount", "1", "--source", "tok_visa"]]
)
def test_a_malformed_key_in_the_environment_is_one_line_not_a_traceback(
    cli: Runner, command: list[str]
) -> None:
    save_settings(Settings().with_profile(Profile(name="p", base_url=UNREACHABLE, mode="test")))
    result = cli(*command, PAYMENTS_API_KEY="sk_test_abc defghijk")
    one_line_error(result, 2, "PAYMENTS_API_KEY")
    assert "defghijk" not in result.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["login", "--api-key={key}"],
        ["get", "--key={key}", "pay_1"],
        ["pay", "--amount", "1", "--source", "tok_visa", "--token='{key}'"],
    ],
)
def test_a_key_glued_to_an_unknown_option_is_masked_in_the_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    key = "sk_test_" + "a1b2c3d4" * 4
    with pytest.raises(SystemExit) as exited:
        main([word.format(key=key) for word in argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert key not in err and "a1b2c3d4a1b2" not in err
    assert "sk_test_…c3d4" in err


def test_a_key_given_as_a_profile_name_is_masked_in_the_error(
    isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_settings(Settings().with_profile(Profile(name="p", base_url=UNREACHABLE, mode="test")))
    key = "sk_test_" + "a1b2c3d4" * 4
    assert main(["get", "pay_1", "--profile", key]) == 2
    err = capsys.readouterr().err
    assert "Unknown profile" in err
    assert key not in err and "a1b2c3d4a1b2" not in err


def test_an_unusable_journal_is_one_line_not_a_traceback(
    isolated_dirs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    save_settings(Settings().with_profile(Profile(name="p", base_url=UNREACHABLE, mode="test")))
    monkeypatch.setenv("PAYMENTS_API_KEY", "sk_test_" + "a1b2c3d4" * 4)
    path = default_journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not a database\n" * 100)
    assert main(["pay", "--amount", "1", "--currency", "USD", "--source", "tok_visa"]) == 2
    err = capsys.readouterr().err
    assert "journal" in err and str(path) in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["get", ""], NO_ID),
        (["get", "  "], NO_ID),
        (["refund", "", "--amount", "1"], "required"),
        (["refund", " "], "required"),
    ],
)
def test_an_empty_id_is_a_usage_error_not_a_traceback(
    isolated_dirs: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    save_settings(Settings().with_profile(Profile(name="p", base_url=UNREACHABLE, mode="test")))
    monkeypatch.setenv("PAYMENTS_API_KEY", "sk_test_" + "a1b2c3d4" * 4)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err


def test_a_read_only_profile_never_pays_or_refunds(cli: Runner, server: SandboxServer) -> None:
    login = cli("login", "--profile", "audit", "--base-url", server.base_url, "--read-only",
                stdin=server.api_key)  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert "read-only" in login.stdout
    assert "read-only" in cli.ok("status")
    for command in (["pay", "--amount", "1.00", "--source", "tok_visa"], ["refund", "pay_1"]):
        one_line_error(cli(*command, "--profile", "audit"), 2, "Profile 'audit' is read-only")
    assert not default_journal_path().exists()  # nothing journaled, nothing sent
    one_line_error(cli("get", "pay_doesnotexist", "--profile", "audit"), 1, "Payment not found")
    # login --no-read-only makes it a profile that pays again.
    again = cli("login", "--profile", "audit", "--no-read-only", stdin=server.api_key)
    assert again.returncode == 0, again.stderr
    assert "read-only" not in cli.ok("status")
