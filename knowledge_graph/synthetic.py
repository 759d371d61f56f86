"""Synthetic learners for offline evaluation: a hidden order the graph encodes only partly.

:func:`synthetic_dataset` builds one course of ``lessons`` lessons and the completion
histories of ``learners`` learners:

* a **hidden order** of the lessons (a random permutation of the file order, so the
  graph's load-order tie-break knows nothing of it);
* the **graph** encodes that order only partly: each consecutive pair of the hidden order
  becomes a ``requires`` link with probability ``requires_share``, else a ``next`` link with
  probability ``next_share``, else nothing; difficulty rises along the hidden order;
* each **learner** completes, step by step, the earliest lesson of the hidden order not yet
  completed (probability ``follow``), the one after it (``skip``), or any lesson not yet
  completed (the rest, locked or not), and stops after a random number of lessons
  (exponential, mean a third of the course), so late lessons have few learners: they are
  the *sparse* lessons.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same arguments give the
same dataset. ``python -m knowledge_graph.synthetic OUT_DIR`` writes ``synthetic.yaml`` and
``trajectories.csv`` for ``python -m knowledge_graph evaluate``.

Example
-------
>>> data = synthetic_dataset(lessons=8, learners=3, seed=1)
>>> len(data.course["lessons"]), len({row[0] for row in data.rows})
(8, 3)
>>> sorted(data.hidden_order) == sorted(lesson["id"] for lesson in data.course["lessons"])
True
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from knowledge_graph.errors import GraphValidationError
from knowledge_graph.model import LessonGraph
from knowledge_graph.sources import RawDocument
from knowledge_graph.validation import validate_documents

__all__ = ["SyntheticData", "synthetic_dataset", "write_synthetic"]

COURSE_ID = "synth"


@dataclass(frozen=True)
class SyntheticData:
    """A synthetic course and its learners (see the module docstring).

    ``course`` is a course file document (``course`` + ``lessons``); ``hidden_order`` the
    bare lesson ids in the order learners prefer; ``rows`` the completions
    ``(learner_id, qualified lesson id, timestamp in seconds)``, oldest first per learner.
    """

    course: dict[str, Any]
    hidden_order: tuple[str, ...]
    rows: tuple[tuple[str, str, int], ...]

    def graph(self) -> LessonGraph:
        """The course as a :class:`LessonGraph` (validated like any course file)."""
        document = RawDocument.from_text("synthetic.yaml", yaml.safe_dump(self.course))
        report = validate_documents([document])
        if not report.ok or report.graph is None:
            raise GraphValidationError(report)
        return LessonGraph.from_networkx(report.graph)


def synthetic_dataset(
    *,
    lessons: int = 60,
    learners: int = 400,
    seed: int = 0,
    requires_share: float = 0.3,
    next_share: float = 0.3,
    follow: float = 0.7,
    skip: float = 0.15,
) -> SyntheticData:
    """Build a synthetic course and learners' completion histories (module docstring).

    Raises
    ------
    ValueError
        For fewer than 2 lessons, fewer than 1 learner, or shares outside [0, 1] (``follow
        + skip`` at most 1).
    """
    if lessons < 2 or learners < 1:
        raise ValueError("need at least 2 lessons and 1 learner")
    shares = (requires_share, next_share, follow, skip)
    if not all(0.0 <= x <= 1.0 for x in shares) or follow + skip > 1.0:
        raise ValueError("shares must be in [0, 1], follow + skip at most 1")
    rng = np.random.default_rng(seed)
    ids = [f"l{i:03d}" for i in range(lessons)]
    hidden = [ids[i] for i in rng.permutation(lessons)]
    rank = {lesson: r for r, lesson in enumerate(hidden)}
    requires: dict[str, list[str]] = {lesson: [] for lesson in ids}
    nexts: dict[str, list[str]] = {lesson: [] for lesson in ids}
    for before, after in pairwise(hidden):
        roll = rng.random()
        if roll < requires_share:
            requires[after].append(before)
        elif roll < requires_share + next_share:
            nexts[before].append(after)
    course = {
        "course": {"id": COURSE_ID, "title": "Synthetic course"},
        "lessons": [
            {
                "id": lesson,
                "title": f"Lesson {lesson[1:]}",
                "difficulty": 1 + (4 * rank[lesson]) // lessons,
                **({"requires": requires[lesson]} if requires[lesson] else {}),
                **({"next": nexts[lesson]} if nexts[lesson] else {}),
            }
            for lesson in ids
        ],
    }
    rows: list[tuple[str, str, int]] = []
    for learner in range(learners):
        length = min(lessons, 2 + int(rng.exponential(lessons / 3)))
        left = list(hidden)  # not yet completed, in hidden order
        clock = 1_700_000_000 + learner * 97
        for _ in range(length):
            roll = rng.random()
            if roll < follow or len(left) == 1:
                lesson = left[0]
            elif roll < follow + skip:
                lesson = left[1]
            else:
                lesson = left[int(rng.integers(len(left)))]
            left.remove(lesson)
            clock += int(rng.integers(600, 86_400))
            rows.append((f"learner-{learner:05d}", f"{COURSE_ID}/{lesson}", clock))
    return SyntheticData(course, tuple(hidden), tuple(rows))


def write_synthetic(folder: str | Path, data: SyntheticData) -> tuple[Path, Path]:
    """Write ``synthetic.yaml`` (the course) and ``trajectories.csv`` into ``folder``.

    Returns
    -------
    (course file, trajectories file)
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    course = out / "synthetic.yaml"
    course.write_text(yaml.safe_dump(data.course, sort_keys=False), encoding="utf-8")
    trajectories = out / "trajectories.csv"
    with trajectories.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner_id", "lesson_id", "timestamp"])
        writer.writerows(data.rows)
    return course, trajectories


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m knowledge_graph.synthetic OUT_DIR [--lessons N] [--learners N] [--seed S]``."""
    parser = argparse.ArgumentParser(prog="python -m knowledge_graph.synthetic")
    parser.add_argument("out", metavar="OUT_DIR")
    parser.add_argument("--lessons", type=int, default=60)
    parser.add_argument("--learners", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = synthetic_dataset(lessons=args.lessons, learners=args.learners, seed=args.seed)
    course, trajectories = write_synthetic(args.out, data)
    print(f"wrote {course} and {trajectories} ({len(data.rows)} completions)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
