"""Measure lessonbot on one graph, in its own process: ``python -m bench.measure_ours``.

Writes one JSON object (to ``--out``): graph load time, change-check cost, warm per-turn latency of
RecommendNextLesson, CompleteLesson and ShowLearningPath through
``lambda_function.lambda_handler`` for each benchmark learner, and the peak resident memory
(``maxrss_mb``). The in-memory store holds one benchmark learner at a time (each is dropped
once measured, :func:`bench.learners.leave`), as a deployed function holds only the record
of the learner whose turn it serves; ``learner_mb`` is the most that one learner's record
and turns added to the resident memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from bench.process import peak_rss_mb, quiet_environment, resident_mb

WARMUP_TURNS = 20


CHECK_CALLS = 1_000


def _time_turns(handler: Any, event: dict[str, Any], turns: int, after: Any = None) -> list[int]:
    """Call ``handler`` ``turns`` times with fresh copies of ``event``; return ns per turn."""
    payload = json.dumps(event)
    samples = []
    for _ in range(WARMUP_TURNS + turns):
        fresh = json.loads(payload)
        start = time.perf_counter_ns()
        response = handler(fresh, None)
        samples.append(time.perf_counter_ns() - start)
        if response["sessionState"]["dialogAction"]["type"] != "Close":
            raise RuntimeError(f"unexpected response: {response}")
        if after is not None:
            after()
    return samples[WARMUP_TURNS:]


def measure(path: str, lessons: int, turns: int, other_turns: int, loads: int) -> dict[str, Any]:
    """Run every measurement of lessonbot on the graph at ``path`` (see module docstring)."""
    quiet_environment()
    import lambda_function
    from bench.events import complete_event, learning_path_event, recommend_event
    from bench.learners import enrol, forget, learners, leave
    from bench.stats import summary_ms
    from knowledge_graph import GraphLoader, load_graph
    from knowledge_graph.loader import _build
    from knowledge_graph.sources import LocalSource
    from knowledge_graph.validation import validate_documents
    from lex_bot.lesson_app.progress_store import open_progress_store
    from lex_bot.lesson_app.services import Services, use_services

    # The loader serves every turn; its first get() is the load a cold start pays (from the
    # compiled file the publishing command writes next to the course files).
    loader = GraphLoader(path, check_interval=0)
    start = time.perf_counter()
    graph = loader.get()
    load_s = [time.perf_counter() - start]

    check_ns = []  # check interval 0: every get() compares the files' (name, mtime, size)
    for _ in range(CHECK_CALLS):
        start = time.perf_counter_ns()
        loader.get()
        check_ns.append(time.perf_counter_ns() - start)
    files = len(loader.status().signature or ())
    loader.check_interval = 30.0  # the deployed default for the turns below

    store = open_progress_store("memory://")
    use_services(Services(graph_loader=loader, store=store))
    handler = lambda_function.lambda_handler
    ids = graph.index.ids

    results: dict[str, Any] = {}
    held = 0.0  # the most a learner's record and turns added to the resident memory
    for learner in learners(ids):
        sid = learner.session_id
        before = resident_mb()
        done_lesson = enrol(store, graph, learner)

        def undo(sid: str = sid, lesson: str = done_lesson) -> None:
            forget(store, sid, lesson)

        cells = {
            "RecommendNextLesson": _time_turns(handler, recommend_event(sid), turns),
            "CompleteLesson": _time_turns(
                handler, complete_event(sid, graph.lesson(done_lesson).title), other_turns, undo
            ),
            "ShowLearningPath": _time_turns(
                handler, learning_path_event(sid, graph.lesson(learner.goal).title), other_turns
            ),
        }
        if len(store.get(sid).completed) != len(learner.mastery):
            raise RuntimeError("the learner's progress drifted during the benchmark")
        results[learner.name] = {intent: summary_ms(s) for intent, s in cells.items()}
        held = max(held, resident_mb() - before)
        leave(store, sid)  # a Lambda container holds the learner of the turn only

    # Peak memory of a container that loaded the graph once and served all those turns.
    serving_mb = peak_rss_mb()
    # More load timings (after the memory reading: each load briefly holds a second graph).
    for _ in range(loads - 1):
        start = time.perf_counter()
        load_graph(path)
        load_s.append(time.perf_counter() - start)
    # Last (it builds networkx and so raises the peak): loading with full validation, as
    # when an author edited a file since the graph was compiled.
    validate_s = []
    for _ in range(loads):
        start = time.perf_counter()
        validated = _build(validate_documents(LocalSource(path).read()))
        validate_s.append(time.perf_counter() - start)
    return {
        "impl": "ours",
        "lessons": len(graph),
        "edges": validated.graph.number_of_edges(),
        "files": files,
        "load_s": statistics.median(load_s),
        "validate_load_s": statistics.median(validate_s),
        "loads": loads,
        "check_ms": summary_ms(check_ns),
        "turns": results,
        "maxrss_mb": serving_mb,
        "learner_mb": held,
    }


def main() -> None:
    """Command line: ``--path DIR --lessons N --out FILE [--turns T] [--other-turns T]``.

    ``--turns``: RecommendNextLesson turns per learner; ``--other-turns``: the other intents.

    The result goes to ``--out``, not stdout: the bot itself may print (metrics, logs).
    """
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", required=True)
    parser.add_argument("--lessons", type=int, required=True)
    parser.add_argument("--turns", type=int, default=1_000)
    parser.add_argument("--other-turns", type=int, default=1_000)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    result = measure(args.path, args.lessons, args.turns, args.other_turns, args.loads)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
