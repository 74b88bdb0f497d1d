"""The merchant's own keys: the settings' `[keymap]` (binding id to keys) checked against
the console's bindings, and the keys in force of a binding, as the footer, the help and
the command palette show them.

The app hands the keymap to Textual (`App.set_keymap`), which rebinds each binding with
that id; `check_keymap` refuses first an id no binding has, and a key the keymap gives to
an action where another one already answers it (another entry's, or a default key that
stays), which Textual would let one of them win silently: two of the app's keys, two of
one screen's, or one of a screen's and one of the app's priority keys (help, quit). A
screen's own key wins over the app's others on that screen, by design (`escape` is Back,
but Home after a payment): that is no clash.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding, BindingType
from textual.keys import format_key
from textual.screen import Screen

from console.screens import registry

if TYPE_CHECKING:
    from console.config import ConfigError


def palette_binding(key: str) -> Binding:
    """The command palette's key (Textual's own, which has no id: it is not remapped)."""
    return Binding(
        key,
        "command_palette",
        "Command palette",
        tooltip="Every action that applies here, found as you type",
        id="command_palette",
    )


def _bindings(declared: list[BindingType]) -> list[Binding]:
    return [b if isinstance(b, Binding) else Binding(*b) for b in declared]


def screen_title(screen: type[Screen[Any]]) -> str:
    """'Home', 'Find payment'; 'Resend confirm' for a screen without a title of its own."""
    title: str = screen.__dict__.get("SCREEN_TITLE", "")
    if title:
        return title
    name = screen.__name__.removesuffix("Screen")
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).split()
    return " ".join(words).capitalize()


def binding_sections(
    palette_key: str, leave_out: frozenset[str] = frozenset()
) -> Iterator[tuple[str, list[Binding]]]:
    """(where, bindings): the app's (the registry's, then the command palette on
    `palette_key`), then each screen's own, the screens as `registry.help_screens()`
    lists them but those of `leave_out` ("module:Class"). The help lists them so, and
    the keymap names them by these ids."""
    yield "Everywhere", [*registry.bindings(), palette_binding(palette_key)]
    for screen in registry.help_screens():
        if f"{screen.__module__}:{screen.__qualname__}" in leave_out:
            continue
        own: list[BindingType] | None = screen.__dict__.get("BINDINGS")
        if own:
            yield screen_title(screen), _bindings(own)


def keys_in_force(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    """The keys that run `binding`: the keymap's for its id, else its own."""
    keys = keymap.get(binding.id) if binding.id is not None else None
    return [key.strip() for key in (keys or binding.key).split(",")]


def keys_text(app: App[Any], binding: Binding, keymap: Mapping[str, str]) -> str:
    """'^n', '? / f1': the keys in force, as the footer draws them."""
    if binding.id not in keymap and binding.key_display:
        return binding.key_display
    shown = (app.get_key_display(binding.with_key(key)) for key in keys_in_force(binding, keymap))
    return " / ".join(shown)


def typeable(key: str) -> bool:
    """Whether a text field takes `key` as text: one character, no ctrl or alt."""
    return "+" not in key and len(format_key(key)) == 1


def stand_aside(keymap: Mapping[str, str]) -> frozenset[str]:
    """The app's actions whose keys a text field takes as text (they stand aside while one
    has focus): those `single_letter`, or that the keymap binds to such keys only."""
    return frozenset(
        row.action
        for row in registry.ACTIONS
        if row.key is not None
        and (
            all(map(typeable, keys_in_force(row.binding(), keymap)))
            if row.action in keymap
            else row.single_letter
        )
    )


def only_bound_to(screen: Screen[Any], key: str, ids: frozenset[str]) -> bool:
    """Whether `key`, on `screen`, is bound to bindings of `ids` and to no binding that
    is shown now (as the key dispatch finds them: keymap applied, disabled ones too)."""
    if key in screen.active_bindings:
        return False
    chain = screen._modal_binding_chain
    bound = (b for _, bindings in chain for b in bindings.key_to_bindings.get(key, ()))
    return any(binding.id in ids for binding in bound)


def _own(screen: type[Screen[Any]]) -> list[Binding]:
    """The bindings of `screen` and of its classes (Textual's focus keys too)."""
    return [b for cls in screen.__mro__ for b in _bindings(cls.__dict__.get("BINDINGS", []))]


def _priority(app_bindings: list[Binding]) -> list[Binding]:
    """The app's keys that come before a screen's own (a screen's own key wins over the
    app's others on that screen, as `escape` goes home after a payment)."""
    return [b for b in app_bindings if b.priority]


def _name(binding: Binding) -> str:
    return binding.id or f"'{binding.description or binding.action}'"


def _clashes(
    where: str, own: list[Binding], others: list[Binding], keymap: Mapping[str, str]
) -> Iterator[str]:
    """'ctrl+n is history and new_payment (everywhere)': each key the keymap gives to an
    action where another one answers it too, one of them `own` (the others reach it)."""
    on_key: dict[str, list[Binding]] = {}
    for binding in own + others:
        for key in keys_in_force(binding, keymap):
            on_key.setdefault(key, []).append(binding)
    for key, claimants in on_key.items():
        actions = {b.action.removeprefix("app."): b for b in claimants}
        remapped = any(b.id in keymap for b in claimants)
        if len(actions) > 1 and remapped and any(b in own for b in claimants):
            names = sorted(dict.fromkeys(_name(b) for b in actions.values()))
            yield f"{key} is {' and '.join(names)} ({where})"


def check_keymap(keymap: Mapping[str, str], palette_key: str) -> None:
    """Raise a `ConfigError` naming every id of `keymap` that no binding has and every
    clash it makes (checked on each screen, with the app's keys that reach it)."""
    if not keymap:
        return
    sections = list(binding_sections(palette_key))
    app_bindings = [*sections[0][1], *_bindings(App.BINDINGS)]
    known = {b.id for _, bindings in sections for b in bindings if b.id is not None}
    problems: list[str] = []
    unknown = [name for name in keymap if name not in known]
    if unknown:
        problems.append(
            f"no binding has the id {', '.join(unknown)} (the ids: {', '.join(sorted(known))})"
        )
    scopes: list[tuple[str, list[Binding], list[Binding]]] = [("everywhere", app_bindings, [])]
    scopes += [
        (screen_title(screen), _own(screen), _priority(app_bindings))
        for screen in registry.help_screens()
    ]
    clashes = (
        clash for where, own, others in scopes for clash in _clashes(where, own, others, keymap)
    )
    problems += dict.fromkeys(clashes)
    if problems:
        raise _config_error(f"The [keymap] cannot be used: {'; '.join(problems)}")


def _config_error(message: str) -> ConfigError:
    from console.config import ConfigError  # loaded by now: the settings were read

    return ConfigError(message)
