"""Recommendation reasons in words (``knowledge_graph.reason_text``), in every locale."""

from __future__ import annotations

import string

import pytest

from knowledge_graph.examples import example_graph
from knowledge_graph.model import LessonGraph
from knowledge_graph.reason_text import (
    DEFAULT_LOCALE,
    LOCALES,
    TEMPLATES,
    because,
    join_list,
    reason_text,
)
from knowledge_graph.recommender import Reason, ReasonKind, Recommendation

CONTINUES = Reason(ReasonKind.CONTINUES, ("demo/variables",))
UNLOCKS_ONE = Reason(ReasonKind.UNLOCKS, ("demo/functions",), count=1)
UNLOCKS_FOUR = Reason(ReasonKind.UNLOCKS, ("demo/functions",), count=4)
FITS = Reason(ReasonKind.DIFFICULTY_FIT)


@pytest.fixture(scope="module")
def graph() -> LessonGraph:
    return example_graph()


def _recommendation(*reasons: Reason) -> Recommendation:
    return Recommendation("demo/loops", "For Loops", 1.0, reasons)


def test_two_reasons_close_the_relative_clause_before_and(graph: LessonGraph) -> None:
    text = because(graph, _recommendation(CONTINUES, UNLOCKS_FOUR))
    assert text == "it follows Variables, which you just finished, and it unlocks 4 more lessons"


def test_one_lesson_is_singular(graph: LessonGraph) -> None:
    assert because(graph, _recommendation(UNLOCKS_ONE)) == "it unlocks 1 more lesson"
    assert because(graph, _recommendation(UNLOCKS_ONE), "es_US") == "desbloquea 1 lección más"


def test_at_most_two_reasons_are_given(graph: LessonGraph) -> None:
    text = because(graph, _recommendation(UNLOCKS_FOUR, FITS, CONTINUES))
    assert text == "it unlocks 4 more lessons, and it suits your level"


def test_spanish_joins_with_ademas(graph: LessonGraph) -> None:
    text = because(graph, _recommendation(CONTINUES, UNLOCKS_ONE), "es_US")
    assert text == "sigue a Variables, que acabas de terminar; además, desbloquea 1 lección más"


def test_no_reason_gives_an_empty_clause(graph: LessonGraph) -> None:
    assert because(graph, _recommendation()) == ""


def test_an_unknown_locale_falls_back_to_english(graph: LessonGraph) -> None:
    recommendation = _recommendation(CONTINUES, UNLOCKS_FOUR)
    assert because(graph, recommendation, "fr_FR") == because(graph, recommendation)


def test_titles_are_listed_in_the_locale_and_capped(graph: LessonGraph) -> None:
    related = Reason(ReasonKind.RELATED, ("demo/loops", "nope/x", "demo/strings"))
    assert reason_text(graph, related) == "it is related to For Loops"  # 2 ids, one unknown
    both = Reason(ReasonKind.RELATED, ("demo/loops", "demo/strings", "demo/functions"))
    assert reason_text(graph, both) == "it is related to For Loops and Strings"
    assert reason_text(graph, both, "es_US") == "está relacionada con For Loops y Strings"


def test_join_list_reads_like_a_sentence() -> None:
    assert join_list(["A", "B", "C"]) == "A, B, and C"  # CLDR's English list, via Babel
    assert join_list(["A", "B", "C"], "es_US") == "A, B y C"
    assert join_list(["A"]) == "A" and join_list([]) == ""


@pytest.mark.parametrize("locale", LOCALES)
def test_every_reason_kind_is_worded_with_the_same_placeholders(locale: str) -> None:
    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    templates, english = TEMPLATES[locale], TEMPLATES[DEFAULT_LOCALE]
    assert set(templates) == set(english)
    worded = {key.removesuffix(".one").removesuffix(".other") for key in templates}
    assert {f"reason.{kind}" for kind in ReasonKind} <= worded
    for key, template in templates.items():
        assert fields(template) == fields(english[key]), key


def test_every_recommendation_of_the_example_has_words(graph: LessonGraph) -> None:
    for recommendation in graph.recommend(["demo/variables"], k=5):
        for locale in LOCALES:
            assert all(reason_text(graph, r, locale) for r in recommendation.reasons)
            assert because(graph, recommendation, locale)


def test_good_start_wording_is_true_of_lessons_that_are_not_start_lessons() -> None:
    # `stats` lists start lessons (no prerequisite and nobody's `next`); the recommender's
    # good_start reason needs only "no prerequisite", so its wording must not claim more
    from knowledge_graph import load_graph
    from knowledge_graph.stats import compute_stats

    data = load_graph("data/lessons")
    roots = set(compute_stats(data).roots)
    offered = data.recommend({}, k=len(data))
    good_start = [r for r in offered if any(x.kind is ReasonKind.GOOD_START for x in r.reasons)]
    assert good_start, "a new learner is offered lessons that build on nothing"
    assert {r.lesson_id for r in good_start} - roots, "some are another lesson's next"
    for rec in good_start:
        assert not data.missing_prerequisites(rec.lesson_id, {})
        assert not data.graph.in_edges(rec.lesson_id) or all(
            not {"requires", "recommends", "requires_any"} & set(d["kinds"])
            for _, _, d in data.graph.in_edges(rec.lesson_id, data=True)
        )
    text = reason_text(data, Reason(ReasonKind.GOOD_START), "en_US")
    assert text == "it builds on no earlier lesson" and "start" not in text
    es = reason_text(data, Reason(ReasonKind.GOOD_START), "es_US")
    assert es == "no se basa en ninguna lección anterior"
