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
>>> check_cycles(build_graph([checked.sourced]), lessons)
{'c/a': 'c/a', 'c/b': 'c/a'}
>>> print(issues[0])
c.yaml:4: error [c/a] requires: prerequisite cycle: a -> b -> a (each lesson lists the next one)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

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


#: At most this many cycles are reported per tangle (strongly connected component).
MAX_CYCLES_PER_TANGLE: Final[int] = 50


def _report_cycle(
    graph: nx.DiGraph,
    cycle: list[str],
    lessons: dict[str, LocatedLesson],
    severity: Severity,
    code: str,
    tangle: str = "",
) -> str:
    """Report a cycle given in "requires" order (each node lists the next as prerequisite).

    Returns the qualified id of the lesson the issue is reported on (the cycle's first
    lesson in load order).
    """
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
    if severity is Severity.ERROR:
        hint = (
            f"break the loop at one link, e.g. move {_show(second, course)!r} from the "
            f"{field_name} of {loc.spec.id!r} to its recommends (or next)"
        )
    else:
        hint = "drop one of the 'recommends' links of the loop"
    loc.ctx.add(
        severity,
        code,
        f"{what}: {text} (each lesson lists the next one){tangle}",
        ("lessons", loc.index, field_name or "id"),
        lesson=loc.spec.id,
        field=field_name,
        hint=hint,
    )
    return first


def _tangle_cycles(component: nx.DiGraph, order: dict[str, int]) -> list[list[str]]:
    """Cycles that together cover a strongly connected component, in "requires" order.

    Finds a cycle, removes the link that closes it at its first lesson (in load order) and
    repeats until no cycle is left (at most :data:`MAX_CYCLES_PER_TANGLE` + 1): removing one
    link of each reported cycle, the one named in its fix, untangles the component. Each
    search is linear in the component's size.
    """
    import networkx as nx

    work = component.copy()
    cycles: list[list[str]] = []
    while len(cycles) <= MAX_CYCLES_PER_TANGLE:
        start = min(work, key=order.__getitem__)
        try:
            edges = nx.find_cycle(work, source=start)
        except nx.NetworkXNoCycle:
            try:
                edges = nx.find_cycle(work)
            except nx.NetworkXNoCycle:
                break
        cycle = [u for u, _ in edges][::-1]  # prerequisite edges reversed: "requires" order
        cycles.append(cycle)
        first = min(range(len(cycle)), key=lambda i: order[cycle[i]])
        prerequisite = cycle[(first + 1) % len(cycle)]
        work.remove_edge(prerequisite, cycle[first])
    return cycles


def check_cycles(graph: nx.DiGraph, lessons: dict[str, LocatedLesson]) -> dict[str, str]:
    """Report hard (error) and soft (warning) prerequisite cycles.

    Every hard cycle is reported, each with its full loop: a tangle (strongly connected
    component) with several cycles gets one issue per cycle needed to untangle it
    (:func:`_tangle_cycles`), so one run shows them all.

    Returns
    -------
    dict of str to str
        Each lesson on a hard cycle, mapped to the lesson whose ``cycle`` issue stands for
        its tangle (the cause named by the follow-on issues of the lessons it blocks).
    """
    import networkx as nx

    hard = _subgraph(graph, HARD_PREREQUISITE_KINDS)
    order = {n: graph.nodes[n]["order"] for n in graph}
    in_hard_cycle: dict[str, str] = {}
    components = [c for c in nx.strongly_connected_components(hard) if len(c) > 1]
    for component in sorted(components, key=lambda c: min(order[n] for n in c)):
        cycles = _tangle_cycles(hard.subgraph(component), order)
        anchor = None
        for number, cycle in enumerate(cycles[:MAX_CYCLES_PER_TANGLE], start=1):
            tangle = ""
            if len(cycles) > 1:
                more = "+" if len(cycles) > MAX_CYCLES_PER_TANGLE else ""
                tangle = (
                    f"; cycle {number} of {min(len(cycles), MAX_CYCLES_PER_TANGLE)}{more} "
                    f"tangled among {len(component)} lessons"
                )
            where = _report_cycle(graph, cycle, lessons, Severity.ERROR, "cycle", tangle)
            anchor = anchor or where
        assert anchor is not None
        in_hard_cycle.update(dict.fromkeys(sorted(component, key=order.__getitem__), anchor))
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


def _blocking_causes(
    graph: nx.DiGraph, ok: set[str], in_hard_cycle: Mapping[str, str]
) -> dict[str, str]:
    """Map each blocked lesson (not satisfiable, not on a cycle) to the cycle that blocks it.

    A breadth-first walk along hard-prerequisite links from the lessons of each cycle,
    tangles taken in load order, so a lesson blocked by several cycles is put down to the
    first one. A lesson that no cycle reaches maps to nothing.
    """
    hard = {k.value for k in HARD_PREREQUISITE_KINDS}
    cause: dict[str, str] = {}
    starts = sorted(in_hard_cycle, key=lambda n: graph.nodes[n]["order"])
    queue = deque(starts)
    while queue:
        u = queue.popleft()
        origin = in_hard_cycle.get(u) or cause[u]
        for v in graph.successors(u):
            if v in ok or v in in_hard_cycle or v in cause:
                continue
            if hard & graph.edges[u, v]["kinds"].keys():
                cause[v] = origin
                queue.append(v)
    return cause


def check_reachability(
    graph: nx.DiGraph,
    lessons: dict[str, LocatedLesson],
    in_hard_cycle: Mapping[str, str],
    *,
    complete: bool,
) -> None:
    """Report unsatisfiable (error), unreachable (warning) and isolated (warning) lessons.

    An ``unsatisfiable`` lesson is a follow-on issue: its ``cause`` is the lesson whose
    ``cycle`` issue explains it (see :func:`check_cycles`). ``complete`` is False when some
    lesson or link was dropped because of an error; the two warnings would then be
    unreliable and are skipped.
    """
    ok = _satisfiable(graph)
    causes = _blocking_causes(graph, ok, in_hard_cycle)
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
            cause=causes.get(node),
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
