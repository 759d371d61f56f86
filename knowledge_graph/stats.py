"""Summary numbers of a lesson graph, for authors (``python -m knowledge_graph stats``).

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> stats = compute_stats(example_graph())
>>> stats.lessons, stats.total_minutes, stats.edges
(5, 85, {'requires': 3, 'requires_any': 2, 'recommends': 1, 'related': 1, 'next': 1})
>>> stats.roots, stats.leaves
(('demo/variables',), ('demo/recursion',))
>>> stats.longest_chain
('demo/variables', 'demo/loops', 'demo/functions', 'demo/recursion')
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge_graph.file_format import (
    EDGE_KINDS,
    HARD_PREREQUISITE_KINDS,
    ORDERING_KINDS,
    SYMMETRIC_KINDS,
)

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.model import LessonGraph

__all__ = ["GraphStats", "compute_stats"]


@dataclass(frozen=True)
class GraphStats:
    """Summary numbers of a lesson graph (see :func:`compute_stats`).

    ``edges`` counts links per kind (a ``related`` pair once); ``roots`` are the start
    lessons (FORMAT.md: no prerequisite of any kind and nobody's ``next``, so nothing comes
    before them; the recommender's ``good_start`` reason needs only the first half);
    ``leaves`` are lessons nothing builds on (no dependents, no ``next``); ``longest_chain``
    is a longest chain of hard prerequisites, first lesson first.
    """

    courses: dict[str, int]
    modules: dict[str, int]
    edges: dict[str, int]
    roots: tuple[str, ...]
    leaves: tuple[str, ...]
    longest_chain: tuple[str, ...]
    total_minutes: int
    lessons: int


def compute_stats(graph: LessonGraph) -> GraphStats:
    """Compute the :class:`GraphStats` of a graph (see the module docstring for an example).

    ``edges`` has one entry per edge kind, in the order of
    :data:`knowledge_graph.file_format.EDGE_KINDS`.
    """
    import networkx as nx

    G = graph.graph
    lessons = graph.lessons()
    edges: Counter[str] = Counter({kind.value: 0 for kind in EDGE_KINDS})
    pairs: dict[str, set[frozenset[str]]] = {kind.value: set() for kind in SYMMETRIC_KINDS}
    for u, v, data in G.edges(data=True):
        for kind in data.get("kinds") or ():
            if kind in pairs:
                pairs[kind].add(frozenset((u, v)))  # stored both ways: count the pair once
            else:
                edges[kind] += 1
    for kind, found in pairs.items():
        edges[kind] = len(found)

    def kinds_in(node: str) -> set[str]:
        return {k for u in G.predecessors(node) for k in G.edges[u, node]["kinds"]}

    def kinds_out(node: str) -> set[str]:
        return {k for v in G.successors(node) for k in G.edges[node, v]["kinds"]}

    roots = tuple(n.id for n in lessons if not kinds_in(n.id) & ORDERING_KINDS)
    leaves = tuple(n.id for n in lessons if not kinds_out(n.id) & ORDERING_KINDS)
    hard = nx.DiGraph(
        (u, v)
        for u, v, d in G.edges(data=True)
        if HARD_PREREQUISITE_KINDS & set(d.get("kinds") or ())
    )
    chain = tuple(nx.dag_longest_path(hard)) if hard.number_of_edges() else ()
    return GraphStats(
        courses=dict(Counter(n.course for n in lessons)),
        modules=dict(Counter(f"{n.course}: {n.module}" for n in lessons)),
        edges=dict(edges),
        roots=roots,
        leaves=leaves,
        longest_chain=chain,
        total_minutes=sum(n.minutes for n in lessons),
        lessons=len(lessons),
    )
