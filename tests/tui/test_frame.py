"""The frame every screen shares, at 80x24 and 100x30: the footer keeps `?` (or f1) and
`esc` in view and cuts no key, nothing on screen is cut off, focus is visible."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from textual.binding import Binding
from textual.color import Color
from textual.errors import NoWidget
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Select
from textual.widgets._footer import FooterKey

from console.app import PaymentsConsoleApp
from console.paths import exports_dir
from console.screens import registry
from console.screens.confirm import ConfirmScreen, LiveRefundConfirmScreen
from console.screens.help import HelpScreen
from console.screens.home import HomeScreen
from console.screens.new_payment import NewPaymentScreen
from console.screens.payment_detail import PaymentDetailScreen
from console.screens.save_path import SavePathScreen
from console.widgets.footer import (
    APP,
    GREYED,
    KEPT,
    OWN,
    PALETTE,
    ConsoleFooter,
    FooterItem,
    choose,
)
from screenshots import generate
from screenshots.scenarios import Harness, seed_activity, settle, take_payment
from tests.tui.helpers import gated_client

SIZES = ((80, 24), (100, 30))
HELP_KEYS = {"?", "f1"}


def footer_keys(screen: Screen[Any]) -> list[FooterKey]:
    return list(screen.query_one(ConsoleFooter).query(FooterKey))


def shown_keys(screen: Screen[Any]) -> set[str]:
    return {key.key_display for key in footer_keys(screen)}


def footer_problems(screen: Screen[Any]) -> list[str]:
    """Keys that stick out of the footer, or that the palette's hint covers."""
    footer = screen.query_one(ConsoleFooter).region
    keys = footer_keys(screen)
    palette = [key.region for key in keys if key.has_class("-command-palette")]
    end = palette[0].x if palette else footer.right
    return [
        f"footer key {key.key_display} {key.description} at {key.region} (ends at {end})"
        for key in keys
        if not key.has_class("-command-palette") and not footer.x <= key.region.right <= end
    ] + [
        f"palette hint at {hint} outside {footer}" for hint in palette if hint.right > footer.right
    ]


def cut_off(screen: Screen[Any]) -> list[str]:
    """What is drawn only in part: a widget wider than what shows it, or one that scrolls
    sideways (a text field's text excepted); or one cut at the bottom that no container
    can scroll into view."""
    problems = []
    for widget in screen.walk_children(Widget):
        if not widget.display or not widget.visible:
            continue
        try:
            geometry = screen.find_widget(widget)
        except NoWidget:  # scrolled out of view, or in a hidden container
            continue
        region, clip = geometry.region, geometry.clip
        if region.x < clip.x or region.right > clip.right:
            problems.append(f"{widget!r} cut sideways: {region} shown in {clip}")
        elif region.bottom > clip.bottom and not any(
            isinstance(node, Widget) and node.max_scroll_y > 0 for node in widget.ancestors
        ):
            problems.append(f"{widget!r} cut at the bottom: {region} shown in {clip}")
        if widget.allow_horizontal_scroll and not isinstance(widget, Input):
            problems.append(f"{widget!r} scrolls sideways by {widget.max_scroll_x}")
    return problems + footer_problems(screen)


def assert_frame(screen: Screen[Any], *, back: bool, where: str) -> None:
    shown = shown_keys(screen)
    if not isinstance(screen, HelpScreen):  # there, help is what is shown
        assert shown & HELP_KEYS, f"{where}: no help key in {shown}"
    if back:
        assert "esc" in shown, f"{where}: no esc in {shown}"
    assert not cut_off(screen), f"{where}: {cut_off(screen)}"


async def every_screen(pilot: Pilot[Any]) -> AsyncIterator[tuple[str, Screen[Any]]]:
    """Each screen of the registry while it is shown, opened from home (with activity;
    the payment page of a payment taken, a confirmation over it)."""
    app = pilot.app
    assert isinstance(app, PaymentsConsoleApp)
    await settle(pilot)
    await seed_activity(app)
    await pilot.press("g")
    await settle(pilot)
    yield "home", app.screen
    for row in registry.ACTIONS:
        if row.screen is not None:
            app.action_open(row.action)
            await settle(pilot)
            yield row.action, app.screen
            await app.pop_screen()
            await settle(pilot)
    await take_payment(pilot, "100", "tok_visa")
    assert isinstance(app.screen, PaymentDetailScreen)
    yield "payment_detail", app.screen
    await app.push_screen(ConfirmScreen("Take this payment?", "Charge USD 100.00 to tok_visa"))
    await settle(pilot)
    yield "confirm", app.screen


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_every_screen_keeps_help_and_esc_and_cuts_nothing(
    harness: Harness, size: tuple[int, int]
) -> None:
    app = harness.app()
    problems, seen = {}, set()
    async with app.run_test(size=size) as pilot:
        async for name, screen in every_screen(pilot):
            seen.add(name)
            try:
                assert_frame(screen, back=not isinstance(screen, HomeScreen), where=name)
                if name == "payment_detail":  # the keys on the payment shown come first
                    assert {"r", "c"} <= shown_keys(screen), shown_keys(screen)
            except AssertionError as error:
                problems[name] = str(error)
    screens = {row.action for row in registry.ACTIONS if row.screen is not None}
    assert seen == screens | {"home", "payment_detail", "confirm"}
    assert not problems, problems


# --- the footer's choice ----------------------------------------------------------------


