"""Import boundaries: the pure core imports only the standard library (plus a few pure computation
libraries); the layers import downwards only; bot/flows has no import cycle and no function-level
imports to hide one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = [
    *sorted((ROOT / "bot" / "domain").rglob("*.py")),
    ROOT / "bot" / "cards.py",
    ROOT / "bot" / "mrkdwn.py",
    ROOT / "bot" / "card_summary.py",
    ROOT / "bot" / "transcript.py",
    ROOT / "bot" / "offer_cards.py",
    *sorted((ROOT / "bot" / "customer_messages").rglob("*.py")),
]
PURE_BOT_MODULES = (
    "bot.domain",
    "bot.cards",
    "bot.customer_messages",
    "bot.mrkdwn",
    "bot.card_summary",
    "bot.transcript",
    "bot.offer_cards",
)
ALLOWED_THIRD_PARTY = {"vaderSentiment", "rapidfuzz", "holidays", "numpy"}  # pure computation, no I/O
HANDLER_FORBIDDEN = {"sqlmodel", "sqlalchemy", "storage", "httpx"}
# Production code that may start the local stand-ins: `baton simulate`, `baton demo`, and the module
# behind `baton serve --sandbox`.
SANDBOX_USERS = {"bot/simulate.py", "bot/simulate_sources.py", "bot/demo.py", "bot/sandbox_serve.py"}
PRODUCTION = ["bot", "handlers", "storage", "integrations"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path, *, top_level_only: bool = False) -> Iterator[tuple[str, int, bool]]:
    """(absolute module name, line, inside a function?) for every import, relative ones resolved.
    `from a import b` yields both `a` and `a.b` (b may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, in_function
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - (child.level - 1)] if child.level > 1 else package
                    module = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    module = child.module or ""
                yield module, child.lineno, in_function
                for alias in child.names:
                    yield f"{module}.{alias.name}", child.lineno, in_function
            yield from visit(child, inner)

    for name, line, in_function in visit(tree, False):
        if not (top_level_only and in_function):
            yield name, line, in_function


def _files(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))]


def _is_under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_pure_core_imports_only_stdlib_and_itself():
    bad = {}
    for path in PURE:
        outside = {
            n.split(".")[0]
            for n, _, _ in _imported(path)
            if n.split(".")[0] not in sys.stdlib_module_names
            and n.split(".")[0] not in ALLOWED_THIRD_PARTY
            and n.split(".")[0] != "bot"
        }
        if outside:
            bad[str(path.relative_to(ROOT))] = outside
    assert bad == {}


def test_pure_core_does_not_reach_into_the_app():
    """`from bot import deps`, `import bot.flows.x` (anywhere, in a function too) and relative imports
    that climb out of bot/domain all count."""
    bad = []
    for path in PURE:
        for name, line, _ in _imported(path):
            if not _is_under(name, "bot") or name == "bot":
                continue
            if not _is_under(name, *PURE_BOT_MODULES) and not name.startswith("bot.domain."):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert bad == []


def test_the_boundary_checks_catch_the_sneaky_forms(tmp_path: Path, monkeypatch):
    """The checker itself: each form a pure module could use to reach the app is seen."""
    fake_root = tmp_path
    domain = fake_root / "bot" / "domain"
    domain.mkdir(parents=True)
    probe = domain / "probe.py"
    probe.write_text(
        "from bot import deps\n"
        "def f():\n    import bot.flows.outbox\n"
        "from .. import wiring\n"
        "from ..flows import sla\n"
        "from . import chain\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root)
    names = {n for n, _, _ in _imported(probe)}
    assert {"bot.deps", "bot.flows.outbox", "bot.wiring", "bot.flows.sla", "bot.domain.chain"} <= names
    inside = {n for n, _, in_fn in _imported(probe) if in_fn}
    assert inside == {"bot.flows.outbox"}


def test_handlers_have_no_sql_or_http():
    for path in sorted((ROOT / "handlers").glob("*.py")):
        tops = {n.split(".")[0] for n, _, _ in _imported(path)}
        assert not (tops & HANDLER_FORBIDDEN), f"{path.name} reaches past the flows"


def test_storage_imports_nothing_from_bot():
    bad = [
        f"{p.relative_to(ROOT)}:{line} imports {n}"
        for p in _files("storage")
        for n, line, _ in _imported(p)
        if _is_under(n, "bot", "handlers", "integrations")
    ]
    assert bad == []


def test_integrations_import_nothing_from_flows_or_handlers():
    bad = [
        f"{p.relative_to(ROOT)}:{line} imports {n}"
        for p in _files("integrations")
        for n, line, _ in _imported(p)
        if _is_under(n, "bot.flows", "handlers", "bot.sandbox", "bot.wiring", "bot.app")
    ]
    assert bad == []


def test_only_simulate_demo_and_the_sandbox_server_import_the_sandbox():
    bad = []
    for path in _files(*PRODUCTION):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("bot/sandbox/") or rel in SANDBOX_USERS:
            continue
        bad += [f"{rel}:{line} imports {n}" for n, line, _ in _imported(path) if _is_under(n, "bot.sandbox")]
    assert bad == [], f"only {sorted(SANDBOX_USERS)} may start the stand-ins"


def test_flows_have_no_function_level_imports():
    bad = [
        f"{p.relative_to(ROOT)}:{line} imports {n} inside a function"
        for p in _files("bot/flows")
        for n, line, in_fn in _imported(p)
        if in_fn
    ]
    assert bad == []


def _flows_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in _files("bot/flows")}
    return {
        name: {n for n, _, _ in _imported(path) if n in modules and n != name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def dfs(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := dfs(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := dfs(node)):
            return found
    return []


def test_flows_have_no_import_cycle():
    assert _cycle(_flows_graph()) == []


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
