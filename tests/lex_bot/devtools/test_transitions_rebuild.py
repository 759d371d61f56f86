"""``python -m lex_bot transitions rebuild`` on a real SQLite progress file."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_graph.transitions import learn_transitions, load_transitions
from lex_bot.devtools.cli import main
from lex_bot.lesson_app.progress_store import SqliteProgressStore


def test_rebuild_learns_the_snapshot_from_every_learner_in_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "progress.db"
    store = SqliteProgressStore(path)
    for i in range(6):
        for lesson in ("py/a", "py/b", "py/c"):
            store.complete_lesson(f"learner-{i}", lesson)
    for i in range(3):  # below the floor
        store.complete_lesson(f"rare-{i}", "py/a")
        store.complete_lesson(f"rare-{i}", "py/z")
    store.complete_lesson("reset-me", "py/a")
    store.complete_lesson("reset-me", "py/q")
    store.reset("reset-me")  # a reset leaves no history
    store.set_goal("goal-only", "py/c")  # a learner without completions
    out = tmp_path / "out" / "transitions.json"

    code = main(["transitions", "rebuild", "--store", str(path), "--out", str(out)])

    assert code == 0
    assert "11 learners" in capsys.readouterr().out
    model = load_transitions(out)
    assert [s.lesson_id for s in model.successors("py/a")] == ["py/b"]
    assert model.finished("py/a") == 9  # the rare learners finished it too
    assert "py/z" not in out.read_text() and "py/q" not in out.read_text()
    histories = [list(store.get(learner).completed) for learner in store.learner_ids()]
    assert (
        model.to_json()
        == learn_transitions(histories, 5, generated_at=model.generated_at).to_json()
    )

    assert main(["transitions", "rebuild", "--store", str(path), "--out", str(out)]) == 0
    assert "unchanged" in capsys.readouterr().out  # same content: the file is left alone


def test_rebuild_refuses_a_missing_store_and_a_bad_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.db"
    out = str(tmp_path / "t.json")
    assert main(["transitions", "rebuild", "--store", str(missing), "--out", out]) == 2
    assert not missing.exists()  # no empty store created
    SqliteProgressStore(tmp_path / "p.db")
    args = ["transitions", "rebuild", "--store", str(tmp_path / "p.db"), "--out", out]
    assert main([*args, "--min-learners", "0"]) == 2
    assert "min_learners" in capsys.readouterr().err


def test_learner_ids_lists_everyone_with_progress(tmp_path: Path) -> None:
    store = SqliteProgressStore(tmp_path / "p.db")
    store.complete_lesson("b", "py/a")
    store.set_current_lesson("a", "py/a")
    assert store.learner_ids() == ["a", "b"]
