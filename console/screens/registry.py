"""The one table of the console's own actions and the screens they open.

The app builds from `ACTIONS` its key bindings, `check_action` (from the sets of actions
made from it below), `action_open(name)` and the command palette's commands; the help
screen lists their keys, then the bindings of every screen in `help_screens()`. Adding
a screen is its module, its stylesheet and one row here.

Screens are named as "module:Class" and imported on first use (`Action.screen_class()`),
so that the first frame does not wait for every screen's imports. This module imports no
screen, and not the app (screens sit below it).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.screen import Screen


@cache
def load_screen(reference: str) -> type[Screen[Any]]:
    """The class that "module:Class" names, imported on first use."""
    module_name, _, class_name = reference.partition(":")
    screen: type[Screen[Any]] = getattr(importlib.import_module(module_name), class_name)
    return screen


@dataclass(frozen=True)
class Action:
    """One console action: its binding (id = `action`) and, if it opens one, its screen."""

    action: str
    """The action's name, and its binding's id (tests and keymaps use it)."""
    key: str | None
    """Its keys ("a,b" for two); None: no key of the app's own (a screen binds it)."""
    title: str
    """What the footer, the help and the command palette call it."""
    tooltip: str
    screen: str | None = None
    """The screen it opens, as "module:Class"; None: a method `action_<name>` of the app."""
    needs_client: bool = False
    """Greyed out until a profile is connected."""
    needs_context: bool = False
    """Greyed out while the console is opening (settings and journal not loaded yet)."""
    early: bool = False
    """Opens while the console is opening on a known profile (`--sandbox`): its screen
    waits for the context only when it first needs it (`ConsoleApp.until_loaded`)."""
    single_letter: bool = False
    """Bound to a printable key: it stands aside while a text field has focus."""
    show: bool = True
    """Shown in the footer."""
    key_display: str | None = None
    priority: bool = False
    payment_id: bool = False
    """The screen is given the payment shown (if any), and may be opened over its own kind;
    otherwise it is hidden on its own screen and never pushed twice."""
    while_sending: bool = False
    """Opens over a screen that is sending a payment or refund (it only reads: leaving it
    returns there), where the actions that open a screen are greyed out."""
    moves_money: bool = False
    """Pays or refunds: absent from the footer, the help and the palette, and refused, on
    a read-only profile."""

    def screen_class(self) -> type[Screen[Any]]:
        if self.screen is None:
            raise LookupError(f"the action {self.action!r} opens no screen")
        return load_screen(self.screen)

    def binding(self) -> Binding:
        if self.key is None:
            raise LookupError(f"the action {self.action!r} has no key of its own")
        return Binding(
            self.key,
            self.action,
            self.title,
            show=self.show,
            key_display=self.key_display,
            priority=self.priority,
            tooltip=self.tooltip,
            id=self.action,
        )


ACTIONS: tuple[Action, ...] = (
    Action(
        "new_payment",
        "n",
        "New payment",
        "Take a payment",
        screen="console.screens.new_payment:NewPaymentScreen",
        needs_client=True,
        needs_context=True,
        early=True,
        single_letter=True,
        moves_money=True,
    ),
    Action(
        "find_payment",
        "slash",
        "Find",
        "Look a payment up by its ID",
        screen="console.screens.find_payment:FindPaymentScreen",
        needs_client=True,
        needs_context=True,
        single_letter=True,
        key_display="/",
    ),
    Action(
        "refund",
        "r",
        "Refund",
        "Refund a payment",
        screen="console.screens.refund:RefundScreen",
        needs_client=True,
        needs_context=True,
        single_letter=True,
        payment_id=True,
        moves_money=True,
    ),
    Action(
        "batch",
        "b",
        "Batch",
        "Refund or pay in bulk from a CSV file: checked first, resumable",
        screen="console.screens.batch:BatchScreen",
        needs_client=True,
        needs_context=True,
        single_letter=True,
        show=False,
    ),
    Action(
        "history",
        "h",
        "History",
        "Every operation sent",
        screen="console.screens.history:HistoryScreen",
        needs_context=True,
        single_letter=True,
    ),
    Action(
        "settings",
        "s",
        "Settings",
        "Profiles, keys and theme",
        screen="console.screens.settings:SettingsScreen",
        needs_context=True,
        single_letter=True,
    ),
    Action("copy_id", "c", "Copy ID", "Copy the payment ID", single_letter=True),
    Action(
        "help",
        "question_mark,f1",
        "Help",
        "Every key binding",
        screen="console.screens.help:HelpScreen",
        priority=True,  # reaches a dialog too; a text field still takes "?" (f1 then)
        while_sending=True,
    ),
    Action("back", "escape", "Back", "Go back to the previous screen"),
    Action("quit", "ctrl+q", "Quit", "Quit the console", show=False, priority=True),
    Action(
        "first_run",
        None,
        "Connect",
        "Choose the local sandbox or enter a base URL and key",
        screen="console.screens.first_run:FirstRunScreen",
        needs_context=True,
    ),
)
"""The app's actions, in the order of the footer and the help."""

