"""What learned next steps cost at 100,000 lessons: ``python -m bench.learned``.

One process, the benchmark's published graph (:mod:`bench.generate_graph`, seed 7, as
``make publish-graph`` leaves it) and a transitions snapshot as large as the format allows
in practice: for **every** lesson, :data:`SUCCESSORS` successors (the snapshot's default
``top``), drawn among the next 60 lessons in load order (so many are locked for the
learner, and some are completed), with learner counts of 5 to 400.

Measured, interleaved in one run so that the machine's load hits both sides alike:

* **warm turn**: ``lambda_function.lambda_handler`` with a RecommendNextLesson event for
  the benchmark's typical learner (200 completions) and a new learner, alternating turn by
  turn between services without transitions and services serving the snapshot (the
  loader's interval check included), ``--turns`` of each after a warm-up;
* **recommend alone**: ``LessonGraph.recommend`` for the same learners, with and without
  ``transitions=``, alternating call by call;
* the snapshot's size, the time to read and check it (:func:`load_transitions`) and the
  resident memory it adds.

The added time is the difference of the 10th percentiles, the medians and the 90th
percentiles of the two sides; on a shared, loaded machine the 10th percentile (turns that
ran without being preempted) is the steadiest estimate of the work itself. The budget
(issue "Learned next steps", item 6) is 0.2 ms per warm turn. Results go
to ``bench/results-learned.json`` and are copied by hand into ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

#: Successors per lesson in the measured snapshot (the snapshot format's default ``top``).
SUCCESSORS = 20
#: Successors are drawn among this many lessons after each lesson, in load order.
WINDOW = 60
OUT = Path(__file__).resolve().parent / "results-learned.json"


def snapshot_text(ids: list[str], seed: int = 7) -> str:
    """A ``lessonbot-transitions/1`` snapshot with :data:`SUCCESSORS` successors per lesson."""
    rng = random.Random(seed)
    successors: dict[str, list[list[Any]]] = {}
    finished: dict[str, int] = {}
    for i, lesson in enumerate(ids):
        window = ids[i + 1 : i + 1 + WINDOW] or ids[:WINDOW]
        chosen = rng.sample(window, min(SUCCESSORS, len(window)))
        counts = sorted((rng.randint(5, 400) for _ in chosen), reverse=True)
        pairs = sorted(zip(chosen, counts, strict=True), key=lambda p: (-p[1], p[0]))
        successors[lesson] = [[after, n] for after, n in pairs]
        finished[lesson] = sum(counts) + rng.randint(5, 100)
    return json.dumps(
        {
            "format": "lessonbot-transitions/1",
            "min_learners": 5,
            "generated_at": "2026-11-30T00:00:00+00:00",
            "successors": successors,
            "finished": finished,
            "stopped": {},
        },
        separators=(",", ":"),
    )


def _percentile(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


def _summary(without: list[int], with_: list[int]) -> dict[str, float]:
    p50 = (statistics.median(without) / 1e6, statistics.median(with_) / 1e6)
    p90 = (_percentile(without, 0.9), _percentile(with_, 0.9))
    p10 = (_percentile(without, 0.1), _percentile(with_, 0.1))
    return {
        "without_p10_ms": round(p10[0], 4),
        "with_p10_ms": round(p10[1], 4),
        "added_p10_ms": round(p10[1] - p10[0], 4),
        "without_p50_ms": round(p50[0], 4),
        "with_p50_ms": round(p50[1], 4),
        "added_p50_ms": round(p50[1] - p50[0], 4),
        "without_p90_ms": round(p90[0], 4),
        "with_p90_ms": round(p90[1], 4),
        "added_p90_ms": round(p90[1] - p90[0], 4),
        "ratio_p50": round(p50[1] / p50[0], 4),
        "samples": len(with_),
    }


def measure(lessons: int, turns: int, calls: int) -> dict[str, Any]:
    """Run the measurements of the module docstring; return the results."""
    os.environ.setdefault("PROGRESS_STORE", "memory://")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import lambda_function
    from bench.events import recommend_event
    from bench.generate_graph import published_graph
    from bench.learners import TYPICAL_COMPLETIONS, Learner, enrol
    from knowledge_graph import GraphLoader
    from knowledge_graph.transitions import TransitionsLoader, load_transitions
    from lex_bot.lesson_app.progress_store import open_progress_store
    from lex_bot.lesson_app.services import Services, use_services

    loader = GraphLoader(published_graph(lessons), check_interval=30.0)
    graph = loader.get()
    ids = graph.index.ids
    folder = Path(tempfile.mkdtemp(prefix="bench-learned-"))
    snapshot = folder / "transitions.json"
    snapshot.write_text(snapshot_text(ids), encoding="utf-8")
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    model = load_transitions(snapshot)
    load_s = time.perf_counter() - start
    gc.collect()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    store = open_progress_store("memory://")
    plain = Services(graph_loader=loader, store=store)
    plain.use_transitions(None)
    learned = Services(graph_loader=loader, store=store)
    learned.use_transitions(TransitionsLoader(snapshot, check_seconds=300.0))
    handler = lambda_function.lambda_handler
    people = [Learner.having(TYPICAL_COMPLETIONS, ids), Learner.at(0.0, ids)]
    results: dict[str, Any] = {}
    for learner in people:
        enrol(store, graph, learner)
        event = json.dumps(recommend_event(learner.session_id))
        progress = store.get(learner.session_id)
        mastery, recent = progress.mastery(), progress.recent()
        samples: dict[str, list[int]] = {"turn0": [], "turn1": [], "call0": [], "call1": []}
        for round_ in range(20 + turns):  # 20 warm-up rounds
            for side in (round_ % 2, 1 - round_ % 2):  # alternate which side goes first
                use_services(learned if side else plain)
                fresh = json.loads(event)
                begin = time.perf_counter_ns()
                handler(fresh, None)
                if round_ >= 20:
                    samples[f"turn{side}"].append(time.perf_counter_ns() - begin)
        for round_ in range(20 + calls):
            for side in (round_ % 2, 1 - round_ % 2):
                transitions = model if side else None
                begin = time.perf_counter_ns()
                graph.recommend(
                    mastery, k=3, goal=learner.goal, recent=recent, transitions=transitions
                )
                if round_ >= 20:
                    samples[f"call{side}"].append(time.perf_counter_ns() - begin)
        top = graph.recommend(mastery, k=3, goal=learner.goal, recent=recent, transitions=model)
        results[learner.name] = {
            "warm_turn": _summary(samples["turn0"], samples["turn1"]),
            "recommend": _summary(samples["call0"], samples["call1"]),
            "learned_reason_in_top": any(
                str(r.kind) == "learned" for rec in top for r in rec.reasons
            ),
        }
    use_services(None)
    return {
        "lessons": len(graph),
        "snapshot_lessons": len(model),
        "successors_per_lesson": SUCCESSORS,
        "snapshot_bytes": snapshot.stat().st_size,
        "snapshot_load_s": round(load_s, 3),
        "snapshot_rss_added_mb": round(rss_after - rss_before, 1),
        "learners": results,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: ``[--lessons N] [--turns T] [--calls C] [--out FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--calls", type=int, default=1_000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = measure(args.lessons, args.turns, args.calls)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
