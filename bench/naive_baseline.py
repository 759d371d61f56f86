"""The naive baseline: what a typical hand-written recommendation Lambda does.

* Cold start: read the JSON course files into a ``networkx.DiGraph`` (no validation, no
  index); an edge keeps the set of link kinds between two lessons.
* Every request: a Python loop over *all* lessons keeps those not completed whose hard
  prerequisites (``requires``, and one member of each ``requires_any`` group) are all
  completed, then ``networkx`` PageRank personalised on the completed lessons ranks them.
* A learning path: ``networkx.ancestors`` over the ``requires`` edges, minus the completed
  lessons, in topological order.

PageRank uses ``networkx.pagerank`` when SciPy is installed, otherwise networkx's own
pure-Python power iteration (``nx.pagerank`` itself requires SciPy since networkx 3.0, and
SciPy is not a dependency of this project); :data:`PAGERANK_IMPLEMENTATION` says which.

Example
-------
>>> baseline = NaiveRecommender.from_path("bench/.cache/lessons-100-seed7-v1")  # doctest: +SKIP
>>> baseline.recommend({}, k=1)  # doctest: +SKIP
['course-000/l000000']
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import networkx as nx

#: Same meaning as ``knowledge_graph.MASTERY_THRESHOLD`` (kept literal: the baseline is
#: independent of our package).
MASTERY_THRESHOLD: Final[float] = 0.6
#: ``"scipy"`` (``networkx.pagerank``) or ``"python"`` (networkx's pure-Python iteration).
PAGERANK_IMPLEMENTATION: Final[str] = (
    "scipy" if importlib.util.find_spec("scipy") is not None else "python"
)
_LINK_FIELDS: Final[tuple[str, ...]] = ("requires", "recommends", "related", "next")


def _pagerank(graph: nx.DiGraph, personalization: dict[str, float] | None) -> dict[str, float]:
    """Personalised PageRank of every lesson (see :data:`PAGERANK_IMPLEMENTATION`)."""
    if PAGERANK_IMPLEMENTATION == "scipy":
        return nx.pagerank(graph, personalization=personalization, weight="weight")
    from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

    return _pagerank_python(graph, personalization=personalization, weight="weight")


def _ref_id(ref: Any, course: str) -> str:
    """The qualified id of a reference (bare string or ``{id, weight}``)."""
    raw = ref["id"] if isinstance(ref, dict) else ref
    return raw if "/" in raw else f"{course}/{raw}"


def _ref_weight(ref: Any) -> float:
    """The weight of a reference (1.0 when not given)."""
    return float(ref.get("weight", 1.0)) if isinstance(ref, dict) else 1.0


class NaiveRecommender:
    """A lesson graph in networkx, queried with per-request loops and PageRank.

    Parameters
    ----------
    graph : networkx.DiGraph
        Nodes are qualified lesson ids with the lesson's fields as attributes (``order``
        gives load order, ``requires_any`` the groups); an edge ``u -> v`` has ``kinds`` (a
        set of link kinds) and ``weight``.
    """

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> NaiveRecommender:
        """Load every ``*.json`` course file of a folder (or one file) into networkx.

        Example
        -------
        >>> len(NaiveRecommender.from_path("bench/.cache/lessons-100-seed7-v1").graph)
        ... # doctest: +SKIP
        100
        """
        root = Path(path)
        files = (
            sorted(f for f in root.glob("*.json") if not f.name.startswith("."))
            if root.is_dir()
            else [root]
        )
        graph = nx.DiGraph()
        links: list[tuple[str, str, str, float]] = []
        for file in files:
            doc = json.loads(file.read_text(encoding="utf-8"))
            course = doc["course"]["id"]
            for lesson in doc["lessons"]:
                node = f"{course}/{lesson['id']}"
                groups = [[_ref_id(r, course) for r in g] for g in lesson.get("requires_any", [])]
                graph.add_node(node, **lesson, order=len(graph), requires_any=groups)
                for kind in _LINK_FIELDS:
                    for ref in lesson.get(kind, []):
                        other, weight = _ref_id(ref, course), _ref_weight(ref)
                        if kind == "next":
                            links.append((node, other, kind, weight))
                        else:  # prerequisites and related point to the lesson listing them
                            links.append((other, node, kind, weight))
                        if kind == "related":
                            links.append((node, other, kind, weight))
        for u, v, kind, weight in links:
            if graph.has_edge(u, v):
                graph[u][v]["kinds"].add(kind)
                graph[u][v]["weight"] = max(graph[u][v]["weight"], weight)
            else:
                graph.add_edge(u, v, kinds={kind}, weight=weight)
        return cls(graph)

    def completed(self, mastery: Mapping[str, float]) -> set[str]:
        """The lessons whose mastery reaches the threshold."""
        return {lesson for lesson, m in mastery.items() if m >= MASTERY_THRESHOLD}

    def is_unlocked(self, lesson: str, completed: set[str]) -> bool:
        """True when every hard prerequisite of ``lesson`` is completed."""
        graph = self.graph
        for prerequisite in graph.predecessors(lesson):
            if "requires" in graph[prerequisite][lesson]["kinds"] and prerequisite not in completed:
                return False
        groups = graph.nodes[lesson]["requires_any"]
        return all(any(member in completed for member in group) for group in groups)

    def unlocked(self, completed: set[str]) -> list[str]:
        """Every lesson not completed whose hard prerequisites are met (a loop over all)."""
        return [
            lesson
            for lesson in self.graph.nodes
            if lesson not in completed and self.is_unlocked(lesson, completed)
        ]

    def recommend(self, mastery: Mapping[str, float], k: int = 3) -> list[str]:
        """The ``k`` unlocked lessons with the highest personalised PageRank.

        Parameters
        ----------
        mastery : mapping of qualified lesson id to mastery in [0, 1]
        k : int
            Maximum number of results.

        Returns
        -------
        list of str
            Qualified lesson ids, best first (ties by load order).
        """
        completed = self.completed(mastery)
        candidates = self.unlocked(completed)
        if not candidates or k <= 0:
            return []
        personalization = {lesson: 1.0 for lesson in completed if lesson in self.graph}
        rank = _pagerank(self.graph, personalization or None)
        order = self.graph.nodes
        candidates.sort(key=lambda lesson: (-rank[lesson], order[lesson]["order"]))
        return candidates[:k]

    def complete(
        self, mastery: dict[str, float], lesson: str, score: float = 1.0, k: int = 3
    ) -> list[str]:
        """Record a completion in ``mastery`` (in place), then recommend."""
        mastery[lesson] = max(score, mastery.get(lesson, 0.0))
        return self.recommend(mastery, k=k)

    def path_to(self, goal: str, mastery: Mapping[str, float]) -> list[str]:
        """The lessons still to take before (and including) ``goal``, in a valid order.

        Uses the ``requires`` edges only (``requires_any`` groups are ignored).
        """
        completed = self.completed(mastery)
        if goal in completed:
            return []
        graph = self.graph
        hard = nx.subgraph_view(graph, filter_edge=lambda u, v: "requires" in graph[u][v]["kinds"])
        needed = {a for a in nx.ancestors(hard, goal) if a not in completed} | {goal}
        return list(nx.topological_sort(hard.subgraph(needed)))
