"""`payments-console history`: the journal's operations as lines, JSON or a CSV file,
read from the real journal file that payments through an in-process sandbox wrote."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from console import money
from console.api.client import PaymentsClient
from console.api.models import PaymentCreate, RefundCreate
from console.cli import main
from console.config import Profile, Settings, save_settings
from console.journal import CSV_HEADER, Journal, default_journal_path
from console.operations import OperationFailed, Operations
from console.sandbox.app import create_app
from screenshots.scenarios import SequentialIds, TickingClock


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    default_journal_path().parent.mkdir(parents=True)
    with Journal(default_journal_path()) as journal:
        yield journal


async def record(journal: Journal, tmp_path: Path, profile: str = "shop") -> None:
    """A payment, its refund, an expired card and (another profile's) payment."""
    sandbox = create_app(tmp_path / "sandbox.db", id_factory=SequentialIds())
    client = PaymentsClient(
        "http://127.0.0.1/v1", sandbox.state.api_key, transport=httpx.ASGITransport(app=sandbox)
    )
    clock = TickingClock()
    shop = Operations(client, journal, profile, clock)
    paid = await shop.create_payment(
        PaymentCreate(
            amount=Decimal("100.00"), currency="USD", source="tok_visa", description="Order 1"
        )
    )
    await shop.create_refund(RefundCreate(payment_id=paid.result.id, amount=Decimal("25.00")))
    with pytest.raises(OperationFailed):
        await shop.create_payment(
            PaymentCreate(
                amount=Decimal("12.00"),
                currency="USD",
                source="tok_chargeDeclinedExpiredCard",
                description="=Order 2",
            )
        )
    await Operations(client, journal, "other", clock).create_payment(
        PaymentCreate(amount=Decimal("7.00"), currency="EUR", source="tok_visa")
    )
    await client.aclose()
    sandbox.state.store.close()


def shop_is_default() -> None:
    profile = Profile(name="shop", base_url="http://127.0.0.1:9/v1", mode="sandbox")
    save_settings(Settings().with_profile(profile, make_default=True))


async def test_lines_newest_first_with_a_declines_reason(
    journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await record(journal, tmp_path)
    shop_is_default()
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[3:] for line in lines] == [
        ["payment", "pay_0002", "USD", "12.00", "failed", "Your", "card", "has", "expired.",
         "(decline", "code", "expired_card)", "·", "=Order", "2"],
        ["refund", "pay_0001", "USD", "25.00", "succeeded"],
        ["payment", "pay_0001", "USD", "100.00", "succeeded", "Order", "1"],
    ]  # fmt: skip
    local = journal.recent(1, profile="shop")[0].created_at.astimezone()
    assert lines[0].startswith(f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}  payment  pay_0002 ")


async def test_json_is_exact_and_filtered_by_status_since_and_limit(
    journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await record(journal, tmp_path)
    shop_is_default()
    assert main(["history", "--json", "--status", "failed"]) == 0
    [declined] = money.loads(capsys.readouterr().out)
    assert declined["amount"] == Decimal("12.00")
    assert (declined["source"], declined["description"]) == (
        "tok_chargeDeclinedExpiredCard",
        "=Order 2",
    )
    assert (declined["error"], declined["decline_code"]) == (
        "Your card has expired.",
        "expired_card",
    )
    refunded = journal.recent(2, profile="shop")[1].created_at
    assert main(["history", "--json", "--since", refunded.isoformat()]) == 0
    assert [entry["kind"] for entry in json.loads(capsys.readouterr().out)] == ["payment", "refund"]
    assert main(["history", "--json", "--limit", "1", "--profile", "other"]) == 0
    [other] = json.loads(capsys.readouterr().out)
    assert (other["profile"], other["currency"]) == ("other", "EUR")


async def test_output_writes_csv_with_description_source_and_decline_code(
    journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await record(journal, tmp_path)
    shop_is_default()
    path = tmp_path / "march.csv"
    assert main(["history", "--output", str(path)]) == 0
    assert capsys.readouterr().out == f"Exported 3 operations to {path}\n"
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == CSV_HEADER
    assert [(row["description"], row["source"], row["decline_code"]) for row in rows] == [
        ("'=Order 2", "tok_chargeDeclinedExpiredCard", "expired_card"),  # a formula defused
        ("", "", ""),
        ("Order 1", "tok_visa", ""),
    ]
    assert main(["history", "--output", str(path), "--status", "succeeded", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"exported": 2, "path": str(path)}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "last week"], "'last week' is not a date: use YYYY-MM-DD"),
        (["--limit", "0"], "--limit: must be at least 1"),
        (["--status", "done"], "invalid choice: 'done'"),
    ],
)
def test_bad_options_are_one_line_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["history", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_an_output_without_its_directory_writes_nothing(
    journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "x.csv"
    assert main(["history", "--profile", "shop", "--output", str(missing)]) == 2
    assert f"there is no directory {missing.parent}" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_a_damaged_journal_is_left_as_it_was(capsys: pytest.CaptureFixture[str]) -> None:
    path = default_journal_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database")
    assert main(["history", "--profile", "shop"]) == 2
    assert "it is not a SQLite database" in capsys.readouterr().err
    assert path.read_bytes() == b"not a database"


def test_nothing_recorded_lists_nothing(
    journal: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--profile", "sandbox"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "no operation on profile 'sandbox' matches" in err
