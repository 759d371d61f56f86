"""Offline evaluation of next-lesson rankings on held-out learners' histories.

``python -m knowledge_graph evaluate --graph PATH --trajectories FILE.csv`` replays real (or
synthetic, :mod:`knowledge_graph.synthetic`) learners and asks, at every step, whether the
lesson the learner actually completed next is among the top suggestions of:

* **graph**: :meth:`LessonGraph.recommend` from the prerequisite graph alone;
* **transitions**: "what learners most often took next" alone: the ``learned`` values of
  :func:`knowledge_graph.recommender.learned_values` over every lesson not completed yet,
  locked or not (the simple rule of the issue's baseline);
* **blended**: :meth:`LessonGraph.recommend` with ``transitions=`` (the bot's ranking).

Protocol
--------
* **Histories**: the CSV has columns ``learner_id``, ``lesson_id`` and ``timestamp`` (a
  number, or an ISO-8601 time; naive times are read as UTC). Rows are ordered by time per
  learner (file order breaks ties); lessons the graph does not know are dropped (counted);
  a lesson counts at its first completion only, as in :mod:`knowledge_graph.transitions`.
* **Learner-split folds**: learners are shuffled (``seed``) into ``folds`` folds; for each
  fold, transitions are learned (:func:`learn_transitions`, floor ``min_learners``) from
  the other folds' learners only, and the fold's learners are replayed.
* **Steps**: for a history ``l1 .. ln``, step ``t`` (``1 <= t < n``) has history
  ``l1 .. lt`` (all mastered, most recent last) and target ``l(t+1)``. The first lesson
  (no history) is not a step.
* **Metrics**: hit@1/3/5 (the target is among the first 1/3/5) and MRR@10 (1/rank of the
  target within the first 10, else 0), averaged over steps, with 95 % bootstrap
  confidence intervals from resampling **learners** (their steps are not independent),
  ``bootstrap`` resamples, percentile method.
* **Locked**: the share of steps whose target was locked for the learner's history by
  the one state rule (:meth:`LessonGraph.state`); graph and blended never suggest a locked
  lesson, so they cannot hit those steps.
* **Sparse steps**: the learner's latest lesson was finished by fewer than
  ``sparse_below`` learners of the training folds: where learned counts are thin.

Example
-------
>>> from knowledge_graph.synthetic import synthetic_dataset
>>> data = synthetic_dataset(lessons=12, learners=60, seed=3)
>>> graph = data.graph()
>>> report = evaluate(graph, histories_from_rows(graph, data.rows)[0], folds=3, bootstrap=50)
>>> sorted(report.overall), report.steps > 0, 0.0 <= report.locked_share <= 1.0
(['blended', 'graph', 'transitions'], True, True)
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Final

import numpy as np

from knowledge_graph.errors import GraphSourceError
from knowledge_graph.lesson_state import LessonStatus
from knowledge_graph.model import LessonGraph
from knowledge_graph.recommender import learned_values
from knowledge_graph.transitions import DEFAULT_MIN_LEARNERS, TransitionModel, learn_transitions

__all__ = [
    "CUTOFFS",
    "METHODS",
    "EvaluationReport",
    "Interval",
    "MethodScores",
    "evaluate",
    "histories_from_rows",
    "read_trajectories",
]

#: The ranking methods compared, in report order.
METHODS: Final[tuple[str, ...]] = ("graph", "transitions", "blended")
#: The hit@k cut-offs reported.
CUTOFFS: Final[tuple[int, ...]] = (1, 3, 5)
#: Ranks are looked at up to here (MRR@10).
DEPTH: Final[int] = 10
#: Columns the trajectories CSV must have.
COLUMNS: Final[tuple[str, ...]] = ("learner_id", "lesson_id", "timestamp")


@dataclass(frozen=True)
class Interval:
    """A mean with its 95 % bootstrap confidence interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class MethodScores:
    """hit@k per cut-off of :data:`CUTOFFS`, and MRR@10, over ``steps`` steps."""

    hits: dict[int, Interval]
    mrr: Interval
    steps: int


