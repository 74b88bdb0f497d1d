"""Help: every key binding of the console, where it applies and its id."""

from __future__ import annotations

from collections.abc import Iterator

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from console.screens.base import ConsoleScreen

DESCRIPTION_MIN_WIDTH = 30
"""The description column's narrowest width; at 100 columns it gets 36 and wraps."""


def binding_sections(
    global_bindings: list[BindingType],
) -> Iterator[tuple[str, list[BindingType]]]:
    """(where, bindings): the app's `global_bindings`, then each screen's own."""
    from console.screens.confirm import ConfirmScreen
    from console.screens.find_payment import FindPaymentScreen
    from console.screens.first_run import FirstRunScreen
    from console.screens.history import HistoryScreen
    from console.screens.home import HomeScreen
    from console.screens.new_payment import NewPaymentScreen
    from console.screens.payment_detail import PaymentDetailScreen
    from console.screens.refund import RefundScreen
    from console.screens.settings import SettingsScreen

    yield "Everywhere", global_bindings
    screens = (
        HomeScreen,
        NewPaymentScreen,
        FindPaymentScreen,
        PaymentDetailScreen,
        RefundScreen,
        HistoryScreen,
        SettingsScreen,
        ConfirmScreen,
        FirstRunScreen,
    )
    for screen in screens:
        own = screen.__dict__.get("BINDINGS")
        if own:
            title = getattr(screen, "SCREEN_TITLE", "") or screen.__name__.removesuffix("Screen")
            yield title, own


class HelpScreen(ConsoleScreen[None]):
    SCREEN_TITLE = "Help"

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="help-bindings", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Keys", "Action", "Id")
        # The descriptions wrap within what the other columns leave, so none is cut off.
        table.add_column("What it does", width=max(DESCRIPTION_MIN_WIDTH, self.app.size.width - 64))
        for where, bindings in binding_sections(type(self.app).BINDINGS):
            for binding in bindings:
                if not isinstance(binding, Binding):
                    binding = Binding(*binding)
                keys = " / ".join(
                    self.app.get_key_display(binding.with_key(key.strip()))
                    for key in binding.key.split(",")
                )
                table.add_row(
                    where, keys, binding.description, binding.id or "", binding.tooltip, height=None
                )
                where = ""
