"""The package's import graph: no cycles (function-level imports included), arrows pointing down the floors of the
pipeline, and front ends that reach the rest only through the core's public surface.

Imports under `if TYPE_CHECKING:` are annotations, never executed, and are left out of the graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"

# Floors, lowest first: a module may import its own floor (without a cycle) or any floor below it.
FLOORS: dict[str, int] = {
    "settings": 0, "errors": 0, "types": 0,
    "knowledge": 1,
    "index": 2,
    "understand": 3,
    "answer": 4, "state": 4,
    "views": 5,
    "core": 6, "snapshot": 6, "service": 6, "pipeline": 6, "lifecycle": 6,
    "frontends": 7, "evaluation": 7, "bench": 7, "integrations": 7, "__init__": 7,
}
# What a front end may import of ours: the core's public surface, the typed ground floor, the views that render
# typed results, the evaluation it runs, and other front ends.
FRONTEND_MAY_IMPORT = ("core", "service", "types", "errors", "settings", "views", "evaluation", "frontends")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(path: Path, modules: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from assistant.bench import latency` imports the submodule `assistant.bench.latency`
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                     for a in node.names]
        else:
            continue
        found.update(n for n in names if n in modules)
    found.discard(module_name(path))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def floor_key(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read(graph: dict[str, set[str]]) -> None:
    assert "assistant.answer.checklist" in graph["assistant.core"]
    assert "assistant.frontends.auth" in graph["assistant.frontends.api"]  # a module-level import
    assert "assistant.frontends.mcp_server" in graph["assistant.frontends.api"]  # a function-level import


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_is_on_a_floor(graph: dict[str, set[str]]) -> None:
    assert {floor_key(m) for m in graph} <= set(FLOORS)


def test_arrows_point_down(graph: dict[str, set[str]]) -> None:
    upward = [f"{m} -> {d}" for m, deps in graph.items() for d in deps
              if FLOORS[floor_key(d)] > FLOORS[floor_key(m)]]
    assert upward == []


def test_front_ends_use_the_public_surface(graph: dict[str, set[str]]) -> None:
    reaching = [f"{m} -> {d}" for m, deps in graph.items() if floor_key(m) == "frontends" for d in deps
                if floor_key(d) not in FRONTEND_MAY_IMPORT]
    assert reaching == []


def test_the_readme_tree_names_every_module() -> None:
    """The README's "How it works" is the tree: every module of every stage folder is named there."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## How it works"):]
    block = block[:block.index("\n```\n", block.index("```") + 3)]
    missing = [f"{p.parent.name}/{p.name}" for p in sorted(PACKAGE.glob("*/*.py"))
               if p.name != "__init__.py" and p.parent.name not in ("bench", "integrations")
               and p.stem not in block]
    assert missing == []


def test_no_module_is_over_450_lines() -> None:
    """A module a newcomer can read in one sitting: none of the package's modules is over 450 lines."""
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert not long, long
