"""Warm turns of ours and both peers, interleaved in one process: ``python -m bench.measure_turns``.

Ours is timed through ``lambda_function.lambda_handler`` with real Lex V2 events
(RecommendNextLesson, CompleteLesson of the learner's top lesson, undone after each turn,
and ShowLearningPath); each peer through its own recommend / complete / path function. For
every (learner, intent) cell the implementations take turns: one turn of ours, then one of
each peer, round after round, so that a drifting machine load hits all of them alike. A
peer stops after ``--naive-turns`` turns or, past ``--min-turns``, once it has spent
``--budget`` seconds on the cell (a PageRank turn takes seconds at 100,000 lessons).

Writes ``{"ours": cells, "walk": cells, "pagerank": cells}`` (cells: learner -> intent ->
summary in ms) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from bench.process import quiet_environment

INTENTS = ("RecommendNextLesson", "CompleteLesson", "ShowLearningPath")
WARMUP_TURNS = 20


def _timed(call: Callable[[], Any]) -> int:
    start = time.perf_counter_ns()
    call()
    return time.perf_counter_ns() - start


def measure(
    path: str, turns: int, naive_turns: int, min_turns: int, budget_s: float
) -> dict[str, Any]:
    """Time every cell for ours and both peers (see the module docstring)."""
    quiet_environment()
    import lambda_function
    from bench.events import complete_event, learning_path_event, recommend_event
    from bench.learners import enrol, forget, learners
    from bench.naive_baseline import PEERS, NaiveRecommender
    from bench.stats import summary_ms
    from knowledge_graph import GraphLoader
    from lex_bot.lesson_app.progress_store import open_progress_store
    from lex_bot.lesson_app.services import Services, use_services

    loader = GraphLoader(path, check_interval=30.0)
    graph = loader.get()
    store = open_progress_store("memory://")
    use_services(Services(graph_loader=loader, store=store))
    handler = lambda_function.lambda_handler
    base = NaiveRecommender.from_path(path)
    peers = {name: cls(base.graph) for name, cls in PEERS.items()}

    results: dict[str, dict[str, Any]] = {"ours": {}, **{name: {} for name in peers}}
    for learner in learners(list(graph.index.ids)):
        sid = learner.session_id
        ours_lesson = enrol(store, graph, learner)

        def undo(sid: str = sid, lesson: str = ours_lesson) -> None:
            forget(store, sid, lesson)

        def turn(
            event: dict[str, Any], after: Callable[[], None] | None = None
        ) -> Callable[[], Any]:
            payload = json.dumps(event)

            def call() -> None:
                response = handler(json.loads(payload), None)
                if response["sessionState"]["dialogAction"]["type"] != "Close":
                    raise RuntimeError(f"unexpected response: {response}")
                if after is not None:
                    after()

            return call

        ours = {
            "RecommendNextLesson": turn(recommend_event(sid)),
            "CompleteLesson": turn(complete_event(sid, graph.lesson(ours_lesson).title), undo),
            "ShowLearningPath": turn(learning_path_event(sid, graph.lesson(learner.goal).title)),
        }
        peer_calls: dict[str, dict[str, Callable[[], Any]]] = {}
        for name, peer in peers.items():
            mastery = dict(learner.mastery)
            chosen = (peer.recommend(mastery, k=1) or [ours_lesson])[0]

            def complete(p=peer, m=mastery, x=chosen) -> None:  # type: ignore[no-untyped-def]
                p.complete(m, x, 1.0, k=3)
                m.pop(x, None)

            peer_calls[name] = {
                "RecommendNextLesson": lambda p=peer, m=mastery: p.recommend(m, k=3),
                "CompleteLesson": complete,
                "ShowLearningPath": lambda p=peer, m=mastery, g=learner.goal: p.path_to(g, m),
            }
        for intent in INTENTS:
            for _ in range(WARMUP_TURNS):
                ours[intent]()
            if budget_s > 0:
                for calls in peer_calls.values():
                    calls[intent]()
            samples: dict[str, list[int]] = {"ours": [], **{name: [] for name in peers}}
            spent = dict.fromkeys(peers, 0.0)
            for _ in range(turns):
                samples["ours"].append(_timed(ours[intent]))
                for name, calls in peer_calls.items():
                    n = len(samples[name])
                    if n < naive_turns and (n < min_turns or spent[name] < budget_s):
                        elapsed = _timed(calls[intent])
                        samples[name].append(elapsed)
                        spent[name] += elapsed / 1e9
            # a peer that still owes its minimum (more turns of ours than ours were planned)
            for name, calls in peer_calls.items():
                while len(samples[name]) < min(min_turns, naive_turns):
                    samples[name].append(_timed(calls[intent]))
            for impl, values in samples.items():
                results[impl].setdefault(learner.name, {})[intent] = summary_ms(values)
        if len(store.get(sid).completed) != len(learner.mastery):
            raise RuntimeError("the learner's progress drifted during the benchmark")
    return results


def main() -> None:
    """Command line: ``--path DIR --out FILE [--turns T --naive-turns N --min-turns M
    --budget S]``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--naive-turns", type=int, default=500)
    parser.add_argument("--min-turns", type=int, default=3)
    parser.add_argument("--budget", type=float, default=5.0)
    args = parser.parse_args()
    result = measure(args.path, args.turns, args.naive_turns, args.min_turns, args.budget)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
