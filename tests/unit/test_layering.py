"""The UI-free core never imports Textual, and no module imports itself back (DESIGN.md,
layering). The layers themselves are import-linter contracts in pyproject.toml, which
`make test` runs (`lint-imports`)."""

from __future__ import annotations

import subprocess
import sys

import grimp
import pytest

CORE_MODULES = [
    "console.api",
    "console.api.models",
    "console.api.client",
    "console.api.errors",
    "console.api.mapping",
    "console.api.retry",
    "console.api.transport",
    "console.clock",
    "console.entries",
    "console.figures",
    "console.error_text",
    "console.processes",
    "console.profile",
    "console.refunds",
    "console.safe_text",
    "console.commands.exits",
    "console.commands.history",
    "console.commands.payments",
    "console.money",
    "console.display",
    "console.config",
    "console.credentials",
    "console.journal",
    "console.sqlite_files",
    "console.hosts",
    "console.paths",
    "console.modes",
    "console.operations",
    "console.sandbox",
    "console.sandbox.app",
    "console.sandbox.server",
    "console.wire",
    "console.wire.models",
    "console.wire.idempotency",
    "console.wire.base_url",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; sys.exit(1 if 'textual' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} imports textual\n{result.stderr}"


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """Every group of modules that import each other in a circle (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = {stack.pop()}
            while module not in group:
                group.add(stack.pop())
            if len(group) > 1:
                found.append(group)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles_counting_type_checking_and_function_level_imports() -> None:
    graph = grimp.build_graph("console", exclude_type_checking_imports=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")):
        graph.add_import(importer=importer, imported=imported)
    assert _cycles(graph) == [{"a", "b", "c"}]
