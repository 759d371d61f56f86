"""A recommendation as a list line (the reasons' wording is tested in knowledge_graph)."""

from __future__ import annotations

from pathlib import Path

import pytest
from course_files import course_text

from knowledge_graph import LessonGraph, Reason, ReasonKind, Recommendation, load_graph
from lex_bot.lesson_app.messages import messages_for
from lex_bot.lesson_app.recommendation_text import recommendation_line


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> LessonGraph:
    folder: Path = tmp_path_factory.mktemp("graph")
    (folder / "py.yaml").write_text(course_text("py", ["For Loops", "While Loops", "Recursion"]))
    return load_graph(folder)


def _recommendation(graph: LessonGraph, *reasons: Reason) -> Recommendation:
    return Recommendation("py/l1", graph.lesson("py/l1").title, 1.0, reasons)


CONTINUES = Reason(ReasonKind.CONTINUES, ("py/l0",))
UNLOCKS_ONE = Reason(ReasonKind.UNLOCKS, ("py/l2",), count=1)
UNLOCKS_FOUR = Reason(ReasonKind.UNLOCKS, ("py/l2",), count=4)
FITS = Reason(ReasonKind.DIFFICULTY_FIT)


def test_no_reason_gives_the_plain_line(graph: LessonGraph) -> None:
    t = messages_for("en_US")
    minutes = graph.lesson("py/l1").minutes
    assert recommendation_line(t, graph, _recommendation(graph)) == f"While Loops ({minutes} min)"
    assert recommendation_line(t, graph, _recommendation(graph, FITS)) == (
        f"While Loops ({minutes} min): it suits your level"
    )
