"""Compiled graphs: same answers as validating, used only while the course files match."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge_graph import GraphLoader, load_graph
from knowledge_graph.cli import main as cli_main
from knowledge_graph.compiled import COMPILED_NAME, write_compiled
from knowledge_graph.errors import GraphValidationError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    shutil.copytree(ROOT / "data" / "lessons", folder)
    return folder


def answers(graph):  # type: ignore[no-untyped-def]
    """What the bot asks of a graph, for a few learners."""
    ids = graph.index.ids
    learners = [{}, dict.fromkeys(ids[:5], 1.0), {ids[0]: 0.4, ids[1]: 1.0}]
    out = []
    for progress in learners:
        out.append([(r.lesson_id, r.score, r.reasons) for r in graph.recommend(progress, k=5)])
        out.append(graph.path_to(ids[-1], progress).steps)
    out.append([graph.lesson(i) for i in ids])
    out.append([m.lesson_id for m in graph.find("loops").matches])
    out.append(graph.courses)
    return out


def test_a_compiled_graph_answers_exactly_like_the_validated_one(course_dir: Path) -> None:
    validated = load_graph(course_dir)
    write_compiled(course_dir)
    compiled = load_graph(course_dir)
    assert compiled._graph is None, "the compiled graph must not build networkx up front"
    assert answers(compiled) == answers(validated)
    assert compiled.fingerprint == validated.fingerprint  # builds the DiGraph on demand
    assert compiled.graph.number_of_edges() == validated.graph.number_of_edges()


def test_loading_a_compiled_graph_skips_validation_and_networkx(course_dir: Path) -> None:
    write_compiled(course_dir)
    code = (
        "import sys; from knowledge_graph import load_graph; "
        f"g = load_graph({str(course_dir)!r}); g.recommend({{}}, k=3); "
        "print('networkx' in sys.modules, len(g))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", str(len(load_graph(course_dir)))]


def test_an_edited_course_file_makes_the_compiled_graph_stale(course_dir: Path) -> None:
    write_compiled(course_dir)
    course = course_dir / "python-testing.yaml"
    course.write_text(course.read_text().replace("title: ", "title: New ", 1))
    graph = load_graph(course_dir)
    assert graph._graph is not None, "stale compiled file: the files were validated instead"
    assert any(c.title.startswith("New ") for c in graph.courses.values())


def test_an_invalid_edit_is_not_hidden_by_the_compiled_graph(course_dir: Path) -> None:
    write_compiled(course_dir)
    course = course_dir / "python-testing.yaml"
    course.write_text(course.read_text() + "  - id: broken\n    requires: [nowhere]\n")
    with pytest.raises(GraphValidationError):
        load_graph(course_dir)


@pytest.mark.parametrize(
    "damage",
    [
        "not json",
        json.dumps({"format": "lessonbot-compiled-graph", "version": 99}),
        "[]",
        "TAMPER",
    ],
)
def test_a_damaged_compiled_file_is_ignored_and_logged(
    course_dir: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    target = write_compiled(course_dir)
    if damage == "TAMPER":  # right hashes, wrong shape
        data = json.loads(target.read_text())
        data["nodes"][0][1]["aliases"] = "!!python/object"
        damage = json.dumps(data)
    target.write_text(damage)
    with caplog.at_level(logging.WARNING):
        graph = load_graph(course_dir)
    assert graph._graph is not None and len(graph) == len(load_graph(ROOT / "data" / "lessons"))
    assert any(r.getMessage() == "compiled graph ignored" for r in caplog.records)


def test_compile_refuses_an_invalid_folder(course_dir: Path) -> None:
    (course_dir / "python-testing.yaml").write_text("course: {id: x}\nlessons: 3\n")
    with pytest.raises(GraphValidationError):
        write_compiled(course_dir)
    assert not (course_dir / COMPILED_NAME).exists()


def test_the_hot_reloading_loader_uses_it(course_dir: Path) -> None:
    write_compiled(course_dir)
    loader = GraphLoader(str(course_dir), check_interval=0)
    assert loader.get()._graph is None


def test_compile_command(course_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["compile", str(course_dir)]) == 0
    assert COMPILED_NAME in capsys.readouterr().out
    (course_dir / "python-testing.yaml").write_text("lessons: []\n")
    assert cli_main(["compile", str(course_dir)]) == 1
    assert "FAILED" in capsys.readouterr().out
