"""LessonGraph lookups, prerequisites, recommendations and paths on small hand-made graphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lesson_graphs import make_graph

from knowledge_graph import GraphError, UnknownLessonError
from knowledge_graph.model import (
    MASTERY_THRESHOLD,
    LearningPath,
    LessonGraph,
    Module,
    Prerequisites,
)
from knowledge_graph.recommender import Reason, ReasonKind

DATA = Path(__file__).resolve().parents[2] / "data" / "lessons"

PYTHON = [
    {
        "id": "py/variables",
        "title": "Variables",
        "module": "Basics",
        "difficulty": 1,
        "minutes": 10,
        "aliases": ["vars"],
        "next": ["loops"],
    },
    {
        "id": "py/strings",
        "title": "Strings",
        "module": "Basics",
        "difficulty": 1,
        "minutes": 15,
        "requires": ["variables"],
    },
    {
        "id": "py/loops",
        "title": "Loops",
        "module": "Control flow",
        "difficulty": 2,
        "minutes": 20,
        "requires": ["variables"],
        "next": ["functions"],
    },
    {
        "id": "py/functions",
        "title": "Functions",
        "module": "Control flow",
        "difficulty": 3,
        "minutes": 25,
        "requires": ["loops"],
        "recommends": ["strings"],
    },
    {
        "id": "py/recursion",
        "title": "Recursion",
        "module": "Control flow",
        "difficulty": 4,
        "minutes": 30,
        "requires_any": [["functions", "loops"]],
    },
    {
        "id": "py/classes",
        "title": "Classes",
        "module": "Objects",
        "difficulty": 4,
        "minutes": 40,
        "requires": ["functions"],
        "requires_any": [["strings", "recursion"]],
    },
    {
        "id": "web/intro",
        "title": "Intro to the Web",
        "module": "Basics",
        "difficulty": 1,
        "minutes": 5,
        "related": ["py/variables"],
    },
    {
        "id": "web/variables",
        "title": "CSS Variables",
        "module": "Styling",
        "difficulty": 2,
        "minutes": 10,
        "requires": ["intro"],
    },
]


@pytest.fixture(scope="module")
def graph() -> LessonGraph:
    return LessonGraph.from_networkx(make_graph(PYTHON))


# ------------------------------------------------------------------- lookups


def test_len_contains_and_lessons_in_load_order(graph: LessonGraph):
    assert len(graph) == 8
    assert "py/loops" in graph and "loops" in graph
    assert "variables" not in graph  # bare id used by two courses
    assert "nope" not in graph and 42 not in graph
    assert [lesson.id for lesson in graph.lessons()] == [s["id"] for s in PYTHON]


def test_resolve_id_accepts_qualified_and_unique_bare_ids(graph: LessonGraph):
    assert graph.resolve_id("py/loops") == "py/loops"
    assert graph.resolve_id("recursion") == "py/recursion"
    with pytest.raises(UnknownLessonError) as caught:
        graph.resolve_id("variables")
    assert set(caught.value.suggestions) >= {"py/variables"}
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, GraphError)


def test_unknown_lesson_raises_everywhere(graph: LessonGraph):
    for call in (
        lambda: graph.lesson("zzz"),
        lambda: graph.prerequisites("zzz"),
        lambda: graph.missing_prerequisites("zzz", ()),
        lambda: graph.unlocks("zzz"),
        lambda: graph.recommend((), goal="zzz"),
        lambda: graph.path_to("zzz", ()),
    ):
        with pytest.raises(UnknownLessonError):
            call()


def test_lesson_fields(graph: LessonGraph):
    lesson = graph.lesson("variables" if "variables" in graph else "py/variables")
    assert (lesson.id, lesson.key, lesson.course, lesson.title) == (
        "py/variables",
        "variables",
        "py",
        "Variables",
    )
    assert (lesson.module, lesson.difficulty, lesson.minutes) == ("Basics", 1, 10)
    assert lesson.aliases == ("vars",) and lesson.url is None


def test_modules_in_order_of_first_appearance(graph: LessonGraph):
    assert graph.modules("py") == [
        Module("py", "Basics", ("py/variables", "py/strings")),
        Module("py", "Control flow", ("py/loops", "py/functions", "py/recursion")),
        Module("py", "Objects", ("py/classes",)),
    ]
    assert [(m.course, m.name) for m in graph.modules()][-2:] == [
        ("web", "Basics"),
        ("web", "Styling"),
    ]
    assert graph.modules("nope") == []


def test_courses_and_fingerprint(graph: LessonGraph):
    assert set(graph.courses) == {"py", "web"}
    assert graph.courses["py"].weights["goal"] > 0
    again = LessonGraph.from_networkx(make_graph(PYTHON, insertion=range(7, -1, -1)))
    assert again.fingerprint == graph.fingerprint
    changed = [dict(s) for s in PYTHON]
    changed[0]["minutes"] = 11
    assert LessonGraph.from_networkx(make_graph(changed)).fingerprint != graph.fingerprint


# ------------------------------------------------------------- prerequisites


def test_prerequisites(graph: LessonGraph):
    assert graph.prerequisites("functions") == Prerequisites(
        requires=("py/loops",), requires_any=(), recommends=("py/strings",)
    )
    assert graph.prerequisites("classes") == Prerequisites(
        requires=("py/functions",), requires_any=(("py/strings", "py/recursion"),), recommends=()
    )


def test_missing_prerequisites_are_the_minimal_plan_in_a_followable_order(graph: LessonGraph):
    # classes: requires functions (-> loops -> variables) and one of strings (15 min) or
    # recursion (30 min): strings is cheaper; listed in load order where the order is free.
    expected = ["py/variables", "py/strings", "py/loops", "py/functions"]
    assert graph.missing_prerequisites("classes", ()) == expected
    # Some progress on a dearer member does not make it cheaper: it is not mastered.
    assert graph.missing_prerequisites("classes", {"py/recursion": 0.4}) == expected
    assert graph.missing_prerequisites("classes", ["py/functions", "py/recursion"]) == []


def test_group_member_without_own_prerequisites_is_preferred(graph: LessonGraph):
    # functions needs loops; loops needs variables (done) -> loops is unlocked, so it's easiest.
    assert graph.missing_prerequisites("recursion", ["py/variables"]) == ["py/loops"]


def test_mastery_threshold_decides_completion(graph: LessonGraph):
    below = {"py/variables": MASTERY_THRESHOLD - 0.01}
    assert not graph.is_unlocked("loops", below)
    assert graph.is_unlocked("loops", {"py/variables": MASTERY_THRESHOLD})
    assert graph.is_unlocked("loops", ["py/variables"])


def test_progress_tolerates_unknown_ids_bare_ids_and_bad_values(graph: LessonGraph):
    messy = {"nope": 1.0, "loops": 1.0, "py/variables": "lots", "py/strings": float("nan")}
    assert graph.is_unlocked("functions", messy)
    assert not graph.is_unlocked("strings", messy)
    assert graph.missing_prerequisites("loops", "py/variables") == []  # one id as a string


def test_unlocks(graph: LessonGraph):
    assert graph.unlocks("py/variables") == ["py/strings", "py/loops"]
    assert graph.unlocks("loops") == ["py/functions", "py/recursion"]
    assert graph.unlocks("classes") == []


# --------------------------------------------------------------- recommend


def ids(recommendations) -> list[str]:
    return [r.lesson_id for r in recommendations]


def test_new_learner_gets_good_starts(graph: LessonGraph):
    recs = graph.recommend({}, k=5)
    assert set(ids(recs)) == {"py/variables", "web/intro"}
    assert all(ReasonKind.GOOD_START in [r.kind for r in rec.reasons] for rec in recs)
    # variables unlocks more lessons than intro.
    assert ids(recs)[0] == "py/variables"


def test_just_finished_lesson_is_continued(graph: LessonGraph):
    recs = graph.recommend(["py/variables"], k=3)
    assert recs[0].lesson_id == "py/loops"
    assert recs[0].reasons[0] == Reason(ReasonKind.CONTINUES, ("py/variables",))
    # "variables" is a bare id of two courses: ignored like any unknown id.
    assert graph.recommend(["variables"], k=3) == graph.recommend([], k=3)


def test_recent_overrides_default_momentum(graph: LessonGraph):
    done = ["py/variables", "web/intro"]
    recs = graph.recommend(done, k=3, recent=["web/intro"])
    assert recs[0].lesson_id == "web/variables"
    assert graph.recommend(done, k=3, recent=["py/variables"])[0].lesson_id == "py/loops"


def test_goal_path_frontier_comes_first(graph: LessonGraph):
    recs = graph.recommend(["py/variables"], k=3, goal="web/variables")
    assert recs[0].lesson_id == "web/intro"
    assert recs[0].reasons[0] == Reason(ReasonKind.TOWARD_GOAL, ("web/variables",))


def test_unlocks_counts_only_lessons_that_become_startable(graph: LessonGraph):
    # recursion needs functions OR loops: with loops done it is open already, and classes
    # also needs strings or recursion: mastering functions alone opens nothing.
    rec = graph.recommend(["py/variables", "py/loops"], k=5)
    functions = next(r for r in rec if r.lesson_id == "py/functions")
    kinds = {r.kind: r for r in functions.reasons}
    assert ReasonKind.UNLOCKS not in kinds
    assert ReasonKind.READY not in kinds  # its soft prerequisite "strings" is not done
    strings = next(r for r in rec if r.lesson_id == "py/strings")
    assert Reason(ReasonKind.READY, ("py/variables",)) in strings.reasons
    # With strings done too, functions is the last thing classes waits for.
    rec = graph.recommend(["py/variables", "py/loops", "py/strings"], k=5)
    functions = next(r for r in rec if r.lesson_id == "py/functions")
    kinds = {r.kind: r for r in functions.reasons}
    assert kinds[ReasonKind.UNLOCKS] == Reason(ReasonKind.UNLOCKS, ("py/classes",), count=1)


def test_readiness_prefers_lessons_whose_soft_prerequisites_are_mastered():
    specs = [
        {"id": "a"},
        {"id": "b"},
        {"id": "x", "recommends": ["a"]},
        {"id": "y", "recommends": ["b"]},
    ]
    graph = LessonGraph.from_networkx(make_graph(specs))
    progress = {"c/a": 0.1, "c/b": 0.55}  # neither completed
    ranked = ids(graph.recommend(progress, k=4))
    assert ranked.index("c/y") < ranked.index("c/x")


def test_nothing_left_and_nonpositive_k(graph: LessonGraph):
    everything = [s["id"] for s in PYTHON]
    assert graph.recommend(everything) == []
    assert graph.recommend({}, k=0) == []
    assert graph.recommend({}, k=-3) == []


def test_goal_weight_zero_disables_goal_priority():
    specs = [
        {"id": "start", "next": ["follow"]},
        {"id": "follow", "requires": ["start"]},
        {"id": "far"},
        {"id": "target", "requires": ["far"]},
    ]
    weights = {"c": {"goal": 0.0}}
    graph = LessonGraph.from_networkx(make_graph(specs, weights=weights))
    recs = graph.recommend(["c/start"], k=1, goal="c/target")
    assert recs[0].lesson_id == "c/follow"


# ------------------------------------------------------------------- path_to


def test_path_to_orders_prerequisites_and_sums_minutes(graph: LessonGraph):
    path = graph.path_to("classes", ["py/variables"])
    assert [s.id for s in path.steps] == ["py/strings", "py/loops", "py/functions", "py/classes"]
    assert path.total_minutes == 15 + 20 + 25 + 40
    assert path.goal == "py/classes" and not path.already_done


def test_path_to_completed_goal_is_empty(graph: LessonGraph):
    assert graph.path_to("strings", ["py/strings"]) == LearningPath(
        "py/strings", (), 0, already_done=True
    )


def test_path_to_takes_the_cheapest_group_member_not_the_most_progressed(graph: LessonGraph):
    path = graph.path_to("recursion", {"py/variables": 1.0, "py/functions": 0.3})
    # recursion needs one of functions (25 min, and it needs loops) or loops (20 min).
    assert [s.id for s in path.steps] == ["py/loops", "py/recursion"]
    assert path.total_minutes == 50


def test_empty_graph():
    import networkx as nx

    graph = LessonGraph.from_networkx(nx.DiGraph(courses={}))
    assert len(graph) == 0
    assert graph.recommend({"x": 1.0}) == []
    assert graph.lessons() == [] and graph.modules() == []
    assert graph.find("anything").matches == ()


# ------------------------------------------------------------ bundled course


def test_bundled_course_loads_and_answers_queries():
    if not any(DATA.glob("*.y*ml")) and not any(DATA.glob("*.json")):
        pytest.skip(f"no sample course in {DATA} yet (written by the CLI/data helper)")
    from knowledge_graph import load_graph

    graph = load_graph(DATA)
    assert len(graph) > 0
    first = graph.lessons()[0]
    assert graph.find(first.title).best.lesson_id == first.id
    recs = graph.recommend({}, k=3)
    assert recs and all(graph.is_unlocked(r.lesson_id, {}) for r in recs)
    last = graph.lessons()[-1]
    path = graph.path_to(last.id, {})
    assert path.steps[-1].id == last.id


def test_momentum_flows_along_every_prerequisite_link():
    # FORMAT.md: momentum flows along "is a prerequisite of" links, whichever kind.
    specs = [
        {"id": "a"},
        {"id": "x"},
        {"id": "by_requires", "requires": ["a"]},
        {"id": "by_group", "requires_any": [["a", "x"]]},
        {"id": "by_soft", "recommends": [("a", 1.0)]},
    ]
    graph = LessonGraph.from_networkx(make_graph(specs))
    scores = {r.lesson_id: r.score for r in graph.recommend(["c/a"], k=5)}
    assert scores["c/by_requires"] == scores["c/by_group"] == scores["c/by_soft"]
    assert scores["c/by_requires"] > scores["c/x"]  # nothing links x to a


def test_a_group_already_satisfied_by_the_path_costs_nothing_more():
    specs = [
        {"id": "a", "minutes": 20},
        {"id": "b", "minutes": 5},
        {"id": "f", "minutes": 10, "requires_any": [["a", "b"]]},
        {"id": "g", "minutes": 10, "requires": ["a", "f"]},
    ]
    graph = LessonGraph.from_networkx(make_graph(specs))
    path = graph.path_to("g", [])
    assert [s.id for s in path.steps] == ["c/a", "c/f", "c/g"]  # b would only add time
    assert path.total_minutes == 40
    assert graph.state("f", []).to_finish == ("c/b",)  # alone, f is cheapest through b
