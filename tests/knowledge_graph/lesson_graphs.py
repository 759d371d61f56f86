"""Test helpers: lesson DiGraphs in the builder's schema, written by hand or drawn by hypothesis.

``make_graph`` mirrors :func:`knowledge_graph.builder.build_graph` closely enough for the
query side (node attributes, ``kinds`` edges, ``requires_any`` groups, course weights) without
going through the file format, so model tests do not depend on the authoring format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
from hypothesis import strategies as st

from knowledge_graph.file_format import DEFAULT_WEIGHTS


def qualify(ref: str, course: str) -> str:
    """``ref`` as a qualified id (bare refs belong to ``course``)."""
    return ref if "/" in ref else f"{course}/{ref}"


def _add(G: nx.DiGraph, u: str, v: str, kind: str, weight: float) -> None:
    if G.has_edge(u, v):
        kinds = G.edges[u, v]["kinds"]
        kinds[kind] = max(weight, kinds.get(kind, 0.0))
        G.edges[u, v]["weight"] = max(kinds.values())
    else:
        G.add_edge(u, v, kinds={kind: weight}, weight=weight)


def make_graph(
    lessons: Sequence[Mapping[str, Any]],
    weights: Mapping[str, Mapping[str, float]] | None = None,
    insertion: Sequence[int] | None = None,
) -> nx.DiGraph:
    """Build a lesson DiGraph.

    Parameters
    ----------
    lessons : sequence of mappings
        ``id`` ("course/key", or a bare key in course "c"), optional ``title``, ``module``,
        ``difficulty``, ``minutes``, ``aliases``, ``requires``, ``recommends``,
        ``requires_any`` (list of lists), ``next``, ``related`` (refs, bare = same course;
        a ref may be ``(id, weight)``). The list position is the load ``order``.
    weights : mapping of course id to weight overrides, optional
    insertion : sequence of int, optional
        Order in which nodes are inserted into networkx (default: list order).
    """
    G = nx.DiGraph(courses={})
    nodes: list[tuple[str, dict[str, Any]]] = []
    for order, spec in enumerate(lessons):
        node = qualify(spec["id"], "c")
        course, _, key = node.partition("/")
        G.graph["courses"].setdefault(
            course,
            {
                "id": course,
                "title": course.title(),
                "description": "",
                "weights": {**DEFAULT_WEIGHTS, **(weights or {}).get(course, {})},
                "source": "<test>",
            },
        )
        nodes.append(
            (
                node,
                {
                    "key": key,
                    "course": course,
                    "title": spec.get("title", key.replace("-", " ").title()),
                    "summary": spec.get("summary", ""),
                    "module": spec.get("module", "General"),
                    "difficulty": spec.get("difficulty", 2),
                    "minutes": spec.get("minutes", 10),
                    "aliases": tuple(spec.get("aliases", ())),
                    "tags": tuple(spec.get("tags", ())),
                    "url": spec.get("url"),
                    "requires_any": tuple(
                        tuple(qualify(m, course) for m in group)
                        for group in spec.get("requires_any", ())
                    ),
                    "order": order,
                    "source": "<test>",
                    "line": None,
                },
            )
        )
    for position in insertion if insertion is not None else range(len(nodes)):
        G.add_node(nodes[position][0], **nodes[position][1])
    for spec in lessons:
        node = qualify(spec["id"], "c")
        course = node.partition("/")[0]
        default = {"requires": 1.0, "recommends": 0.5, "next": 1.0, "related": 0.5}
        for kind, fallback in default.items():
            for ref in spec.get(kind, ()):
                ref_id, weight = ref if isinstance(ref, tuple) else (ref, fallback)
                other = qualify(ref_id, course)
                if kind == "next":
                    _add(G, node, other, kind, weight)
                elif kind == "related":
                    _add(G, node, other, kind, weight)
                    _add(G, other, node, kind, weight)
                else:
                    _add(G, other, node, kind, weight)
        for group in G.nodes[node]["requires_any"]:
            for member in group:
                _add(G, member, node, "requires_any", 1.0)
    return G


_PICKS = st.lists(st.integers(0, 1_000), max_size=3)
_GROUPS = st.lists(st.lists(st.integers(0, 1_000), min_size=1, max_size=3), max_size=2)
_WEIGHT = st.floats(0.1, 1.0)
_DIFFICULTY = st.integers(1, 5)
_MINUTES = st.integers(1, 60)
_MODULE = st.integers(0, 2)


def _pick(numbers: list[int], pool: list[str]) -> list[str]:
    """Distinct members of ``pool`` chosen by ``numbers`` (empty pool: none)."""
    return list(dict.fromkeys(pool[x % len(pool)] for x in numbers)) if pool else []


@st.composite
def lesson_specs(draw: st.DrawFn, max_lessons: int = 12) -> list[dict[str, Any]]:
    """Random lesson specs whose hard prerequisites form a DAG (two courses, mixed refs).

    Hard and soft prerequisites point to lessons earlier in a random permutation (not the
    load order), ``next``/``related`` anywhere. Strategies are module constants (fast draws).
    """
    n = draw(st.integers(1, max_lessons))
    ids = [f"{'ab'[i % 2]}/l{i}" for i in range(n)]
    rank = draw(st.permutations(range(n)))
    specs: list[dict[str, Any]] = []
    for i in range(n):
        earlier = [ids[j] for j in range(n) if rank[j] < rank[i]]
        others = [x for x in ids if x != ids[i]]
        requires = _pick(draw(_PICKS), earlier)
        soft = [r for r in _pick(draw(_PICKS), earlier) if r not in requires]
        specs.append(
            {
                "id": ids[i],
                "title": f"Topic {i}",
                "difficulty": draw(_DIFFICULTY),
                "minutes": draw(_MINUTES),
                "module": f"m{draw(_MODULE)}",
                "requires": requires,
                "recommends": [(r, draw(_WEIGHT)) for r in soft],
                "requires_any": [g for g in (_pick(x, earlier) for x in draw(_GROUPS)) if g],
                "next": _pick(draw(_PICKS), others),
                "related": _pick(draw(_PICKS), others),
            }
        )
    return specs


@st.composite
def progresses(draw: st.DrawFn, ids: Sequence[str]) -> Any:
    """Random learner progress over ``ids``: a mastery mapping or a list of completed ids.

    Includes unknown ids, bare ids and out-of-range values, which must be tolerated.
    """
    chosen = draw(st.lists(st.sampled_from(list(ids)), max_size=len(ids), unique=True))
    extra = draw(st.lists(st.sampled_from(["zz/unknown", "nope", "l0", "l1"]), max_size=2))
    if draw(st.booleans()):
        return [*chosen, *extra]
    values = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.6, 0.59, -1.0, 2.0]))
    return {lesson: draw(values) for lesson in [*chosen, *extra]}