@dataclass(frozen=True)
class EvaluationReport:
    """What :func:`evaluate` measured (see the module docstring for the protocol).

    ``overall`` and ``sparse`` map each of :data:`METHODS` to its scores over all steps and
    over sparse steps; ``locked_share`` is the share of steps whose target was locked.
    """

    learners: int
    steps: int
    folds: int
    min_learners: int
    sparse_below: int
    seed: int
    locked_share: float
    overall: dict[str, MethodScores]
    sparse: dict[str, MethodScores]
    sparse_steps: int

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form: intervals as ``[value, low, high]``."""

        def scores(by_method: dict[str, MethodScores]) -> dict[str, object]:
            return {
                name: {
                    **{f"hit@{k}": _triple(s.hits[k]) for k in CUTOFFS},
                    f"mrr@{DEPTH}": _triple(s.mrr),
                    "steps": s.steps,
                }
                for name, s in by_method.items()
            }

        return {
            "learners": self.learners,
            "steps": self.steps,
            "folds": self.folds,
            "min_learners": self.min_learners,
            "sparse_below": self.sparse_below,
            "seed": self.seed,
            "locked_share": round(self.locked_share, 4),
            "overall": scores(self.overall),
            "sparse": scores(self.sparse),
            "sparse_steps": self.sparse_steps,
        }


def _triple(interval: Interval) -> list[float]:
    return [round(interval.value, 4), round(interval.low, 4), round(interval.high, 4)]


# --------------------------------------------------------------------- reading


def read_trajectories(path: str | PathLike[str]) -> list[tuple[str, str, float]]:
    """Read the rows ``(learner_id, lesson_id, timestamp in seconds)`` of a trajectories CSV.

    Raises
    ------
    GraphSourceError
        When the file cannot be read, lacks a column of :data:`COLUMNS`, or a timestamp is
        neither a number nor an ISO-8601 time (the message names the line).
    """
    file = Path(path)
    try:
        with file.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise GraphSourceError(f"{file}: missing column(s) {', '.join(missing)}")
            rows = []
            for row in reader:
                stamp = _seconds(row["timestamp"] or "")
                if stamp is None:
                    raise GraphSourceError(
                        f"{file}:{reader.line_num}: timestamp {row['timestamp']!r} is neither "
                        "a number nor an ISO-8601 time"
                    )
                rows.append((row["learner_id"] or "", (row["lesson_id"] or "").strip(), stamp))
    except OSError as exc:
        raise GraphSourceError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise GraphSourceError(f"{file}: not a readable CSV file: {exc}") from exc
    return rows


def _seconds(text: str) -> float | None:
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return number if math.isfinite(number) else None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def histories_from_rows(
    graph: LessonGraph, rows: Iterable[tuple[str, str, float]]
) -> tuple[dict[str, list[str]], int]:
    """Per learner, the qualified ids of the lessons they completed, oldest first.

    Rows are sorted by timestamp per learner (stable: file order breaks ties); lesson ids
    the graph does not know (qualified or unique bare ids resolve) are dropped; only a
    lesson's first completion is kept.

    Returns
    -------
    (histories, dropped)
        ``learner_id -> lesson ids`` and the number of rows whose lesson was unknown.
    """
    timed: dict[str, list[tuple[float, int, str]]] = {}
    dropped = 0
    for number, (learner, lesson, stamp) in enumerate(rows):
        position = graph.index.position(lesson)
        if position is None:
            dropped += 1
            continue
        timed.setdefault(learner, []).append((stamp, number, graph.index.ids[position]))
    histories = {
        learner: list(dict.fromkeys(lesson for _, _, lesson in sorted(entries)))
        for learner, entries in timed.items()
    }
    return histories, dropped


# --------------------------------------------------------------------- ranking


def transitions_ranking(
    graph: LessonGraph, model: TransitionModel, history: Sequence[str], k: int = DEPTH
) -> list[str]:
    """The transitions-only ranking: lessons not in ``history`` by ``learned`` value.

    Ties break by load order. Locked lessons are included (the rule knows no graph).
    """
    index = graph.index
    seeds = [i for lesson in history if (i := index.position(lesson)) is not None]
    done = set(seeds)
    values = learned_values(index, model, seeds)
    ranked = sorted((-value, i) for i, (value, _) in values.items() if i not in done)
    return [index.ids[i] for _, i in ranked[:k]]


def _rank(target: str, ranking: Sequence[str]) -> int:
    """1-based rank of ``target`` within the first :data:`DEPTH`, else 0."""
    for position, lesson in enumerate(ranking[:DEPTH], start=1):
        if lesson == target:
            return position
    return 0


# --------------------------------------------------------------------- evaluate


def evaluate(
    graph: LessonGraph,
    histories: Mapping[str, Sequence[str]],
    *,
    folds: int = 5,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    seed: int = 0,
    bootstrap: int = 1000,
    sparse_below: int = 20,
) -> EvaluationReport:
    """Replay held-out learners and score the three rankings (see the module docstring).

    Parameters
    ----------
    graph : LessonGraph
    histories : mapping of learner id to lesson ids
        Qualified ids, oldest first, first completions only (:func:`histories_from_rows`).
    folds : int, default 5
        Learner-split folds (2 or more, at most the number of learners).
    min_learners : int, default 5
        Privacy and noise floor of the learned transitions.
    seed : int, default 0
        Seeds the fold split and the bootstrap.
    bootstrap : int, default 1000
        Bootstrap resamples of learners for the confidence intervals.
    sparse_below : int, default 20
        A step is sparse when its latest lesson has fewer training learners than this.

    Raises
    ------
    ValueError
        For fewer than 2 folds, more folds than learners, or no step to replay.
    """
    learners = sorted(histories)
    if folds < 2 or folds > len(learners):
        raise ValueError(f"folds must be between 2 and the {len(learners)} learners")
    rng = np.random.default_rng(seed)
    fold_of = {learner: i % folds for i, learner in enumerate(rng.permutation(learners))}
    owner: list[int] = []
    ranks: dict[str, list[int]] = {name: [] for name in METHODS}
    locked: list[bool] = []
    sparse: list[bool] = []
    for fold in range(folds):
        train = [histories[x] for x in learners if fold_of[x] != fold]
        model = learn_transitions(train, min_learners)
        finished = Counter(lesson for history in train for lesson in set(history))
        for number, learner in enumerate(learners):
            if fold_of[learner] != fold:
                continue
            history = list(histories[learner])
            for t in range(1, len(history)):
                seen, target = history[:t], history[t]
                graph_only = graph.recommend(seen, k=DEPTH, recent=seen)
                blended = graph.recommend(seen, k=DEPTH, recent=seen, transitions=model)
                ranks["graph"].append(_rank(target, [r.lesson_id for r in graph_only]))
                ranks["blended"].append(_rank(target, [r.lesson_id for r in blended]))
                ranks["transitions"].append(_rank(target, transitions_ranking(graph, model, seen)))
                state = graph.state(target, seen, with_path=False)
                locked.append(state.status is LessonStatus.LOCKED)
                sparse.append(finished[seen[-1]] < sparse_below)
                owner.append(number)
    if not owner:
        raise ValueError("no step to replay: every history has fewer than 2 lessons")
    owners = np.asarray(owner)
    sparse_mask = np.asarray(sparse)
    arrays = {name: np.asarray(values) for name, values in ranks.items()}
    overall = {
        name: _scores(arrays[name], owners, len(learners), bootstrap, seed) for name in METHODS
    }
    sparse_scores = {
        name: _scores(
            arrays[name][sparse_mask], owners[sparse_mask], len(learners), bootstrap, seed
        )
        for name in METHODS
    }
    return EvaluationReport(
        learners=len(learners),
        steps=len(owner),
        folds=folds,
        min_learners=min_learners,
        sparse_below=sparse_below,
        seed=seed,
        locked_share=float(np.mean(locked)),
        overall=overall,
        sparse=sparse_scores,
        sparse_steps=int(sparse_mask.sum()),
    )


def _scores(
    ranks: np.ndarray, owners: np.ndarray, learners: int, bootstrap: int, seed: int
) -> MethodScores:
    """hit@k and MRR@10 of ``ranks`` with learner-bootstrap intervals (``NaN`` when empty)."""
    columns = [(ranks >= 1) & (ranks <= k) for k in CUTOFFS]
    columns.append(np.where(ranks >= 1, 1.0 / np.maximum(ranks, 1), 0.0))
    metrics = np.column_stack(columns).astype(float) if ranks.size else np.zeros((0, 4))
    if ranks.size == 0:
        empty = Interval(math.nan, math.nan, math.nan)
        return MethodScores({k: empty for k in CUTOFFS}, empty, 0)
    per_learner = np.zeros((learners, metrics.shape[1]))
    np.add.at(per_learner, owners, metrics)
    steps = np.bincount(owners, minlength=learners).astype(float)
    means = metrics.mean(axis=0)
    rng = np.random.default_rng(seed + 1)
    draws = rng.integers(0, learners, size=(max(bootstrap, 1), learners))
    weights = np.zeros((draws.shape[0], learners))
    np.add.at(weights, (np.arange(draws.shape[0])[:, None], draws), 1.0)
    totals = weights @ per_learner
    counts = weights @ steps
    with np.errstate(invalid="ignore", divide="ignore"):
        samples = totals / counts[:, None]
    samples = samples[counts > 0]
    low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    intervals = [
        Interval(float(m), float(lo), float(hi)) for m, lo, hi in zip(means, low, high, strict=True)
    ]
    return MethodScores(dict(zip(CUTOFFS, intervals[:-1], strict=True)), intervals[-1], ranks.size)
