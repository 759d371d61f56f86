"""``knowledge_graph`` has no import circle and keeps its layers.

The import graph is read from the source as ``tests/import_graph.py`` says (imports inside
functions and under ``TYPE_CHECKING`` count too).

Run ``python tests/knowledge_graph/test_import_layers.py`` to print the graph by layer.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import networkx as nx
from import_graph import build_import_graph, circles, imported_modules, module_name

PACKAGE = "knowledge_graph"
PACKAGE_DIR = Path(__file__).resolve().parents[2] / PACKAGE

#: The layers, bottom first: a module may import only from layers below its own.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(PACKAGE if name == "(package)" else f"{PACKAGE}.{name}" for name in layer.split())
    for layer in (
        "errors text wording fonts aws_clients mapped_arrays",
        "file_format",
        "course_schema",
        "sources builder transitions",
        "validation.issues",
        "validation.documents",
        "validation.field_checks",
        "validation.reference_checks validation.graph_checks validation.translation_checks",
        "validation",
        "index",
        "planning search",
        "lesson_state",
        "tables",
        "recommender",
        "model",
        "compiled incremental",
        "loader",
        "examples stats diff render reason_text synthetic",
        "evaluation",
        "explore",
        "cli",
        "__main__",
        # The package re-exports names of its modules lazily (importlib), except the errors.
        "(package)",
    )
)


@cache
def package_modules() -> dict[str, Path]:
    root = PACKAGE_DIR.parent
    return {module_name(path, root): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


@cache
def import_graph() -> nx.DiGraph:
    return build_import_graph(package_modules())


def layer_of(module: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if module in layer)


def test_the_scan_sees_imports_in_functions_relative_and_type_checking_ones() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import text\n"
        "from .validation import issues, validate_path\n"
        "if TYPE_CHECKING:\n"
        "    from knowledge_graph.model import LessonGraph\n"
        "def f():\n"
        "    import knowledge_graph.loader\n"
    )
    known = set(package_modules())
    found = imported_modules(source, "knowledge_graph.x", is_package=False, known=known)
    assert found >= {
        "knowledge_graph.text",
        "knowledge_graph.validation.issues",
        "knowledge_graph.validation",
        "knowledge_graph.model",
        "knowledge_graph.loader",
    }


def test_there_is_no_import_circle() -> None:
    assert circles(import_graph()) == []


def test_every_module_has_a_layer() -> None:
    placed = set().union(*LAYERS)
    assert set(package_modules()) == placed


def test_modules_import_only_from_lower_layers() -> None:
    upward = [
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
        for a, b in sorted(import_graph().edges)
        if layer_of(b) >= layer_of(a)
    ]
    assert upward == []


def test_submodules_import_their_names_from_the_defining_module() -> None:
    through_package = sorted(a for a, b in import_graph().edges if b == PACKAGE)
    assert through_package == [], "import from the defining submodule, not from the package"


def _defined_names(path: Path) -> set[str]:
    """Names a module defines at top level (classes, functions, assignments)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_names_are_imported_from_the_module_that_defines_them() -> None:
    modules = package_modules()
    relayed = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.module not in modules:
                continue
            home = _defined_names(modules[node.module])
            relayed += [
                f"{name}: {alias.name} from {node.module}"
                for alias in node.names
                if alias.name not in home and f"{node.module}.{alias.name}" not in modules
            ]
    assert relayed == []


def test_the_bottom_layer_imports_nothing_of_the_package() -> None:
    for module in LAYERS[0]:
        assert list(import_graph().successors(module)) == []


if __name__ == "__main__":
    graph = import_graph()
    for number, layer in enumerate(LAYERS):
        for module in sorted(layer):
            below = sorted(graph.successors(module))
            print(f"{number:>2} {module:<42} -> {', '.join(below) or '-'}")
    print("import circles:", circles(graph) or "none")
