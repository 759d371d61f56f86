"""The layout holds: no import circles, the three rooms of ``lex_bot`` apart, a lean Lambda zip.

The import graph is read from the source as ``tests/import_graph.py`` says: every import
anywhere in a module counts, inside functions and under ``TYPE_CHECKING`` too.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import networkx as nx
import pytest
from import_graph import build_import_graph, circles, imported_modules, module_name
from paths import ROOT

from deploy.package import FUNCTION_SOURCES, is_shipped

PACKAGES = ("lex_bot", "knowledge_graph", "deploy", "bench", "publisher", "transitions_aggregator")
#: Imports no shipped module may make: developer and test tooling, not in requirements.txt.
DEV_ONLY = ("rich", "matplotlib", "hypothesis", "moto", "pytest", "cfn_lint", "scipy")


@cache
def project_modules() -> dict[str, Path]:
    files = [ROOT / "lambda_function.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return {module_name(f, ROOT): f for f in files}


def imported_names(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports (dotted, absolute; project or third party)."""
    return imported_modules(
        path.read_text(encoding="utf-8"),
        name,
        is_package=path.name == "__init__.py",
        known=project_modules(),
    )


@cache
def import_graph() -> nx.DiGraph:
    return build_import_graph(project_modules())


def test_the_scan_sees_imports_inside_functions() -> None:
    # lex_bot.lesson_app.services imports the graph loader only inside a function
    assert "knowledge_graph" in import_graph().successors("lex_bot.lesson_app.services")


def test_there_is_no_import_circle() -> None:
    assert circles(import_graph()) == []


def _reaches(prefix: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (a, b)
        for a, b in import_graph().edges
        if (a == prefix or a.startswith(prefix + "."))
        and any(b == f or b.startswith(f + ".") for f in forbidden)
    ]


def test_the_lex_framework_imports_nothing_of_the_app() -> None:
    forbidden = ("lex_bot.lesson_app", "lex_bot.devtools", "knowledge_graph", "lambda_function")
    assert _reaches("lex_bot.lexv2", forbidden) == []


def test_the_lesson_app_does_not_use_developer_tools() -> None:
    assert _reaches("lex_bot.lesson_app", ("lex_bot.devtools",)) == []


def test_knowledge_graph_never_imports_the_bot() -> None:
    assert _reaches("knowledge_graph", ("lex_bot", "lambda_function")) == []


def shipped_modules() -> dict[str, Path]:
    shipped = {}
    for name, path in project_modules().items():
        arcname = path.relative_to(ROOT).as_posix()
        if arcname.startswith(FUNCTION_SOURCES) and is_shipped(arcname):
            shipped[name] = path
    return shipped


def test_the_lambda_zip_leaves_out_tools_and_needs_nothing_it_leaves_out() -> None:
    shipped = shipped_modules()
    assert "lex_bot.lesson_app.app" in shipped and "knowledge_graph.loader" in shipped
    assert not [n for n in shipped if n.startswith("lex_bot.devtools")]
    assert "knowledge_graph.cli" not in shipped and "knowledge_graph.render" not in shipped
    project = project_modules()
    for name, path in shipped.items():
        for target in imported_names(name, path):
            top = target.split(".")[0]
            assert top not in DEV_ONLY, f"{name} imports {target}, a developer-only library"
            if target in project:
                assert target in shipped, f"shipped {name} imports {target}, left out of the zip"


@pytest.mark.parametrize("library", DEV_ONLY)
def test_importing_the_handler_loads_no_developer_library(library: str) -> None:
    import subprocess

    code = (
        "import sys, lambda_function; "
        f"sys.exit(1 if any(m == {library!r} or m.startswith({library!r} + '.') "
        "for m in sys.modules) else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
    assert result.returncode == 0, f"importing lambda_function loads {library}"
