"""The UI-free core never imports Textual (DESIGN.md, layering)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "console.api",
    "console.api.models",
    "console.api.client",
    "console.api.errors",
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
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; sys.exit(1 if 'textual' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} imports textual\n{result.stderr}"
