"""The benchmark's peers: what an engineer would write by hand, in two honest variants.

Both load the JSON course files into a ``networkx.DiGraph`` at cold start (no validation, no
index; an edge keeps the set of link kinds between two lessons and its largest weight):

* :class:`WalkRecommender`, the **plain-Python neighbourhood walk**: per request, a weighted
  walk of up to :data:`WALK_HOPS` hops from the learner's completed lessons along their
  out-links (``next``, "is a prerequisite of", ``related``, "is recommended before"), with
  dicts and sets; the reached lessons that are not completed and whose hard prerequisites
  (``requires``, one member of each ``requires_any`` group) are met are ranked by the
  walk's score. A learner whose walk reaches nothing gets the start lessons (found once at
  cold start), and only when those are exhausted too does it scan every lesson.
* :class:`PageRankRecommender`, **networkx + SciPy PageRank**: per request, a Python loop over
  all lessons keeps the unlocked ones, and ``networkx.pagerank`` (SciPy's sparse power
  iteration) personalised on the completed lessons ranks them.

A learning path (both): ``networkx.ancestors`` over the ``requires`` edges, minus the
completed lessons, in topological order.

Example
-------
>>> walk = WalkRecommender.from_path("bench/.cache/lessons-100-seed7-v3")  # doctest: +SKIP
>>> walk.recommend({}, k=1)  # doctest: +SKIP
['course-000/l000000']
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import networkx as nx

#: Same meaning as ``knowledge_graph.MASTERY_THRESHOLD`` (kept literal: the peers are
#: independent of our package).
MASTERY_THRESHOLD: Final[float] = 0.6
#: How far the walk goes from each completed lesson.
WALK_HOPS: Final[int] = 3
#: Each further hop multiplies the push by this.
WALK_DECAY: Final[float] = 0.5
#: How strongly each link kind carries the walk (the strongest kind of an edge counts).
WALK_KIND_FACTORS: Final[dict[str, float]] = {
    "next": 1.0,
    "requires": 0.8,
    "related": 0.6,
    "recommends": 0.5,
}
#: What ranks the PageRank peer's candidates.
PAGERANK_IMPLEMENTATION: Final[str] = "networkx.pagerank (SciPy)"
_LINK_FIELDS: Final[tuple[str, ...]] = ("requires", "recommends", "related", "next")


def _ref_id(ref: Any, course: str) -> str:
    """The qualified id of a reference (bare string or ``{id, weight}``)."""
    raw = ref["id"] if isinstance(ref, dict) else ref
    return raw if "/" in raw else f"{course}/{raw}"


def _ref_weight(ref: Any) -> float:
    """The weight of a reference (1.0 when not given)."""
    return float(ref.get("weight", 1.0)) if isinstance(ref, dict) else 1.0


class NaiveRecommender:
    """A lesson graph in networkx; the peers below add their ranking.

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
        >>> len(WalkRecommender.from_path("bench/.cache/lessons-100-seed7-v3").graph)
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
        """The ``k`` best unlocked, not completed lessons (ranking: see the subclasses)."""
        raise NotImplementedError

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


class PageRankRecommender(NaiveRecommender):
    """Candidates by a loop over every lesson, ranked by ``networkx.pagerank`` on SciPy."""

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
        rank = nx.pagerank(self.graph, personalization=personalization or None, weight="weight")
        order = self.graph.nodes
        candidates.sort(key=lambda lesson: (-rank[lesson], order[lesson]["order"]))
        return candidates[:k]


class WalkRecommender(NaiveRecommender):
    """Candidates and scores from a weighted walk of the learner's neighbourhood."""

    def __init__(self, graph: nx.DiGraph) -> None:
        super().__init__(graph)
        # Found once at cold start: lessons without hard prerequisites, in load order.
        self.starts = [
            lesson
            for lesson in graph.nodes
            if not graph.nodes[lesson]["requires_any"]
            and not any("requires" in graph[p][lesson]["kinds"] for p in graph.predecessors(lesson))
        ]

    def walk(self, completed: set[str]) -> dict[str, float]:
        """Score every lesson within :data:`WALK_HOPS` out-links of a completed lesson."""
        graph = self.graph
        score: dict[str, float] = {}
        frontier = dict.fromkeys(completed, 1.0)
        for _ in range(WALK_HOPS):
            reached: dict[str, float] = {}
            for u, push in frontier.items():
                for v, data in graph[u].items():
                    factor = max(WALK_KIND_FACTORS.get(kind, 0.0) for kind in data["kinds"])
                    if factor:
                        reached[v] = reached.get(v, 0.0) + push * data["weight"] * factor
            for v, s in reached.items():
                score[v] = score.get(v, 0.0) + s
            frontier = {v: s * WALK_DECAY for v, s in reached.items()}
        return score

    def recommend(self, mastery: Mapping[str, float], k: int = 3) -> list[str]:
        """The ``k`` best unlocked lessons of the learner's neighbourhood (see module)."""
        if k <= 0:
            return []
        completed = self.completed(mastery)
        score = self.walk(completed)
        candidates = [v for v in score if v not in completed and self.is_unlocked(v, completed)]
        if not candidates:
            candidates = [
                v for v in self.starts if v not in completed and self.is_unlocked(v, completed)
            ]
        if not candidates:
            candidates = self.unlocked(completed)
        order = self.graph.nodes
        candidates.sort(key=lambda v: (-score.get(v, 0.0), order[v]["order"]))
        return candidates[:k]


#: The peers by name, as ``bench.run`` and its results call them.
PEERS: Final[dict[str, type[NaiveRecommender]]] = {
    "walk": WalkRecommender,
    "pagerank": PageRankRecommender,
}
