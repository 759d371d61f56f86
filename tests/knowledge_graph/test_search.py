"""LessonGraph.find: text -> lessons, tolerant of case, punctuation, accents and typos."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lesson_graphs import make_graph

from knowledge_graph.model import LessonGraph
from knowledge_graph.search import FindResult, LessonMatch, normalize
from knowledge_graph.text import drop_filler_words, fold_text

LESSONS = [
    {"id": "py/for-loops", "title": "For Loops", "aliases": ["iteration", "looping"]},
    {"id": "py/functions", "title": "Functions", "aliases": ["def"]},
    {"id": "py/list-comprehensions", "title": "List Comprehensions"},
    {"id": "py/dictionaries", "title": "Dictionaries"},
    {"id": "py/resume", "title": "Résumé Writing"},
    {"id": "py/intro", "title": "Introduction"},
    {"id": "web/intro", "title": "Introduction"},
    {"id": "web/css-grid", "title": "CSS Grid Layout"},
    {"id": "web/css-flexbox", "title": "CSS Flexbox Layout"},
]


@pytest.fixture(scope="module")
def graph() -> LessonGraph:
    return LessonGraph.from_networkx(make_graph(LESSONS))


def best_id(result: FindResult) -> str | None:
    return result.best.lesson_id if result.best else None


@pytest.mark.parametrize(
    "text",
    [
        "For Loops",
        "for loops",
        "FOR-LOOPS!!",
        "  for   loops ",
        "the lesson on for loops",
        "py/for-loops",
        "for-loops",
        "forloops",
        "Fór Lööps",
    ],
)
def test_exact_matches_ignore_case_punctuation_accents_and_filler(graph: LessonGraph, text):
    result = graph.find(text)
    assert best_id(result) == "py/for-loops"
    assert result.best.confidence == 1.0
    assert result.is_confident and not result.ambiguous


def test_accented_title_matches_plain_query(graph: LessonGraph):
    result = graph.find("resume writing")
    assert best_id(result) == "py/resume" and result.is_confident
    assert result.best.matched == "Résumé Writing"


def test_alias_hit_reports_the_alias(graph: LessonGraph):
    result = graph.find("Iteration")
    assert result.best == LessonMatch("py/for-loops", "For Loops", 1.0, "iteration")


def test_typos_are_found_but_not_necessarily_confident(graph: LessonGraph):
    for typo, expected in [
        ("fucntions", "py/functions"),
        ("functons", "py/functions"),
        ("dictionarys", "py/dictionaries"),
        ("list comprehension", "py/list-comprehensions"),
    ]:
        result = graph.find(typo)
        assert best_id(result) == expected, typo
        assert 0 < result.best.confidence < 1.0


def test_same_title_in_two_courses_is_ambiguous(graph: LessonGraph):
    result = graph.find("introduction")
    assert {m.lesson_id for m in result.matches} == {"py/intro", "web/intro"}
    assert result.ambiguous and not result.is_confident
    # The qualified id settles it.
    assert graph.find("web/intro").is_confident


def test_close_fuzzy_candidates_are_ambiguous(graph: LessonGraph):
    result = graph.find("css layout")
    assert {m.lesson_id for m in result.matches[:2]} == {"web/css-grid", "web/css-flexbox"}
    assert result.ambiguous and not result.is_confident


@pytest.mark.parametrize("text", ["", "   ", "?!.,", "quantum chromodynamics", "zzzzqqq", None, 42])
def test_unknown_or_garbage_input_finds_nothing(graph: LessonGraph, text):
    result = graph.find(text)  # type: ignore[arg-type]
    assert result.matches == () and result.best is None
    assert not result.is_confident and not result.ambiguous


def test_huge_input_is_truncated_without_error(graph: LessonGraph):
    result = graph.find("functions " * 10_000)
    assert len(result.query) <= 200
    assert best_id(result) in {None, "py/functions"}


def test_limit(graph: LessonGraph):
    assert len(graph.find("css", limit=1).matches) == 1
    assert graph.find("css", limit=0).matches == ()


def test_normalize():
    assert normalize("  The Lesson on Fór-Loops!! ") == "for loops"
    assert normalize("the") == "the"  # only filler: kept
    assert normalize("snake_case/Ids") == "snake case ids"
    assert normalize(None) == ""


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_find_never_raises(text: str):
    graph = LessonGraph.from_networkx(make_graph(LESSONS))
    result = graph.find(text, limit=3)
    assert len(result.matches) <= 3
    assert all(0.0 < m.confidence <= 1.0 for m in result.matches)
    confidences = [m.confidence for m in result.matches]
    assert confidences == sorted(confidences, reverse=True)


def test_normalize_is_fold_text_without_filler_words():
    text = "The lesson on Les Boucles « Énumérées » !"
    assert normalize(text) == drop_filler_words(fold_text(text)) == "les boucles enumerees"


def test_a_title_prefix_of_two_words_finds_its_one_lesson():
    """ "the capstone project" begins one lesson's title: found confidently, below an exact
    match; a prefix that begins two lessons' titles is not settled on either."""
    graph = LessonGraph.from_networkx(
        make_graph(
            [
                *LESSONS,
                {"id": "py/capstone", "title": "Capstone Project: Text Adventure"},
                {"id": "ds/basics", "title": "Data Science Basics"},
                {"id": "ds/projects", "title": "Data Science Projects"},
            ]
        )
    )
    found = graph.find("the capstone project")
    assert best_id(found) == "py/capstone" and found.is_confident
    assert found.best.confidence < 1.0
    assert not graph.find("data science").is_confident
