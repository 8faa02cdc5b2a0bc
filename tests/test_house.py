"""The house rules: no import cycle between hygis's modules, and each room imports only the rooms below it.

Every module of ``hygis/`` is parsed (not imported) and every import of a hygis module is an edge,
the lazy ones inside functions included: an import deferred for speed is still a dependency in
both directions. Imports under ``if TYPE_CHECKING:`` are not (they never run). Which room may
import which is the table of ``docs/ARCHITECTURE.md``, held here as data and compared with it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGE = REPO / "hygis"

#: Modules every room may import; they import no room themselves. ``hygis`` is the package's
#: ``__init__``: the public names, loaded on first use (it imports only ``errors`` itself).
FOUNDATION = frozenset(
    {
        "hygis",
        "hygis.errors",
        "hygis.messages",
        "hygis.constants",
        "hygis.settings",
        "hygis.crs",
        "hygis.gcj02",
        "hygis.geometry",
        "hygis.memory",
        "hygis.words",
    }
)

#: Room → the rooms it may import (besides itself and the foundation). The same as the table
#: of docs/ARCHITECTURE.md, which test_architecture_table_says_the_same holds to it.
EVERYTHING = "everything"
ALLOWED: dict[str, frozenset[str]] = {
    "io": frozenset(),
    "engine": frozenset(),
    "plan": frozenset({"io", "engine"}),
    "check": frozenset({"plan", "engine", "io"}),
    "analysis": frozenset({"plan", "engine", "io"}),
    "raster": frozenset({"plan", "engine", "io"}),
    "monitor": frozenset({"plan", "engine", "analysis", "io"}),
    "figures": frozenset({"maps", "check", "analysis", "raster", "monitor", "plan", "engine", "io"}),
    "maps": frozenset({"check", "analysis", "raster", "monitor", "plan", "engine", "io"}),
    "web": frozenset({"maps", "check", "analysis", "raster", "monitor", "plan", "engine", "io"}),
    "workflow": frozenset(
        {"maps", "figures", "check", "analysis", "raster", "monitor", "plan", "engine", "io"}
    ),
    "serve": frozenset({"check", "engine", "io"}),
    "cli": frozenset({EVERYTHING}),
    "__main__": frozenset({"cli"}),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path) -> set[str]:
    """The hygis modules ``name`` imports anywhere in its body (functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in MODULES else base)
            else:
                visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def room(module: str) -> str:
    return "foundation" if module in FOUNDATION else module.split(".")[1]


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_walk_sees_lazy_imports_and_skips_type_checking_ones():
    # hygis.cli.layers imports hygis.plan.layers inside a function; hygis/__init__ imports the rooms
    # only under TYPE_CHECKING.
    assert "hygis.plan.layers" in GRAPH["hygis.cli.layers"]
    assert GRAPH["hygis"] == {"hygis.errors"}


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    found = [sorted(c) for c in cycles(GRAPH)]
    described = [
        "; ".join(f"{a} → {b}" for a in component for b in sorted(GRAPH[a]) if b in component)
        for component in found
    ]
    assert not found, "import cycles (lazy imports count):\n" + "\n".join(described)


def test_foundation_imports_no_room():
    wrong = sorted((a, b) for a in FOUNDATION for b in GRAPH[a] if b not in FOUNDATION)
    assert not wrong, f"foundation modules import rooms: {wrong}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m not in FOUNDATION))
def test_room_imports_only_what_it_may(module):
    here = room(module)
    assert here in ALLOWED, (
        f"{module}: room '{here}' is new; say what it may import in ALLOWED here and in the table of "
        "docs/ARCHITECTURE.md"
    )
    may = ALLOWED[here]
    wrong = sorted(
        b
        for b in GRAPH[module]
        if room(b) not in {"foundation", here} and EVERYTHING not in may and room(b) not in may
    )
    assert not wrong, f"{module} (room {here}) imports {wrong}; {here} may import {sorted(may) or 'no room'}"


def architecture_table() -> dict[str, frozenset[str]]:
    """The 'may import' column of docs/ARCHITECTURE.md's rooms table, by room."""
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        name = cells[0].strip("`").removesuffix("/").removesuffix(".py")
        rooms = {r.strip() for r in re.split(r",\s*", cells[2])} - {"foundation"}
        table[name] = frozenset(rooms)
    return table


def test_architecture_table_says_the_same():
    assert architecture_table() == ALLOWED
