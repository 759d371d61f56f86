"""Offline evaluation (``python -m knowledge_graph evaluate``) and the synthetic learners.

The acceptance test of learned next steps lives here: on synthetic learners who follow a
hidden order the graph encodes only partly, blended suggestions beat graph-only ones by a
wide margin, and beat transitions-only ones on sparse lessons (fixed seeds, generous
margins: the measured gaps are about twice the margins asserted).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from paths import ROOT

from knowledge_graph.cli import main
from knowledge_graph.evaluation import evaluate, histories_from_rows, transitions_ranking
from knowledge_graph.loader import load_graph
from knowledge_graph.synthetic import synthetic_dataset, write_synthetic
from knowledge_graph.transitions import learn_transitions

LESSONS = ROOT / "data" / "lessons"


@pytest.fixture(scope="module")
def synthetic_report():
    data = synthetic_dataset(lessons=40, learners=100, seed=0)
    graph = data.graph()
    histories, dropped = histories_from_rows(graph, data.rows)
    assert dropped == 0
    return evaluate(graph, histories, folds=3, bootstrap=200, sparse_below=10, seed=0)


def test_blended_beats_graph_only_by_a_wide_margin(synthetic_report):
    graph, blended = synthetic_report.overall["graph"], synthetic_report.overall["blended"]
    assert blended.hits[3].value - graph.hits[3].value >= 0.1  # measured: 0.20
    assert blended.mrr.value - graph.mrr.value >= 0.08  # measured: 0.16
    assert blended.hits[3].low > graph.hits[3].high  # the intervals do not overlap


def test_blended_beats_transitions_only_on_sparse_lessons(synthetic_report):
    report = synthetic_report
    assert report.sparse_steps >= 50
    transitions, blended = report.sparse["transitions"], report.sparse["blended"]
    assert blended.hits[3].value - transitions.hits[3].value >= 0.15  # measured: 0.29
    assert blended.mrr.value - transitions.mrr.value >= 0.08  # measured: 0.19


def test_intervals_hold_their_value_and_locked_steps_are_counted(synthetic_report):
    for scores in (*synthetic_report.overall.values(), *synthetic_report.sparse.values()):
        for interval in (*scores.hits.values(), scores.mrr):
            assert interval.low <= interval.value <= interval.high
        assert scores.hits[1].value <= scores.hits[3].value <= scores.hits[5].value
    assert 0.0 < synthetic_report.locked_share < 0.3  # the synthetic learners' random jumps


def test_transitions_only_ranks_what_learners_took_next_locked_or_not():
    graph = load_graph(LESSONS)
    first, second = "python-intro/installing-python", "python-intro/classes"  # classes: locked
    model = learn_transitions([[first, second]] * 6 + [[first, "python-intro/the-repl"]] * 5)
    assert transitions_ranking(graph, model, [first]) == [second, "python-intro/the-repl"]
    assert transitions_ranking(graph, model, [first, second]) == ["python-intro/the-repl"]
    assert second not in [r.lesson_id for r in graph.recommend([first], k=60, transitions=model)]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_histories_are_time_ordered_first_completions_of_known_lessons():
    graph = load_graph(LESSONS)
    rows = [
        ("ana", "python-intro/the-repl", 30.0),
        ("ana", "installing-python", 10.0),  # a unique bare id resolves
        ("ana", "python-intro/installing-python", 40.0),  # a repeat: only the first counts
        ("ana", "nope/unknown", 20.0),
        ("bo", "python-intro/hello-world", 5.0),
    ]
    histories, dropped = histories_from_rows(graph, rows)
    assert histories == {
        "ana": ["python-intro/installing-python", "python-intro/the-repl"],
        "bo": ["python-intro/hello-world"],
    }
    assert dropped == 1


def test_the_evaluate_command_end_to_end_on_a_small_csv(tmp_path):
    lines = ["learner_id,lesson_id,timestamp"]
    chain = ["installing-python", "hello-world", "the-repl", "comments", "variables"]
    for learner in range(12):
        start = 1_700_000_000 + learner * 1000
        # ISO times and numbers both read; rows out of order on purpose.
        for step, lesson in reversed(list(enumerate(chain[: 2 + learner % 4]))):
            stamp = start + step * 60
            when = f"2026-11-{1 + learner:02d}T10:{step:02d}:00Z" if learner % 2 else stamp
            lines.append(f"learner-{learner},python-intro/{lesson},{when}")
    lines.append("learner-0,python-intro/not-a-lesson,1700000999")
    csv_file = _write(tmp_path / "trajectories.csv", "\n".join(lines) + "\n")
    out = io.StringIO()
    args = ["evaluate", "--graph", str(LESSONS), "--trajectories", str(csv_file)]
    code = main(
        [*args, "--folds", "3", "--min-learners", "2", "--bootstrap", "50", "--json"], stdout=out
    )
    assert code == 0
    result = json.loads(out.getvalue())
    expected_steps = sum(1 + learner % 4 for learner in range(12))
    assert (result["learners"], result["steps"], result["folds"]) == (12, expected_steps, 3)
    assert result["unknown_lesson_rows"] == 1
    assert set(result["overall"]) == {"graph", "transitions", "blended"}
    # Everyone follows one chain: what learners took next finds every step but the first
    # ones of the fold's held-out learners' rare tails; the graph alone does worse.
    transitions = result["overall"]["transitions"]["hit@1"][0]
    assert transitions > result["overall"]["graph"]["hit@1"][0]
    text = io.StringIO()
    assert (
        main([*args, "--folds", "3", "--min-learners", "2", "--bootstrap", "50"], stdout=text) == 0
    )
    assert "hit@3" in text.getvalue() and "Sparse steps" in text.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("learner,lesson\nx,y\n", "missing column(s) learner_id, lesson_id, timestamp"),
        ("learner_id,lesson_id,timestamp\nx,python-intro/comments,yesterday\n", ":2: timestamp"),
        ("learner_id,lesson_id,timestamp\nx,python-intro/comments,1\n", "folds must be"),
    ],
)
def test_the_evaluate_command_reports_bad_input(tmp_path, capsys, content, message):
    csv_file = _write(tmp_path / "t.csv", content)
    code = main(["evaluate", "--graph", str(LESSONS), "--trajectories", str(csv_file)])
    assert code == 1
    assert message in capsys.readouterr().err


def test_the_synthetic_files_are_a_valid_course_and_csv(tmp_path):
    data = synthetic_dataset(lessons=10, learners=5, seed=2)
    course, trajectories = write_synthetic(tmp_path, data)
    graph = load_graph(course)
    assert len(graph) == 10
    assert (
        trajectories.read_text(encoding="utf-8").splitlines()[0] == "learner_id,lesson_id,timestamp"
    )
    assert synthetic_dataset(lessons=10, learners=5, seed=2) == data  # seeded: the same data


def _snapshot_file(tmp_path: Path) -> Path:
    first = "python-intro/installing-python"
    histories = (
        [[first, "python-intro/hello-world"]] * 7
        + [[first, "python-intro/the-repl"]] * 5
        + [[first]] * 6
        + [[first, "python-intro/comments"]] * 2  # below the floor: not shown
    )
    return _write(tmp_path / "t.json", learn_transitions(histories).to_json())


def test_stats_show_where_learners_go_and_where_they_stop(tmp_path):
    snapshot = _snapshot_file(tmp_path)
    out = io.StringIO()
    args = ["stats", "--graph", str(LESSONS), "--transitions", str(snapshot)]
    assert main([*args, "--json"], stdout=out) == 0
    result = json.loads(out.getvalue())
    (row,) = [r for r in result["lessons"] if r["lesson_id"] == "python-intro/installing-python"]
    assert (row["finished"], row["stopped"]) == (20, 6)
    assert [(n["lesson_id"], n["learners"], n["share"]) for n in row["next"]] == [
        ("python-intro/hello-world", 7, 0.35),
        ("python-intro/the-repl", 5, 0.25),
    ]
    text = io.StringIO()
    assert main(args, stdout=text) == 0
    assert "Installing Python" in text.getvalue() and "Hello, World!  7 (35%)" in text.getvalue()
    assert "Comments" not in text.getvalue()


def test_recommend_blends_a_snapshot_and_states_its_counts(tmp_path):
    out = io.StringIO()
    args = ["recommend", "--graph", str(LESSONS), "--completed", "installing-python"]
    assert main([*args, "--transitions", str(_snapshot_file(tmp_path)), "--json"], stdout=out) == 0
    best = json.loads(out.getvalue())[0]
    learned = [r for r in best["reasons"] if r["kind"] == "learned"]
    assert best["lesson_id"] == "python-intro/hello-world"
    assert learned == [
        {
            "kind": "learned",
            "lessons": ["python-intro/installing-python"],
            "count": 7,
            "total": 20,
            "text": "7 of 20 learners who finished Installing Python took it next",
        }
    ]


def test_a_bad_snapshot_is_an_error_not_a_crash(tmp_path, capsys):
    bad = _write(tmp_path / "t.json", '{"format": "lessonbot-transitions/1"}')
    assert main(["stats", "--graph", str(LESSONS), "--transitions", str(bad)]) == 1
    assert "missing 'min_learners', 'successors'" in capsys.readouterr().err
