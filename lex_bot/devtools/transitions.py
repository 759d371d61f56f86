"""``python -m lex_bot transitions rebuild``: the learned-transitions snapshot, locally.

Reads every learner's completions, oldest first, from the local SQLite progress store (the
one ``make chat`` writes, ``.lessonbot/progress.db`` by default), learns the model with
``knowledge_graph.learn_transitions`` (the privacy floor ``--min-learners``, default 5) and
writes the snapshot atomically (``TransitionModel.write``; default the folder
``.lessonbot/transitions``, which the local chat reads). On AWS the transitions aggregator
produces the same snapshot from the progress table's stream (``transitions_aggregator/``; a
test checks both give the same snapshot for the same histories) and writes it the same way.

Example
-------
>>> import os, tempfile
>>> from lex_bot.lesson_app.progress_store import SqliteProgressStore
>>> folder = tempfile.mkdtemp()
>>> store = SqliteProgressStore(os.path.join(folder, "progress.db"))
>>> for learner in ("ana", "ben"):
...     _ = store.complete_lesson(learner, "py/loops"), store.complete_lesson(learner, "py/lists")
>>> result = rebuild(store.path, os.path.join(folder, "transitions"), min_learners=2)
>>> result.learners, [s.lesson_id for s in result.model.successors("py/loops")]
(2, ['py/lists'])
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from knowledge_graph.transitions import DEFAULT_MIN_LEARNERS, TransitionModel, learn_transitions
from lex_bot.lesson_app.progress_store import DEFAULT_LOCAL_STORE
from lex_bot.lesson_app.progress_store.sqlite import SqliteProgressStore
from lex_bot.lesson_app.services import DEFAULT_LOCAL_TRANSITIONS
from transitions_aggregator.snapshot import now_iso

_SQLITE = "sqlite://"


@dataclass(frozen=True)
class Rebuilt:
    """A rebuild's model, how many learners it read, and whether the file changed."""

    model: TransitionModel
    learners: int
    written: bool


def histories(store: SqliteProgressStore) -> list[list[str]]:
    """Every learner's completed lesson ids, oldest first (one list per learner)."""
    return [list(store.get(learner).completed) for learner in store.learner_ids()]


def rebuild(
    store_path: str | os.PathLike[str],
    out: str | os.PathLike[str] = DEFAULT_LOCAL_TRANSITIONS,
    *,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    generated_at: str | None = None,
) -> Rebuilt:
    """Learn the snapshot from the SQLite store at ``store_path`` and write it to ``out``.

    Raises
    ------
    FileNotFoundError
        When ``store_path`` does not exist (an empty store is not created).
    ValueError
        For ``min_learners`` below 1.
    """
    path = Path(store_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no progress store there")
    learned = histories(SqliteProgressStore(path))
    model = learn_transitions(learned, min_learners, generated_at=generated_at or now_iso())
    return Rebuilt(model, len(learned), model.write(out))


def default_store_file() -> str:
    """The SQLite file of ``PROGRESS_STORE`` when it is a ``sqlite://`` URL, else the default."""
    url = os.environ.get("PROGRESS_STORE", "").strip()
    if not url.lower().startswith(_SQLITE):
        url = DEFAULT_LOCAL_STORE  # make chat's file
    return url[len(_SQLITE) :]
