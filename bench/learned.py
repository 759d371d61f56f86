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
* **the snapshot**, in both forms, holding the same model: the JSON file (read and checked
  by :func:`load_transitions`, as the bot did before the binary form) and the binary
  snapshot folder (:meth:`TransitionModel.write`, at publish time; then opened ``--loads``
  times by :func:`load_transitions`: mapped, digests verified, arrays checked), with their
  sizes, times and the resident memory each adds, split into private memory (``RssAnon``:
  heap and numpy buffers) and mapped file pages (``RssFile``: the page cache, shared and
  reclaimable). The binary snapshot is opened first, while the heap is small, so that
  memory freed by the JSON reading cannot hide what it allocates. The files were just
  written, so their pages are in the page cache: reading from EFS adds transfer time.

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
import statistics
import subprocess
import sys
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


def measure(lessons: int, turns: int, calls: int, loads: int = 10) -> dict[str, Any]:
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
    text_file = folder / "transitions.json"
    text_file.write_text(snapshot_text(ids), encoding="utf-8")
    snapshot = folder / "transitions"  # the binary snapshot folder the bot reads

    # Publish time: read the JSON once (as the old bot did), write the binary form.
    start = time.perf_counter()
    source = load_transitions(text_file)
    text_load_s = time.perf_counter() - start
    start = time.perf_counter()
    source.write(snapshot)
    write_s = time.perf_counter() - start
    del source
    gc.collect()

    # Serving: open each form in a fresh process (a cold start's heap, nothing freed earlier
    # to hide an allocation); the binary one --loads times, the JSON one once.
    binary = _fresh_loads(snapshot, loads)
    text = _fresh_loads(text_file, 1)
    model = load_transitions(snapshot)
    assert load_transitions(text_file) == model, "both forms must hold the same model"
    gc.collect()
    version = current_version_of(snapshot)

    store = open_progress_store("memory://")
    plain = Services(graph_loader=loader, store=store)
    plain.use_transitions(None)
    learned = Services(graph_loader=loader, store=store)
    learned.use_transitions(TransitionsLoader(snapshot, check_seconds=300.0))
    assert learned.transitions() is not None
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
        "json": {
            "bytes": text_file.stat().st_size,
            "load_s": round(text["times_s"][0], 3),
            "load_again_s": round(text_load_s, 3),
            "memory_added_mb": text["memory_added_mb"],
        },
        "binary": {
            "bytes": sum(p.stat().st_size for p in version.iterdir()),
            "write_s": round(write_s, 3),
            "first_load_ms": round(binary["times_s"][0] * 1e3, 2),
            "load_ms_min": round(min(binary["times_s"]) * 1e3, 2),
            "load_ms_median": round(statistics.median(binary["times_s"]) * 1e3, 2),
            "load_ms_max": round(max(binary["times_s"]) * 1e3, 2),
            "loads": len(binary["times_s"]),
            "memory_added_mb": binary["memory_added_mb"],
            "peak_allocated_mb": binary["peak_allocated_mb"],
        },
        "learners": results,
    }


def _memory() -> dict[str, float]:
    """This process's resident memory in MB: ``anon`` (private: its heap, numpy buffers)
    and ``file`` (file pages it has mapped and touched; shared page cache, reclaimable),
    from ``/proc/self/status`` (Linux)."""
    fields = {"RssAnon:": "anon_mb", "RssFile:": "file_mb"}
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, *value = line.split()
            if name in fields:
                found[fields[name]] = int(value[0]) / 1024
    return found


_CHILD = """
import gc, json, sys, time, tracemalloc
from bench.learned import _memory
from knowledge_graph.transitions import load_transitions
path, loads = sys.argv[1], int(sys.argv[2])
gc.collect()
before = _memory()
times = []
for _ in range(loads):
    start = time.perf_counter()
    model = load_transitions(path)
    times.append(time.perf_counter() - start)
    if len(times) == 1:
        gc.collect()
        after = _memory()
peak = 0
if loads > 1:  # the binary form: tracing the JSON form's millions of objects takes minutes
    tracemalloc.start()
    model = load_transitions(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
print(json.dumps({
    "times_s": times,
    "memory_added_mb": {k: round(after[k] - before[k], 1) for k in after},
    "peak_allocated_mb": round(peak / 2**20, 2),
}))
"""


def _fresh_loads(path: Path, loads: int) -> dict[str, Any]:
    """Open the snapshot at ``path`` ``loads`` times in a new Python process: the times, the
    memory the first opening added (:func:`_memory`) and, for ``loads`` > 1, the peak bytes
    allocated while opening it once more (``tracemalloc``; heap and numpy buffers)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(loads)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(done.stdout)


def current_version_of(folder: Path) -> Path:
    """The version folder a snapshot folder's CURRENT names."""
    from knowledge_graph.mapped_arrays import read_current

    version = read_current(folder, ValueError)
    assert version is not None
    return version


def main(argv: list[str] | None = None) -> None:
    """Command line: ``[--lessons N] [--turns T] [--calls C] [--loads L] [--out FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--calls", type=int, default=1_000)
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = measure(args.lessons, args.turns, args.calls, args.loads)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
