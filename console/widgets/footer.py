"""The footer of every screen and dialog: the keys that work now, as many as fit, none cut.

Textual's `Footer` lays its keys out in a row and cuts whatever passes the right edge (the
command palette's hint, docked right, covers the end). `ConsoleFooter` chooses instead,
in this order of priority, what the width holds, and leaves the rest out whole:

1. the keys every screen keeps: help (`?`, or `f1` while a text field takes `?`) and
   `esc` (back, or cancel in a dialog);
2. the screen's own keys (and the focused widget's) that are enabled now, and the app's
   actions the screen names in `footer_first` (e.g. copy and refund the payment shown);
3. the command palette's hint (`^p`), which reaches every action;
4. the app's actions (new payment, find, refund...) that are enabled now;
5. keys greyed out for the moment (e.g. while a payment is being sent).

If not all of them fit, the compact layout (one column less per key) is used when it
shows more. The keys shown keep the order of the bindings. Every help, palette and keymap
feature stays Textual's; bindings are shown ungrouped (the console uses no groups).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import events
from textual.binding import ActiveBinding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.binding import Binding

KEPT_KEYS = frozenset({"question_mark", "f1", "escape"})
"""Keys shown whatever the width: the way to the help, and the way back."""
KEPT, OWN, PALETTE, APP, GREYED = range(5)
"""The priorities, highest first (see the module's docstring)."""


@dataclass(frozen=True)
class FooterItem:
    """One key of the footer, and what it costs in columns."""

    binding: Binding
    key_display: str
    enabled: bool
    tooltip: str
    priority: int

    def width(self, compact: bool) -> int:
        """Columns taken, as FooterKey draws it: ` key description ` (normal), or
        `key description` and a margin (compact); the palette's hint, always drawn
        compact, has a border and a padding (normal) or margin (compact) of one column."""
        text = cell_len(self.key_display) + 1 + cell_len(self.binding.description)
        if self.priority == PALETTE:
            return text + 2
        return text + (1 if compact else 2)


def choose(items: list[FooterItem], width: int) -> tuple[list[FooterItem], bool]:
    """The items that fit in `width` columns, taken in priority order (the first one that
    does not fit ends it), in their own order; and whether the compact layout holds them."""

    def fitting(compact: bool) -> list[FooterItem]:
        chosen: list[FooterItem] = []
        budget = width
        for item in sorted(items, key=lambda item: item.priority):  # stable: order kept
            budget -= item.width(compact)
            if budget < 0:
                break
            chosen.append(item)
        return chosen

    normal = fitting(compact=False)
    if len(normal) == len(items):
        return items, False
    compact = fitting(compact=True)
    if len(compact) > len(normal):
        return [item for item in items if item in compact], True
    return [item for item in items if item in normal], False


class ConsoleFooter(Footer):
    """`Footer` that leaves out, lowest priority first, the keys that do not fit; shows
    each key of an action that says something different (`n` No, `esc` Cancel); and, over
    a dialog, the app's priority keys that reach it (`f1` Help, `^p` palette)."""

    def __init__(self) -> None:
        super().__init__()
        self._composed_width = 0

    def items(self) -> list[FooterItem]:
        """Every key the footer could show now, in the bindings' order (focused widget,
        screen, then app), each (action, description) once."""
        app = self.app
        first: frozenset[str] = getattr(self.screen, "footer_first", frozenset())
        active = list(self.screen.active_bindings.values())
        if self.screen.is_modal:
            active += self._app_keys_over_dialog()
        items: dict[tuple[str, str], FooterItem] = {}
        for node, binding, enabled, tooltip in active:
            palette = binding.action == "command_palette"
            if palette and not (self.show_command_palette and app.ENABLE_COMMAND_PALETTE):
                continue
            if not (binding.show or palette):
                continue
            if binding.key in KEPT_KEYS:
                priority = KEPT
            elif palette:
                priority = PALETTE
            elif not enabled:
                priority = GREYED
            else:
                priority = APP if node is app and binding.action not in first else OWN
            item = FooterItem(binding, app.get_key_display(binding), enabled, tooltip, priority)
            items.setdefault((binding.action, binding.description), item)
        return list(items.values())

    def _app_keys_over_dialog(self) -> list[ActiveBinding]:
        """The app's priority keys, which reach a modal dialog (its own bindings do not
        include them): as the key dispatch finds them (keymap applied)."""
        app = self.app
        keys: list[ActiveBinding] = []
        for node, bindings in self.screen._binding_chain:
            if node is not app:
                continue
            for _, binding in bindings:
                state = app.check_action(binding.action, ())
                if binding.priority and state is not False:
                    keys.append(ActiveBinding(node, binding, bool(state), binding.tooltip))
        return keys

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        self._composed_width = width
        shown, compact = choose(self.items(), width)
        self.set_reactive(Footer.compact, compact)
        self.set_class(compact, "-compact")
        for item in shown:
            binding = item.binding
            palette = item.priority == PALETTE
            key = FooterKey(
                binding.key,
                item.key_display,
                binding.description,
                binding.action,
                disabled=not item.enabled,
                tooltip=item.tooltip or (binding.description if palette else ""),
                classes="-command-palette" if palette else "",
            )
            yield key if palette else key.data_bind(compact=Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        """A new width may hold more keys, or fewer."""
        if self._bindings_ready and event.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)
