"""The command palette's commands: what the screen offers, the console's actions, then
Textual's own, its Screenshot replaced by one that saves where the console's exports go
and says where."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from console.paths import exports_dir, os_error_problem, unused_path
from console.screens.keymap import keys_text
from console.screens.registry import ACTIONS

SCREENSHOT_DELAY = 0.1
"""Seconds before the picture is taken: the palette has gone from the screen by then."""


def system_commands(
    app: App[Any],
    screen: Screen[object],
    textual_commands: Iterable[SystemCommand],
    keymap: Mapping[str, str],
) -> Iterator[SystemCommand]:
    """What `screen` offers, then every registry action that applies now (none over a
    modal dialog, where the app's keys do not reach), then `textual_commands` (theme, keys,
    quit...), with the console's Screenshot.

    The screen's are its bindings with an id (Textual's built-in ones have none). Each
    says its keys in force (`keymap` applied) after what it does; what `check_action`
    hides (e.g. what moves money, on a read-only profile) is not offered.
    """
    offered: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not active.enabled or binding.id is None or active.node is app:
            continue
        name = binding.action.removeprefix("app.")
        if name in offered:
            continue
        offered.add(name)
        yield SystemCommand(
            binding.description,
            f"{binding.tooltip or binding.description} ({keys_text(app, binding, keymap)})",
            partial(app.run_action, binding.action, active.node),
        )
    if not screen.is_modal:
        for row in ACTIONS:
            if (
                row.action in offered | {"quit"}
                or (row.action == "back" and screen is app.screen_stack[0])
                or not app.check_action(row.action, ())
            ):
                continue
            offered.add(row.action)
            keys = f" ({keys_text(app, row.binding(), keymap)})" if row.key else ""
            yield SystemCommand(row.title, row.tooltip + keys, partial(app.run_action, row.action))
    for command in textual_commands:
        if command.title == "Screenshot":
            yield SystemCommand(
                "Screenshot",
                f"Save an SVG picture of this screen in {exports_dir()}",
                lambda: app.set_timer(SCREENSHOT_DELAY, partial(save_screenshot, app)),
            )
        else:
            yield command


def screenshot_path(directory: Path, now: datetime) -> Path:
    """A new file in `directory`, named after the time (a number added if it is taken)."""
    return unused_path(directory, f"payments-console-{now:%Y%m%d-%H%M%S}", ".svg")


def screenshot_svg(app: App[Any], title: str | None = None) -> str:
    """The screen as an SVG picture, its spaces kept as drawn.

    Each run of one style is a <text> element, and most SVG renderers outside browsers
    (librsvg: rsvg-convert, image viewers) drop the space a run starts with unless the
    document says xml:space="preserve": the footer's "^p" + " palette" showed as
    "^ppalette", and every key lost its left padding.
    """
    svg = app.export_screenshot(title=title)
    return svg.replace("<svg ", '<svg xml:space="preserve" ', 1)


def save_screenshot(app: App[Any]) -> Path | None:
    """Write the screen as it is drawn (an API key is never drawn unmasked) to the exports
    directory, and say where; or say why not."""
    directory = exports_dir()
    path = directory / "payments-console.svg"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = screenshot_path(directory, datetime.now())
        with path.open("x", encoding="utf-8") as file:
            file.write(screenshot_svg(app))
    except OSError as error:
        app.notify(
            f"Cannot save the screenshot at {path}: {os_error_problem(error, path)}.",
            title="Screenshot not saved",
            severity="error",
        )
        return None
    app.notify(f"Saved to {path}", title="Screenshot")
    return path
