"""Every message shown on a field's one-line error label fits that line at 100x30.

The messages come from the code that makes them (money, credentials, config, the
payment-ID and refund-amount checks), with the longest values they can name.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Label

from console import credentials, money
from console.config import Profile
from console.display import payment_id_error
from console.refunds import RefundFigures, check_refund_amount
from console.screens.confirm import LiveRefundConfirmScreen
from console.screens.new_payment import validate_payment
from console.screens.profile_form import KEY_ERROR, ProfileForm
from console.widgets.panels import FormField
from screenshots.scenarios import SIZE, Harness, seed_activity, settle

BIGGEST = Decimal("99999999.999")
"""The largest amount with the most decimals any currency allows (KWD)."""


def amount_errors() -> list[str]:
    errors = []
    for currency in ("USD", "JPY", "KWD"):
        for text in ("", "abc", "nan", "0", "1.2345", "123456789"):
            try:
                money.parse_amount(text, currency)
            except money.AmountError as exc:
                errors.append(str(exc))
    return errors


def payment_id_errors() -> list[str]:
    return [payment_id_error(""), payment_id_error("12345") or "", "Payment not found"]


def profile_errors(**fields: str) -> list[str]:
    try:
        Profile.model_validate(
            {"name": "shop", "base_url": "https://h/v1", "mode": "test", **fields}
        )
    except ValidationError as exc:
        return [str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()]
    raise AssertionError(f"{fields} is a valid profile")


def refund_amount_errors(figures: RefundFigures) -> list[str]:
    """What the amount field says of too much: with the biggest amounts, in KWD."""
    biggest = figures.payment.model_copy(update={"amount": BIGGEST, "currency": "KWD"})
    try:
        check_refund_amount(str(BIGGEST), RefundFigures(biggest, Decimal("0.001")))
    except money.AmountError as exc:
        return [*amount_errors(), str(exc)]
    raise AssertionError("more than remains was accepted")


def room(label: Widget) -> int:
    """How many cells the label's line has: its container's width less its own gutter."""
    assert label.parent is not None
    return label.parent.content_region.width - label.styles.gutter.width


async def assert_fit(pilot: Pilot[None], field_name: str, messages: list[str]) -> None:
    field = pilot.app.screen.query_one(f"#field-{field_name}", FormField)
    label = field.query_one(".field-error", Label)
    for message in messages:
        field.set_error(message)
        await pilot.pause()
        assert cell_len(message) <= room(label), f"{field_name}: {message!r} is cut off"
    field.set_error(None)


async def test_payment_and_refund_field_errors_fit(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await assert_fit(pilot, "payment-id", payment_id_errors())
        await pilot.press("escape", "n")
        await pilot.pause()
        source = validate_payment("1", "USD", "", "")[1]["source"]
        await assert_fit(pilot, "amount", amount_errors())
        await assert_fit(pilot, "source", [source])
        await pilot.press("escape")
        await seed_activity(app)
        await pilot.press("r", *"pay_0001", "enter")
        await settle(pilot)
        figures = getattr(app.screen, "figures", None)
        assert isinstance(figures, RefundFigures)
        await assert_fit(pilot, "refund-payment-id", payment_id_errors())
        await assert_fit(pilot, "refund-amount", refund_amount_errors(figures))


async def test_live_refund_confirmation_error_fits(harness: Harness) -> None:
    app = harness.app(mode="live")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(LiveRefundConfirmScreen("Confirm live refund", "", BIGGEST, "KWD"))
        await pilot.pause()
        await pilot.press("1", "enter")
        await pilot.pause()
        label = app.screen.query_one("#live-confirm-error", Label)
        message = str(label.content)
        assert message.startswith("Type exactly 99999999.999")
        assert cell_len(message) <= room(label)


async def test_first_run_field_errors_fit(harness: Harness) -> None:
    """The first run's form (the settings screen's ProfileForm) shows every message whole,
    wrapped under its field if need be."""
    app = harness.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        try:
            credentials.check_key_shape("not a key")
        except credentials.InvalidKeyError as exc:
            key_error = str(exc)
        urls = ("ftp://h", "https://u:p@h", "https://h/?q", "http://example.com", "https://h:99999")
        cases = {
            "name": ("profile-name-error", profile_errors(name="shop eu")),
            "base_url": (
                "profile-base-url-error",
                [e for url in urls for e in profile_errors(base_url=url)],
            ),
            "key": (KEY_ERROR, [key_error, "The API did not accept this key"]),
        }
        form = app.screen.query_one(ProfileForm)
        for field, (label_id, messages) in cases.items():
            label = form.query_one(f"#{label_id}", Label)
            for message in messages:
                form.show_errors({field: message})
                await pilot.pause()
                shown = room(label) * label.size.height
                assert cell_len(message) <= shown, f"{field}: {message!r} is cut off"
