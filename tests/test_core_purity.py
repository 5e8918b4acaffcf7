"""core/ stays pure: no Telegram, database or logging imports, directly or through what it imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "core"
FORBIDDEN = ("telegram", "sqlmodel", "sqlalchemy", "loguru", "apscheduler", "storage", "bot", "jobs", "duban")


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module a file imports."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_nothing_forbidden(path: Path) -> None:
    assert imported_roots(path).isdisjoint(FORBIDDEN)


def test_importing_core_loads_no_forbidden_module() -> None:
    modules = [f"core.{p.stem}" for p in CORE.glob("*.py") if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CORE.parent
    )
    assert result.stdout.strip() == ""
