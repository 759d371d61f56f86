"""Read a module's imports from its source with ``ast`` (shared by the architecture tests).

Every ``import`` and ``from ... import`` counts wherever it is written: at module level, inside
functions and under ``if TYPE_CHECKING:`` too (stricter than needed at run time, so that no
circle hides behind an annotation). ``from a.b import c`` is an edge to ``a.b.c`` when that is
a module, else to ``a.b``; relative imports are resolved against the importing module's
package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx


def module_name(path: Path, root: Path) -> str:
    """``a/b/c.py`` -> ``a.b.c``; ``a/b/__init__.py`` -> ``a.b`` (relative to ``root``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, name: str, *, is_package: bool, known: Iterable[str]) -> set[str]:
    """The modules a module's ``source`` imports, anywhere in it (dotted, absolute)."""
    known = set(known)
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


def build_import_graph(modules: Mapping[str, Path]) -> nx.DiGraph:
    """``module -> module it imports`` among ``modules`` (``name -> path``), no self-loops."""
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        imported = imported_modules(
            path.read_text(encoding="utf-8"),
            name,
            is_package=path.name == "__init__.py",
            known=modules,
        )
        graph.add_edges_from((name, target) for target in imported if target in modules)
    graph.remove_edges_from(nx.selfloop_edges(graph))
    return graph


def circles(graph: nx.DiGraph) -> list[list[str]]:
    """The import circles of ``graph`` (strongly connected groups of two or more)."""
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
