"""How the recommender's structured reasons read in each locale (lex_bot/recommendation_text)."""

from __future__ import annotations

from pathlib import Path

import pytest
from course_files import course_text

from knowledge_graph import LessonGraph, Reason, ReasonKind, Recommendation, load_graph
from lex_bot.messages import messages_for
from lex_bot.recommendation_text import because, recommendation_line


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


def test_two_reasons_close_the_relative_clause_before_and(graph: LessonGraph) -> None:
    text = because(messages_for("en_US"), graph, _recommendation(graph, CONTINUES, UNLOCKS_FOUR))
    assert text == "it follows For Loops, which you just finished, and it unlocks 4 more lessons"


def test_one_lesson_is_singular(graph: LessonGraph) -> None:
    assert because(messages_for("en_US"), graph, _recommendation(graph, UNLOCKS_ONE)) == (
        "it unlocks 1 more lesson"
    )


def test_at_most_two_reasons_are_given(graph: LessonGraph) -> None:
    text = because(
        messages_for("en_US"), graph, _recommendation(graph, UNLOCKS_FOUR, FITS, CONTINUES)
    )
    assert text == "it unlocks 4 more lessons, and it suits your level"


def test_spanish_joins_with_ademas(graph: LessonGraph) -> None:
    text = because(messages_for("es_US"), graph, _recommendation(graph, CONTINUES, UNLOCKS_ONE))
    assert text == "sigue a For Loops, que acabas de terminar; además, desbloquea 1 lección más"


def test_no_reason_gives_the_plain_line(graph: LessonGraph) -> None:
    t = messages_for("en_US")
    assert because(t, graph, _recommendation(graph)) == ""
    minutes = graph.lesson("py/l1").minutes
    assert recommendation_line(t, graph, _recommendation(graph)) == f"While Loops ({minutes} min)"
    assert recommendation_line(t, graph, _recommendation(graph, FITS)) == (
        f"While Loops ({minutes} min): it suits your level"
    )