BY_NAME = {row.action: row for row in ACTIONS}

SINGLE_LETTER = frozenset(row.action for row in ACTIONS if row.single_letter)
"""Actions bound to printable keys: they stand aside while a text field has focus."""
NEEDS_CLIENT = frozenset(row.action for row in ACTIONS if row.needs_client)
"""Actions shown greyed out until a profile is connected."""
NEEDS_CONTEXT = frozenset(row.action for row in ACTIONS if row.needs_context)
"""Actions shown greyed out while the console is opening (its context not loaded yet)."""
EARLY = frozenset(row.action for row in ACTIONS if row.early)
"""Actions that open while the console is opening on a known profile."""
LEAVING = frozenset(
    row.action for row in ACTIONS if row.screen is not None and not row.while_sending
)
"""Actions that open another screen: greyed out while a payment or refund is being sent."""
ON_THE_PAYMENT = frozenset({"copy_id"} | {row.action for row in ACTIONS if row.payment_id})
"""Actions on the payment shown (copy its ID, refund it): where a payment is shown, the
footer keeps them with the screen's own keys."""
OPENS = {row.action: row.screen for row in ACTIONS if row.screen is not None and not row.payment_id}
"""The screen ("module:Class") each action opens: on that screen the action does nothing,
so it is hidden."""

MOVES_MONEY = frozenset(row.action for row in ACTIONS if row.moves_money) | {
    "home.retry",
    "payment_detail.another",
    "new_payment.submit",
    "refund.submit",
    "confirm.new",
    "batch.send",
}
"""The ids of the bindings that pay, refund or send an unknown operation again (the app's
and the screens'): on a read-only profile they are absent from the footer, the help and
the palette, and a key bound to one says why it does nothing."""
MONEY_SCREENS = frozenset(row.screen for row in ACTIONS if row.moves_money and row.screen)
"""The screens only the actions that move money open (the help leaves them out on a
read-only profile)."""

OTHER_SCREENS = (
    "console.screens.home:HomeScreen",
    "console.screens.payment_detail:PaymentDetailScreen",
    "console.screens.confirm:ConfirmScreen",
    "console.screens.confirm:ResendConfirmScreen",
    "console.screens.save_path:SavePathScreen",
)
"""Screens no action of the app opens (the help lists their bindings too)."""


def bindings() -> list[Binding]:
    """The app's bindings: one per action with a key of its own, its id the action."""
    return [row.binding() for row in ACTIONS if row.key is not None]


def help_screens() -> Iterator[type[Screen[Any]]]:
    """Every screen whose own bindings the help lists: home, then those the actions open,
    then the others; each once."""
    references = [OTHER_SCREENS[0]]
    references += [row.screen for row in ACTIONS if row.screen is not None]
    references += OTHER_SCREENS[1:]
    for reference in dict.fromkeys(references):
        yield load_screen(reference)
