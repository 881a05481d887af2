"""The pure core imports only the standard library (plus a few pure computation libraries)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = [
    *sorted((ROOT / "bot" / "domain").rglob("*.py")),
    ROOT / "bot" / "cards.py",
    ROOT / "bot" / "customer_messages.py",
]
ALLOWED_THIRD_PARTY = {"vaderSentiment", "rapidfuzz", "holidays"}  # pure computation, no I/O
HANDLER_FORBIDDEN = {"sqlmodel", "sqlalchemy", "storage", "httpx"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_pure_core_imports_only_stdlib_and_itself():
    bad = {}
    for path in PURE:
        outside = {
            n
            for n in _imports(path)
            if n not in sys.stdlib_module_names and n not in ALLOWED_THIRD_PARTY and n != "bot"
        }
        if outside:
            bad[str(path.relative_to(ROOT))] = outside
    assert bad == {}


def test_pure_core_does_not_reach_into_the_app():
    for path in PURE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot."):
                assert node.module.startswith(("bot.domain", "bot.cards")), f"{path}: imports {node.module}"


def test_handlers_have_no_sql_or_http():
    for path in sorted((ROOT / "handlers").glob("*.py")):
        assert not (_imports(path) & HANDLER_FORBIDDEN), f"{path.name} reaches past the flows"
