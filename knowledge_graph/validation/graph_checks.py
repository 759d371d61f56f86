"""Whole-graph checks on the built lesson graph: cycles, satisfiability, reachability.

Run on the networkx graph that :func:`knowledge_graph.builder.build_graph` made of the
lessons that passed the field checks (dangling references skipped):

* :func:`check_cycles`: prerequisite cycles through ``requires``/``requires_any`` are errors
  (``cycle``), cycles that need a ``recommends`` link are warnings (``soft-cycle``);
* :func:`check_reachability`: lessons whose hard prerequisites can never all be completed
  (``unsatisfiable``, an error), lessons no start lesson leads to (``unreachable``) and
  lessons without any link (``isolated``), both warnings.

networkx is imported by the functions that need it, not by this module.

Example
-------
>>> from knowledge_graph.builder import build_graph
>>> from knowledge_graph.sources import RawDocument
>>> from knowledge_graph.validation.field_checks import check_file
>>> issues = []
>>> text = '''
... course: {id: c, title: C}
... lessons:
...   - {id: a, title: A, requires: [b]}
...   - {id: b, title: B, requires: [a]}
... '''
>>> checked = check_file(RawDocument.from_text("c.yaml", text), issues)
>>> lessons = {
...     f"c/{spec.id}": LocatedLesson(checked.sourced, checked.ctx, i, spec)
...     for i, spec in checked.sourced.iter_lessons()
... }
>>> sorted(check_cycles(build_graph([checked.sourced]), lessons))
['c/a', 'c/b']
>>> print(issues[0])
c.yaml:4: error [c/a] requires: prerequisite cycle: a -> b -> a (each lesson lists the next one)
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from knowledge_graph.file_format import (
    EDGE_KINDS,
    HARD_PREREQUISITE_KINDS,
    ORDERING_KINDS,
    PREREQUISITE_KINDS,
    EdgeKind,
)
from knowledge_graph.validation.field_checks import LocatedLesson
from knowledge_graph.validation.issues import Severity

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx


def _subgraph(graph: nx.DiGraph, kinds: frozenset[EdgeKind]) -> nx.DiGraph:
    """Return a copy of ``graph``'s edges that have one of ``kinds`` (edge data kept).

    A plain graph, not an ``edge_subgraph`` view: the cycle search walks it many times and
    views filter every step (4x slower at 10,000 lessons).
    """
    import networkx as nx

    names = {k.value for k in kinds}
    kept = nx.DiGraph()
    kept.add_edges_from(
        (u, v, {"kinds": d}) for u, v, d in graph.edges(data="kinds") if names & d.keys()
    )
    return kept


def _show(qid: str, course: str) -> str:
    """Show ``qid`` bare when it belongs to ``course``."""
    return qid.split("/", 1)[1] if qid.startswith(f"{course}/") else qid


def _report_cycle(
    graph: nx.DiGraph,
    cycle: list[str],
    lessons: dict[str, LocatedLesson],
    severity: Severity,
    code: str,
) -> None:
    """Report a cycle given in "requires" order (each node lists the next as prerequisite)."""
    rotate = min(range(len(cycle)), key=lambda i: graph.nodes[cycle[i]]["order"])
    cycle = cycle[rotate:] + cycle[:rotate]
    first, second = cycle[0], cycle[1 % len(cycle)]
    loc = lessons[first]
    course = loc.course.course_id
    kinds = graph.edges[second, first]["kinds"]
    field_name = next(
        (k.value for k in EDGE_KINDS if k in PREREQUISITE_KINDS and k.value in kinds), None
    )
    text = " -> ".join(_show(q, course) for q in [*cycle, cycle[0]])
    what = "prerequisite cycle" if severity is Severity.ERROR else "cycle through 'recommends'"
    loc.ctx.add(
        severity,
        code,
        f"{what}: {text} (each lesson lists the next one)",
        ("lessons", loc.index, field_name or "id"),
        lesson=loc.spec.id,
        field=field_name,
    )


def check_cycles(graph: nx.DiGraph, lessons: dict[str, LocatedLesson]) -> set[str]:
    """Report hard (error) and soft (warning) prerequisite cycles; return hard members."""
    import networkx as nx

    hard = _subgraph(graph, HARD_PREREQUISITE_KINDS)
    in_hard_cycle: set[str] = set()
    for component in sorted(nx.strongly_connected_components(hard), key=min):
        if len(component) < 2:
            continue
        in_hard_cycle |= component
        edges = nx.find_cycle(hard.subgraph(component))
        cycle = [u for u, _ in edges][::-1]  # prerequisite edges reversed: "requires" order
        _report_cycle(graph, cycle, lessons, Severity.ERROR, "cycle")
    soft = _subgraph(graph, PREREQUISITE_KINDS)
    for component in sorted(nx.strongly_connected_components(soft), key=min):
        if len(component) < 2:
            continue
        sub = soft.subgraph(component)
        rec = next(
            (
                (u, v)
                for u, v, d in sorted(sub.edges(data="kinds"))
                if EdgeKind.RECOMMENDS.value in d
            ),
            None,
        )
        if rec is None:
            continue
        u, v = rec
        path = nx.shortest_path(sub, v, u)  # v ... u, then u -> v closes the cycle
        _report_cycle(graph, path[::-1], lessons, Severity.WARNING, "soft-cycle")
    return in_hard_cycle


def _satisfiable(graph: nx.DiGraph) -> set[str]:
    """Return the lessons whose hard prerequisites can all be completed (worklist)."""
    need: dict[str, int] = {}
    group_open: dict[str, list[bool]] = {}
    req_dependents: dict[str, list[str]] = {n: [] for n in graph}
    group_members: dict[str, list[tuple[str, int]]] = {n: [] for n in graph}
    for node, groups in graph.nodes(data="requires_any"):
        preds = [
            u
            for u in graph.predecessors(node)
            if EdgeKind.REQUIRES.value in graph.edges[u, node]["kinds"]
        ]
        for u in preds:
            req_dependents[u].append(node)
        for g, group in enumerate(groups):
            for member in group:
                group_members[member].append((node, g))
        group_open[node] = [True] * len(groups)
        need[node] = len(preds) + len(groups)
    done = {n for n, k in need.items() if k == 0}
    queue = deque(sorted(done, key=lambda n: graph.nodes[n]["order"]))
    while queue:
        u = queue.popleft()
        unlocked = list(req_dependents[u])
        for v, g in group_members[u]:
            if group_open[v][g]:
                group_open[v][g] = False
                unlocked.append(v)
        for v in unlocked:
            need[v] -= 1
            if need[v] == 0 and v not in done:
                done.add(v)
                queue.append(v)
    return done


def check_reachability(
    graph: nx.DiGraph, lessons: dict[str, LocatedLesson], in_hard_cycle: set[str], *, complete: bool
) -> None:
    """Report unsatisfiable (error), unreachable (warning) and isolated (warning) lessons.

    ``complete`` is False when some lesson or link was dropped because of an error; the
    two warnings would then be unreliable and are skipped.
    """
    ok = _satisfiable(graph)
    for node in graph:
        if node in ok or node in in_hard_cycle:
            continue
        loc = lessons[node]
        course = loc.course.course_id
        blocked = [
            u
            for u in graph.predecessors(node)
            if u not in ok and EdgeKind.REQUIRES.value in graph.edges[u, node]["kinds"]
        ]
        if blocked:
            field_name = EdgeKind.REQUIRES.value
            why = f"prerequisite {_show(blocked[0], course)!r} can never be completed"
        else:
            field_name = EdgeKind.REQUIRES_ANY.value
            group = next(g for g in graph.nodes[node]["requires_any"] if not set(g) & ok)
            why = (
                "no lesson of the requires_any group "
                f"[{', '.join(_show(q, course) for q in group)}] can ever be completed"
            )
        loc.ctx.add(
            Severity.ERROR,
            "unsatisfiable",
            f"lesson can never be started: {why}",
            ("lessons", loc.index, field_name),
            lesson=loc.spec.id,
            field=field_name,
        )
    if not complete:
        return
    leading = {k.value for k in ORDERING_KINDS}
    starts = [
        n
        for n in graph
        if not any(leading & graph.edges[u, n]["kinds"].keys() for u in graph.predecessors(n))
    ]
    reached: set[str] = set(starts)
    queue = deque(starts)
    while queue:
        for v in graph.successors(queue.popleft()):
            if v not in reached:
                reached.add(v)
                queue.append(v)
    per_course: dict[str, int] = {}
    for node in graph:
        per_course[graph.nodes[node]["course"]] = per_course.get(graph.nodes[node]["course"], 0) + 1
    for node in graph:
        loc = lessons[node]
        if node in ok and node not in reached:
            loc.ctx.add(
                Severity.WARNING,
                "unreachable",
                "no start lesson leads here (a start lesson has no prerequisites and is "
                "nobody's 'next'); it sits on a loop of 'next'/'recommends' links",
                ("lessons", loc.index),
                lesson=loc.spec.id,
            )
        elif graph.degree(node) == 0 and per_course[graph.nodes[node]["course"]] > 1:
            loc.ctx.add(
                Severity.WARNING,
                "isolated",
                "lesson has no links to or from any other lesson",
                ("lessons", loc.index),
                lesson=loc.spec.id,
            )
