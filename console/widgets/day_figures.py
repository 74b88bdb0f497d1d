"""The day at a glance: today's figures per currency, and each one's net volume over the
last 14 days as a sparkline (`console.figures.RecentDays`, which the journal sums).

One line per currency under a header: payments taken (how many, their sum), refunded,
net, then the sparkline. Amounts are written whole with the currency's decimals and
aligned on the right; when the line would not fit, the sparkline gives way, never an
amount. At most `MAX_CURRENCIES` lines (the busiest today first), then how many more.
The bars are drawn from integer minor units: money never becomes a float, even to draw.
"""

from __future__ import annotations

from decimal import Decimal

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, Sparkline

from console import money
from console.figures import SPARKLINE_DAYS, CurrencyFigures, RecentDays

MAX_CURRENCIES = 3
GAP = 2
"""Spaces between two columns."""
HEADINGS = ("Payments", "Taken", "Refunded", "Net")
SPARKLINE_HEADING = f"Net, {SPARKLINE_DAYS} days"
SPARKLINE_WIDTH = SPARKLINE_DAYS
"""One bar a day (the stylesheet gives the sparkline and its heading this width)."""


def amount_digits(amount: Decimal, currency: str) -> str:
    """'1,234.50': the amount with its currency's decimals, without the code."""
    return f"{money.quantize(amount, currency):,}"


def figure_cells(figures: CurrencyFigures) -> tuple[str, ...]:
    code = figures.currency
    return (
        code,
        f"{figures.payments:,}",
        amount_digits(figures.taken, code),
        amount_digits(figures.refunded, code),
        amount_digits(figures.net, code),
    )


def busiest_first(days: RecentDays) -> list[str]:
    """The currencies of the 14 days, those with the most operations today first."""
    today = days.today

    def activity(code: str) -> tuple[int, str]:
        figures = today.of(code)
        return -(figures.payments + figures.refunds), code

    return sorted(days.currencies, key=activity)


def sparkline_units(days: RecentDays, currency: str) -> list[int]:
    """Each day's net in the currency's minor units (exact integers), oldest first."""
    return [money.to_minor(net, currency) for net in days.net(currency)]


class DayFigures(Vertical):
    """Today's figures, per currency, with their sparklines; `show` fills it in."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="figures-header", classes="figures-line"):
            yield Label("", id="figures-heading", classes="figures-text")
            yield Label(SPARKLINE_HEADING, classes="figures-spark-heading")
        for number in range(MAX_CURRENCIES):
            with Horizontal(id=f"figures-{number}", classes="figures-line"):
                yield Label("", classes="figures-text")
                yield Sparkline([], classes="figures-spark")
        yield Label("", id="figures-more")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.days: RecentDays | None = None

    def on_mount(self) -> None:
        self.show(None)

    def on_resize(self) -> None:
        self.show(self.days)

    def show(self, days: RecentDays | None) -> None:
        """Draw `days` (hidden when None or without any figure in the 14 days)."""
        self.days = days
        self.display = days is not None and bool(days.currencies)
        if days is None or not days.currencies:
            return
        shown = busiest_first(days)[:MAX_CURRENCIES]
        rows = [figure_cells(days.today.of(code)) for code in shown]
        header = (f"Today, {days.today.day.day} {days.today.day:%b}", *HEADINGS)
        columns = zip(header, *rows, strict=True)
        widths = [max(cell_len(text) for text in column) for column in columns]
        self._line("figures-header", _aligned(header, widths))
        for number in range(MAX_CURRENCIES):
            line = self.query_one(f"#figures-{number}")
            line.display = number < len(rows)
            if number < len(rows):
                self._line(f"figures-{number}", _aligned(rows[number], widths))
                line.query_one(Sparkline).data = sparkline_units(days, shown[number])
        more = len(days.currencies) - len(shown)
        label = self.query_one("#figures-more", Label)
        label.display = more > 0
        label.update(f"and {more} more currenc{'y' if more == 1 else 'ies'} in the last 14 days")

    def _line(self, line_id: str, text: str) -> None:
        """One line's text; its sparkline (or heading) only where both fit the width."""
        line = self.query_one(f"#{line_id}")
        line.query_one(".figures-text", Label).update(Content(text))
        line.query(".figures-spark, .figures-spark-heading").first().display = self._room_for(text)

    def _room_for(self, text: str) -> bool:
        width = self.content_region.width
        return width == 0 or cell_len(text) + GAP + SPARKLINE_WIDTH <= width


def _aligned(cells: tuple[str, ...], widths: list[int]) -> str:
    """The first cell on the left, the figures on the right of their columns."""
    first, *rest = cells
    parts = [first.ljust(widths[0])]
    parts += [cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True)]
    return (" " * GAP).join(parts)
