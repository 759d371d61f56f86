"""Measure one peer on one graph, in its own process: ``python -m bench.measure_naive``.

``--impl walk`` (the plain-Python neighbourhood walk) or ``--impl pagerank`` (networkx +
SciPy PageRank), see ``bench/naive_baseline.py``. Writes one JSON object (to ``--out``):
load time, per-turn latency of recommend, complete (= record + recommend) and learning path
for each benchmark learner, and the peak memory of a process that serves them (the
comparable warm-turn figures come from ``bench.measure_turns``, interleaved with ours). A
cell stops after ``--turns`` turns or, past ``--min-turns``, when it has used ``--budget``
seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.process import peak_rss_mb


def _time_cell(
    call: Callable[[], Any], turns: int, min_turns: int, budget_s: float, after: Any = None
) -> list[int]:
    """Time ``call`` (one turn) until ``turns`` or the budget; ns per turn.

    One untimed warm-up call first, unless the budget is 0 (the slowest sizes).
    """
    if budget_s > 0:
        call()
        if after is not None:
            after()
    samples: list[int] = []
    spent = 0.0
    while len(samples) < turns and (len(samples) < min_turns or spent < budget_s):
        start = time.perf_counter_ns()
        call()
        elapsed = time.perf_counter_ns() - start
        samples.append(elapsed)
        spent += elapsed / 1e9
        if after is not None:
            after()
    return samples


def measure(
    path: str, impl: str, turns: int, min_turns: int, budget_s: float, loads: int
) -> dict[str, Any]:
    """Run every measurement of peer ``impl`` on the graph at ``path``."""
    from bench.learners import learners
    from bench.naive_baseline import PEERS
    from bench.stats import summary_ms

    load_s = []
    for _ in range(loads):
        start = time.perf_counter()
        baseline = PEERS[impl].from_path(path)
        load_s.append(time.perf_counter() - start)
    ids = list(baseline.graph.nodes)

    results: dict[str, Any] = {}
    for learner in learners(ids):
        mastery = dict(learner.mastery)
        lesson = baseline.recommend(mastery, k=1)[0]

        def undo(mastery: dict[str, float] = mastery, lesson: str = lesson) -> None:
            mastery.pop(lesson, None)

        cells = {
            "RecommendNextLesson": _time_cell(
                lambda m=mastery: baseline.recommend(m, k=3), turns, min_turns, budget_s
            ),
            "CompleteLesson": _time_cell(
                lambda m=mastery, x=lesson: baseline.complete(m, x, 1.0, k=3),
                turns,
                min_turns,
                budget_s,
                undo,
            ),
            "ShowLearningPath": _time_cell(
                lambda m=mastery, g=learner.goal: baseline.path_to(g, m),
                turns,
                min_turns,
                budget_s,
            ),
        }
        results[learner.name] = {intent: summary_ms(s) for intent, s in cells.items()}
    return {
        "impl": impl,
        "lessons": len(ids),
        "edges": baseline.graph.number_of_edges(),
        "load_s": statistics.median(load_s),
        "loads": loads,
        "turns": results,
        "maxrss_mb": peak_rss_mb(),
    }


def main() -> None:
    """Command line: ``--impl walk|pagerank --path DIR --out FILE [--turns T --min-turns M
    --budget S --loads L]``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=("walk", "pagerank"), required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--turns", type=int, default=1_000)
    parser.add_argument("--min-turns", type=int, default=3)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.path, args.impl, args.turns, args.min_turns, args.budget, args.loads)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