def item(key: str, description: str, priority: int) -> FooterItem:
    return FooterItem(Binding(key, key, description), key, priority != GREYED, "", priority)


def test_the_footer_leaves_out_whole_keys_lowest_priority_first() -> None:
    items = [
        item("s", "Save", OWN),  # 8 columns, 7 compact
        item("n", "New payment", APP),  # 15, 14
        item("r", "Refund", GREYED),  # 10, 9
        item("?", "Help", KEPT),  # 8, 7
        item("esc", "Back", KEPT),  # 10, 9
        item("^p", "palette", PALETTE),  # 12 either way
    ]
    assert choose(items, 63) == (items, False)
    # Too narrow for all: the compact layout holds them (one column less each).
    assert choose(items, 60) == (items, True)
    shown, compact = choose(items, 50)
    assert compact and [i.binding.description for i in shown] == [
        "Save", "New payment", "Help", "Back", "palette"
    ]  # fmt: skip
    # Narrower: the app's key goes, then the palette's hint, then the screen's own key.
    assert [i.binding.description for i in choose(items, 45)[0]] == [
        "Save", "Help", "Back", "palette"
    ]  # fmt: skip
    assert [i.binding.description for i in choose(items, 25)[0]] == ["Save", "Help", "Back"]
    assert [i.binding.description for i in choose(items, 18)[0]] == ["Help", "Back"]


async def test_while_a_field_takes_question_marks_the_footer_offers_f1(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen.focused, Input)
        assert "f1" in shown_keys(app.screen)
        assert "?" not in shown_keys(app.screen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_while_sending_help_and_esc_stay_and_greyed_keys_go_first(
    harness: Harness, size: tuple[int, int]
) -> None:
    client, transport = gated_client(harness)
    app = harness.app(client=client)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await take_payment(pilot, "100", "tok_visa", confirm=False)
        await pilot.press("y")
        await pilot.pause()
        sending = app.screen
        assert isinstance(sending, NewPaymentScreen)
        assert sending.leave_refusal is not None
        assert_frame(sending, back=True, where="sending")
        footer = sending.query_one(ConsoleFooter)
        left_out = [i for i in footer.items() if i.key_display not in shown_keys(sending)]
        assert all(i.priority == GREYED for i in left_out)
        # The help opens over it (it only reads); what would leave it stays greyed there,
        # and ctrl+q still asks twice.
        await pilot.press("f1", "tab")  # from the help's filter field to its table
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.check_action("new_payment", ()) is None
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is sending
        transport.gate.set()
        await settle(pilot)
        assert isinstance(app.screen, PaymentDetailScreen)


async def test_a_dialog_shows_esc_and_the_help_reaches_it(harness: Harness) -> None:
    app = harness.app()
    answers: list[bool | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(ConfirmScreen("Sure?", "Nothing happens."), answers.append)
        await pilot.pause()
        keys = {(key.key_display, key.description) for key in footer_keys(app.screen)}
        assert {("y", "Yes"), ("n", "No"), ("esc", "Cancel"), ("?", "Help")} <= keys
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert answers == [False]
    live = LiveRefundConfirmScreen("Refund?", "In live mode.", Decimal("5.00"), "USD")
    app = harness.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(live)
        await pilot.pause()
        assert {"f1", "esc", "⏎"} <= shown_keys(live)  # its field takes "?" and "y"
        assert str(live.query_one("#confirm-yes", Button).label) == "Refund (enter)"
        assert str(live.query_one("#confirm-no", Button).label) == "No (esc)"
        save = SavePathScreen("Export", exports_dir() / "history.csv")
        app.push_screen(save)
        await pilot.pause()
        assert {"f1", "esc"} <= shown_keys(save)


# --- focus --------------------------------------------------------------------------


async def test_focus_is_marked_in_the_accent_colour(harness: Harness) -> None:
    app = harness.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        accent = Color.parse(app.theme_variables["accent"])
        await seed_activity(app)
        await pilot.press("g")
        await settle(pilot)
        table = next(t for t in app.screen.query(DataTable) if not t.has_focus)
        blurred = table.get_component_styles("datatable--header").background
        table.focus()
        await pilot.pause()
        focused = table.get_component_styles("datatable--header").background
        assert focused != blurred and focused.rgb == accent.rgb
        await pilot.press("n")
        await pilot.pause()
        amount = app.screen.query_one("#amount", Input)
        assert amount.has_focus and amount.styles.border_top[1] == accent
        currency = app.screen.query_one(Select)
        currency.focus()
        await pilot.pause()
        assert currency.query_one("SelectCurrent").styles.border_top[1] == accent
        await app.push_screen(ConfirmScreen("Sure?", "Nothing happens."))
        await pilot.pause()
        no = app.screen.query_one("#confirm-no", Button)
        before = no.styles.border_top[1]
        no.focus()
        await pilot.pause()
        assert no.styles.border_top[1] == accent != before
        no.compact = True
        await pilot.pause()
        assert no.styles.color == accent
        assert "reverse" in str(no.styles.text_style)


async def test_screenshots_keep_the_space_that_starts_a_run() -> None:
    """`make screenshots` SVGs say xml:space="preserve": librsvg (rsvg-convert, image
    viewers) drew "^p" + " palette" as "^ppalette" without it."""
    svg = await generate.render(generate.BY_NAME["home_empty"])
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own picture)
    assert root.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    runs = [text.text or "" for text in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "\N{NO-BREAK SPACE}palette" in runs
