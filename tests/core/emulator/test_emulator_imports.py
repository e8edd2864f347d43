"""The emulator's modules import one way: no cycle (type-only imports included), and the fixture
parsers and the stores below the state never reach it.

Two views of the same graph: what each module really imports when it is loaded alone in a fresh
interpreter (``builtins.__import__`` watched), and what its source imports anywhere, also inside
functions (read with ``ast``), where a lazy import could hide a cycle the first view cannot see.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import activepieces_core.testing as package

PKG = package.__name__
SOURCES = {
    f"{PKG}.{path.stem}": path
    for path in sorted(Path(package.__file__).parent.glob("*.py"))
    if path.stem != "__init__"
}
PARSERS = (f"{PKG}.fixtures", f"{PKG}.people_fixtures")
STATE = f"{PKG}.state"

# Run in a fresh interpreter: import one module, print the package-internal edges it ran.
_WATCH = """
import builtins, importlib, importlib.util, json, sys
PKG = sys.argv[2]
edges = set()
real = builtins.__import__

def watch(name, globals=None, locals=None, fromlist=(), level=0):
    module = real(name, globals, locals, fromlist, level)
    importer = (globals or {}).get("__name__", "")
    if importer.startswith(PKG):
        base = importlib.util.resolve_name("." * level + name, globals["__package__"]) if level else name
        for target in [base, *(f"{base}.{item}" for item in fromlist or ())]:
            if target.startswith(PKG + ".") and target in sys.modules and target != importer:
                edges.add((importer, target))
    return module

builtins.__import__ = watch
importlib.import_module(sys.argv[1])
loaded = sorted(m for m in sys.modules if m.startswith(PKG + "."))
print(json.dumps({"edges": sorted(edges), "loaded": loaded}))
"""


def _cycle(edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """One cycle of the directed graph, or None."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def _static_edges(*, type_checking: bool) -> set[tuple[str, str]]:
    """Imports of package modules written in each source; ``if TYPE_CHECKING:`` blocks only
    when ``type_checking``."""
    edges: set[tuple[str, str]] = set()
    for name, path in SOURCES.items():
        edges |= _edges_of(name, path.read_text(encoding="utf-8"), type_checking=type_checking)
    return edges


def _edges_of(name: str, source: str, *, type_checking: bool) -> set[tuple[str, str]]:
    edges: set[tuple[str, str]] = set()
    nodes: list[ast.AST] = [ast.parse(source)]
    while nodes:
        node = nodes.pop()
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
            and not type_checking
        ):
            nodes.extend(node.orelse)
            continue
        if isinstance(node, ast.ImportFrom):
            base = (
                PKG + ("." + node.module if node.module else "")
                if node.level == 1
                else node.module or ""
            )
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            edges.update((name, t) for t in targets if t in SOURCES and t != name)
        elif isinstance(node, ast.Import):
            edges.update((name, a.name) for a in node.names if a.name in SOURCES)
        nodes.extend(ast.iter_child_nodes(node))
    return edges


def test_each_module_imports_alone_without_a_cycle() -> None:
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", _WATCH, name, PKG],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in SOURCES
    }
    edges: set[tuple[str, str]] = set()
    loaded: dict[str, list[str]] = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"import {name} alone failed:\n{err}"
        report = json.loads(out)
        edges.update((a, b) for a, b in report["edges"])
        loaded[name] = report["loaded"]
    assert (f"{PKG}.state", f"{PKG}.fixtures") in edges  # the watch sees real imports
    assert _cycle(edges) is None, _cycle(edges)
    for parser in PARSERS:
        assert STATE not in loaded[parser], f"{parser} loads the state"


def test_no_cycle_in_the_sources_even_through_lazy_or_type_only_imports() -> None:
    """Type-only imports count too: ``state`` <-> ``people``/``piece_sets`` was such a circle."""
    edges = _static_edges(type_checking=True)
    assert (f"{PKG}.people", f"{PKG}.responses") in edges  # imports are found at all
    assert _cycle(edges) is None, _cycle(edges)


def test_type_only_imports_are_told_apart() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .state import X\n"
    edge = (f"{PKG}.people", STATE)
    assert _edges_of(edge[0], source, type_checking=True) == {edge}
    assert _edges_of(edge[0], source, type_checking=False) == set()


def _reachable(edges: set[tuple[str, str]], start: str) -> set[str]:
    reachable, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node not in reachable:
            reachable.add(node)
            todo.extend(b for a, b in edges if a == node)
    return reachable


def test_the_stores_below_the_state_never_reach_it() -> None:
    """The state builds the people and piece-set stores; they see it only as
    `records.StateView`, so the arrows run state -> people/piece_sets -> records."""
    edges = _static_edges(type_checking=True)
    for store in ("people", "piece_sets"):
        assert (STATE, f"{PKG}.{store}") in edges
        assert (f"{PKG}.{store}", f"{PKG}.records") in edges
    below = (*PARSERS, f"{PKG}.people", f"{PKG}.piece_sets", f"{PKG}.records")
    for module in below:
        assert STATE not in _reachable(edges, module), f"{module} reaches the state"


def _private_imports(source: str) -> list[str]:
    """``_name`` imported from another module of the package (``__dunder__`` names aside)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(PKG)):
            found += [
                f"{node.module}.{a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")
            ]
    return found


def test_no_private_name_crosses_the_emulators_modules() -> None:
    """A name one module uses from another is public there (or lives where it is used)."""
    crossing = {
        name: found
        for name, path in SOURCES.items()
        if (found := _private_imports(path.read_text(encoding="utf-8")))
    }
    assert crossing == {}
    assert _private_imports("from .validation import _Issues, MISSING") == ["validation._Issues"]


def _imports_of(module: str, source: str, *, is_package: bool = False) -> set[str]:
    """Absolute names of what ``source`` imports (relative imports resolved; ``from a import
    b`` counts as ``a`` and ``a.b``), also through ``importlib.import_module("...")``."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")
        ):
            found.add(node.args[0].value)
    return found


def _uses_the_emulator(names: Iterable[str]) -> bool:
    return any(n == PKG or n.startswith(PKG + ".") for n in names)


def test_the_rest_of_the_core_never_imports_the_emulator() -> None:
    """The emulator is a room of its own: the client, engine and CLI work without it."""
    core = Path(package.__file__).parent.parent
    root = core.parent
    offenders = []
    for path in sorted(core.rglob("*.py")):
        if path.is_relative_to(core / "testing"):
            continue
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        is_package = path.name == "__init__.py"
        if is_package:
            module = module.removesuffix(".__init__")
        imported = _imports_of(module, path.read_text(encoding="utf-8"), is_package=is_package)
        if _uses_the_emulator(imported):
            offenders.append(module)
    assert offenders == []
    cli = "activepieces_core.cli.tenants"
    assert _uses_the_emulator(_imports_of(cli, "from ..testing import Emulator"))
    assert _uses_the_emulator(_imports_of(cli, "from .. import testing"))
    assert _uses_the_emulator(_imports_of(cli, "import_module('activepieces_core.testing')"))
    assert not _uses_the_emulator(_imports_of(cli, "from ..tenants import testing_kinds"))


def test_cycle_finder_finds_cycles() -> None:
    assert _cycle([("a", "b"), ("b", "c"), ("c", "a")]) == ["a", "b", "c", "a"]
    assert _cycle([("a", "b"), ("a", "c"), ("b", "c")]) is None
