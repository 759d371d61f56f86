"""The bundled sample course (data/lessons) is valid, rich enough and resolvable by learners."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

import knowledge_graph as kg
from knowledge_graph.file_format import EdgeKind

LESSONS_DIR = Path(__file__).resolve().parents[2] / "data" / "lessons"
INTRO = "python-intro"


@pytest.fixture(scope="module")
def graph() -> kg.LessonGraph:
    return kg.load_graph(LESSONS_DIR)


def test_sample_course_validates_without_errors_or_warnings() -> None:
    report = kg.validate_path(LESSONS_DIR)
    assert report.issues == [], report.format()
    assert {Path(f).name for f in report.files} == {"python-intro.yaml", "python-testing.yaml"}


def test_intro_course_has_enough_lessons_and_modules(graph: kg.LessonGraph) -> None:
    intro = [lesson for lesson in graph.lessons() if lesson.course == INTRO]
    assert len(intro) >= 40
    assert len(graph.modules(INTRO)) >= 4
    assert all(lesson.summary and lesson.aliases for lesson in intro)
    assert {lesson.difficulty for lesson in intro} >= {1, 2, 3, 4}


def test_intro_course_uses_every_edge_kind(graph: kg.LessonGraph) -> None:
    kinds = {
        kind
        for u, v, data in graph.graph.edges(data=True)
        if u.startswith(f"{INTRO}/") and v.startswith(f"{INTRO}/")
        for kind in data["kinds"]
    }
    assert kinds == {k.value for k in EdgeKind}


def test_testing_course_links_to_the_intro_course(graph: kg.LessonGraph) -> None:
    assert graph.prerequisites("python-testing/test-fixtures").requires == (
        f"{INTRO}/unit-testing",
    )


def test_hard_prerequisites_are_acyclic_and_every_lesson_is_plannable(
    graph: kg.LessonGraph,
) -> None:
    hard = nx.DiGraph(
        (u, v)
        for u, v, d in graph.graph.edges(data=True)
        if {"requires", "requires_any"} & d["kinds"].keys()
    )
    assert nx.is_directed_acyclic_graph(hard)
    for lesson in graph.lessons():
        plan = graph.path_to(lesson.id, ())
        assert plan.steps[-1].id == lesson.id
        done: list[str] = []
        for step in plan.steps:  # each step is unlocked by the steps before it
            assert graph.is_unlocked(step.id, done), (lesson.id, step.id)
            done.append(step.id)


def test_bare_lesson_ids_are_unique_across_courses(graph: kg.LessonGraph) -> None:
    keys = [lesson.key for lesson in graph.lessons()]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("phrase", "lesson"),
    [
        ("loops", "for-loops"),
        ("for loop", "for-loops"),
        ("while loop", "while-loops"),
        ("if statements", "conditionals"),
        ("dicts", "dictionaries"),
        ("OOP", "classes"),
        ("unit tests", "unit-testing"),
        ("the lesson on recursion", "recursion"),
        ("f-strings", "string-formatting"),
        ("switch statement", "match-statement"),
        ("try except", "exceptions"),
        ("Reading and writing files", "reading-writing-files"),
        ("venv", "virtual-environments"),
    ],
)
def test_learner_phrases_resolve_to_the_intended_lesson(
    graph: kg.LessonGraph, phrase: str, lesson: str
) -> None:
    result = graph.find(phrase)
    assert result.best is not None
    assert result.best.lesson_id == f"{INTRO}/{lesson}"
    assert result.is_confident


@pytest.mark.parametrize(
    ("typo", "lesson"), [("functons", "functions"), ("dictionarys", "dictionaries")]
)
def test_misspelt_lesson_names_find_the_lesson_first(
    graph: kg.LessonGraph, typo: str, lesson: str
) -> None:
    best = graph.find(typo).best
    assert best is not None
    assert best.lesson_id == f"{INTRO}/{lesson}"


def test_a_new_learner_is_offered_start_lessons(graph: kg.LessonGraph) -> None:
    offered = [r.lesson_id for r in graph.recommend((), k=5)]
    assert offered
    assert all(not graph.missing_prerequisites(lesson, ()) for lesson in offered)
    assert f"{INTRO}/installing-python" in offered


def test_sample_course_is_translated_in_full_into_es_us(graph: kg.LessonGraph) -> None:
    assert all(course.locales == ("en_US", "es_US") for course in graph.courses.values())
    spanish = graph.localized("es_US")
    for lesson in spanish.lessons():
        assert lesson.title_locale == lesson.summary_locale == lesson.module_locale == "es_US"
        english = graph.lesson(lesson.id)
        assert lesson.title != english.title, lesson.id
        assert lesson.summary != english.summary, lesson.id
        assert lesson.module != english.module, lesson.id
    titles = [lesson.title for lesson in spanish.lessons()]
    assert len(set(titles)) == len(titles)
    assert [m.key for m in spanish.modules()] == [m.name for m in graph.modules()]


@pytest.mark.parametrize(
    ("words", "lesson"),
    [
        ("hola mundo", "hello-world"),
        ("funciones", "functions"),
        ("bucles for", "for-loops"),
        ("bucles", "for-loops"),
        ("pruebas unitarias", "unit-testing"),
        ("las clases", "classes"),
        ("la lección de recursión", "recursion"),
        ("instalar python", "installing-python"),
        ("diccionarios", "dictionaries"),
    ],
)
def test_spanish_speakers_words_name_the_lessons(
    graph: kg.LessonGraph, words: str, lesson: str
) -> None:
    found = graph.find(words, locale="es_US")
    assert found.is_confident and found.best is not None
    assert found.best.lesson_id == f"{INTRO}/{lesson}"
