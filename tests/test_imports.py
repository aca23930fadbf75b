"""The import graph of ``qa/`` has no cycle. Every ``import`` in every module
counts, also those inside functions and under ``TYPE_CHECKING``: an import
moved into a function hides a cycle from Python, not from the design.

A package's ``__init__`` is not counted as imported by its submodules
(Python runs it first, but a factory in the package that imports its
members lazily is the layout of ``qa.backends`` and ``qa.embedders``); so a
submodule imports its siblings by their module, ``qa.embedders.base``, never
through the package."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "qa"


def module_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported(tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``tree`` imports anywhere (``from a import b``
    counts as ``a.b`` when that is a module, else as ``a``)."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names
            ]
    out = set()
    for name in names:
        while name and name not in modules:  # qa.backends.base.Generator -> qa.backends.base
            name = name.rpartition(".")[0]
        if name:
            out.add(name)
    return out


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph = {}
    for name, path in modules.items():
        graph[name] = imported(ast.parse(path.read_text("utf-8"), str(path)), modules) - {name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per group of modules that import each other, as a path
    ``[a, b, …, a]`` (depth-first search; the groups are disjoint)."""
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            cycle = _cycle_from(start, graph, [], done)
            if cycle:
                cycles.append(cycle)
                done.update(cycle)  # report each tangle once
    return cycles


def _cycle_from(node: str, graph: dict[str, set[str]], path: list[str], done: set[str]) -> list[str] | None:
    """A cycle reached from ``node`` along ``path``; nodes without one go to ``done``."""
    path.append(node)
    for nxt in sorted(graph[node]):
        if nxt in path:
            return path[path.index(nxt) :] + [nxt]
        if nxt not in done:
            found = _cycle_from(nxt, graph, path, done)
            if found:
                return found
    path.pop()
    done.add(node)
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph(module_files())
    assert len(graph) > 30 and "qa.records" in graph["qa.store"]  # the walk sees the package
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in qa/ (untangle: move the shared part to a lower module):\n" + "\n".join(
        " -> ".join(c) for c in cycles
    )


def test_every_import_of_the_package_names_one_of_its_modules():
    """An import of a module that moved away fails only when it runs (and mypy,
    told to ignore missing imports for faiss and friends, does not see it)."""
    modules = module_files()
    broken = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            wanted = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                wanted = [node.module]
            broken += [f"{name} imports {w}" for w in wanted if w.split(".")[0] == "qa" and w not in modules]
    assert not broken, "imports of modules qa/ does not have:\n" + "\n".join(broken)


def test_the_walk_sees_imports_inside_functions_and_names_the_cycle(tmp_path):
    pkg = tmp_path / "qa"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from qa.b import x\n")
    (pkg / "b.py").write_text("def f():\n    from qa import c\n")
    (pkg / "c.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    from qa.a import y\n")
    (pkg / "sub" / "__init__.py").write_text("def make():\n    from qa.sub.one import One\n")
    (pkg / "sub" / "one.py").write_text("from qa.sub.base import Base\nimport numpy as np\n")
    (pkg / "sub" / "base.py").write_text("import numpy\n")
    graph = import_graph(module_files(pkg))
    assert graph["qa.sub.one"] == {"qa.sub.base"}  # not the package it is in, not numpy
    assert find_cycles(graph) == [["qa.a", "qa.b", "qa.c", "qa.a"]]
    (pkg / "sub" / "base.py").write_text("from qa.sub import make\n")  # through the package: a cycle
    assert find_cycles(import_graph(module_files(pkg)))[1] == ["qa.sub", "qa.sub.one", "qa.sub.base", "qa.sub"]
