"""A compiled lesson graph: validated once at publish time, loaded at cold start without
re-validating and without importing networkx.

``python -m knowledge_graph compile PATH`` (also run by the publishing command) validates a
folder of course files and writes ``.lessonbot-compiled.json`` into it: the graph's nodes,
edges and course headers, plus a SHA-256 of every course file it was built from. The loader
uses that file only while those hashes still match the course files it reads; any edit
(or a damaged compiled file) falls back to full validation, so a stale or broken compiled
file can never serve content the course files do not say.

It is JSON, read with ``json.loads`` and checked field by field: nothing is unpickled or
evaluated. The networkx ``DiGraph`` of a graph loaded this way is built on first access of
``LessonGraph.graph`` (authoring tools); the bot's hot path only needs the numpy index.

Example
-------
>>> from knowledge_graph.compiled import COMPILED_NAME
>>> COMPILED_NAME
'.lessonbot-compiled.json'
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge_graph.errors import GraphValidationError
from knowledge_graph.index import GraphData
from knowledge_graph.model import LessonGraph
from knowledge_graph.sources import LocalSource, RawDocument
from knowledge_graph.validation import validate_documents

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

logger = logging.getLogger(__name__)

COMPILED_NAME = ".lessonbot-compiled.json"
FORMAT = "lessonbot-compiled-graph"
VERSION = 1
#: Compiled files larger than this are ignored (the course files are then validated).
MAX_COMPILED_BYTES = 256 * 1024 * 1024

_TUPLE_FIELDS = ("aliases", "tags")


class CompiledGraphError(ValueError):
    """A compiled graph file that cannot be used (stale, damaged or of another version)."""


def sources_digest(documents: Iterable[RawDocument]) -> dict[str, str]:
    """Map each course file's base name to the SHA-256 of its bytes.

    Example
    -------
    >>> sources_digest([RawDocument("/x/a.yaml", b"hi")])["a.yaml"][:8]
    '8f434346'
    """
    return {
        os.path.basename(doc.name): hashlib.sha256(doc.content).hexdigest() for doc in documents
    }


def _node_json(data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for name in _TUPLE_FIELDS:
        out[name] = list(out.get(name) or ())
    out["requires_any"] = [list(group) for group in out.get("requires_any") or ()]
    return out


def compile_graph(G: nx.DiGraph, documents: Sequence[RawDocument]) -> dict[str, Any]:
    """Return the JSON document of a validated graph ``G`` built from ``documents``."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "sources": sources_digest(documents),
        "graph": {"courses": G.graph.get("courses") or {}},
        "nodes": [[node, _node_json(data)] for node, data in G.nodes(data=True)],
        "edges": [[u, v, dict(data)] for u, v, data in G.edges(data=True)],
    }


def write_compiled(folder: str | os.PathLike[str]) -> Path:
    """Validate the course files in ``folder`` and write their compiled graph there.

    Parameters
    ----------
    folder : path
        A directory of course files (the one the bot's ``LESSON_GRAPH_PATH`` names).

    Returns
    -------
    Path
        The compiled file, replaced atomically (readers see the old or the new one).

    Raises
    ------
    GraphValidationError
        When the course files have errors (nothing is written).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CompiledGraphError(f"{folder}: compiled graphs are written into a directory")
    documents = LocalSource(str(folder)).read()
    report = validate_documents(documents)
    if not report.ok or report.graph is None:
        raise GraphValidationError(report)
    payload = json.dumps(compile_graph(report.graph, documents), separators=(",", ":"))
    target = folder / COMPILED_NAME
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".lessonbot-compiled.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(payload)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise CompiledGraphError(f"{what} is not a string")
    return value


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CompiledGraphError(f"{what} is not an object")
    return value


def parse_compiled(text: str | bytes, documents: Sequence[RawDocument]) -> GraphData:
    """Check a compiled file against ``documents`` and return its graph data.

    Raises
    ------
    CompiledGraphError
        When it is of another format or version, does not match the course files
        byte for byte, or is malformed.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CompiledGraphError(f"not JSON: {exc}") from exc
    data = _mapping(data, "the compiled file")
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise CompiledGraphError("another format or version")
    if data.get("sources") != sources_digest(documents):
        raise CompiledGraphError("stale: the course files changed since it was compiled")
    courses = _mapping(_mapping(data.get("graph"), "graph").get("courses"), "courses")
    raw_nodes, raw_edges = data.get("nodes"), data.get("edges")
    if not isinstance(raw_nodes, list) or not isinstance(raw_edges, list):
        raise CompiledGraphError("nodes and edges must be lists")
    nodes: list[tuple[str, dict[str, Any]]] = []
    for item in raw_nodes:
        if not isinstance(item, list) or len(item) != 2:
            raise CompiledGraphError("a node is not [id, data]")
        attributes = _mapping(item[1], "node data")  # converted in place: no copy
        for name in _TUPLE_FIELDS:
            values = attributes.get(name) or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise CompiledGraphError(f"node {name} must be a list of strings")
            attributes[name] = tuple(values)
        groups = attributes.get("requires_any") or []
        if not isinstance(groups, list) or not all(
            isinstance(g, list) and all(isinstance(m, str) for m in g) for g in groups
        ):
            raise CompiledGraphError("node requires_any must be lists of ids")
        attributes["requires_any"] = tuple(tuple(g) for g in groups)
        nodes.append((_str(item[0], "a node id"), attributes))
    edges: list[tuple[str, str, dict[str, Any]]] = []
    for item in raw_edges:
        if not isinstance(item, list) or len(item) != 3:
            raise CompiledGraphError("an edge is not [from, to, data]")
        attributes = _mapping(item[2], "edge data")
        kinds = _mapping(attributes.get("kinds"), "edge kinds")
        if not all(isinstance(w, int | float) and not isinstance(w, bool) for w in kinds.values()):
            raise CompiledGraphError("edge weights must be numbers")
        edges.append((_str(item[0], "an edge end"), _str(item[1], "an edge end"), attributes))
    return GraphData({"courses": courses}, nodes, edges)


def load_compiled(
    folder: str | os.PathLike[str], documents: Sequence[RawDocument]
) -> LessonGraph | None:
    """Return the compiled ``LessonGraph`` of ``folder`` if it matches ``documents``, else None.

    A missing compiled file is normal (None, silently); a stale or damaged one is logged
    and ignored, so the caller validates the course files instead.
    """
    path = Path(folder) / COMPILED_NAME
    try:
        if path.stat().st_size > MAX_COMPILED_BYTES:
            raise CompiledGraphError("too large")
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except (OSError, CompiledGraphError) as exc:
        logger.warning("compiled graph ignored", extra={"path": str(path), "reason": str(exc)})
        return None
    try:
        data = parse_compiled(text, documents)
        del text  # the parsed data is all that is needed now
        graph = LessonGraph.from_data(data)
        del data  # the index keeps node data; the edge lists go
    except Exception as exc:  # a damaged file must never stop the loader
        logger.warning("compiled graph ignored", extra={"path": str(path), "reason": str(exc)})
        return None
    return graph
