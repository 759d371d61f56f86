"""The lesson knowledge graph: authoring format, validation, loading and queries.

``import knowledge_graph`` is cheap: the validation, loading and query modules (and with
them pydantic, networkx and numpy) are imported on first use of a name.

Example
-------
>>> import knowledge_graph as kg
>>> kg.validate_path("data/lessons").summary()
'0 errors, 0 warnings in 2 files'
>>> graph = kg.load_graph("data/lessons")
>>> [r.lesson_id for r in graph.recommend(["python-intro/installing-python"], k=2)]
['python-intro/the-repl', 'python-intro/hello-world']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from knowledge_graph.errors import (
    GraphError,
    GraphNotLoadedError,
    GraphSourceError,
    GraphValidationError,
    TransitionsSnapshotError,
    UnknownLessonError,
)

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.index import MASTERY_THRESHOLD
    from knowledge_graph.lesson_state import LessonState, LessonStatus
    from knowledge_graph.loader import GraphLoader, load_graph, loader_from_env
    from knowledge_graph.model import (
        LearningPath,
        Lesson,
        LessonGraph,
        Module,
        Prerequisites,
    )
    from knowledge_graph.recommender import Reason, ReasonKind, Recommendation
    from knowledge_graph.search import FindResult, LessonMatch
    from knowledge_graph.transitions import TransitionModel, learn_transitions, load_transitions
    from knowledge_graph.validation import validate_path
    from knowledge_graph.validation.issues import Severity, ValidationIssue, ValidationReport

__all__ = [
    "MASTERY_THRESHOLD",
    "FindResult",
    "GraphError",
    "GraphLoader",
    "GraphNotLoadedError",
    "GraphSourceError",
    "GraphValidationError",
    "LearningPath",
    "Lesson",
    "LessonGraph",
    "LessonMatch",
    "LessonState",
    "LessonStatus",
    "Module",
    "Prerequisites",
    "Reason",
    "ReasonKind",
    "Recommendation",
    "Severity",
    "TransitionModel",
    "TransitionsSnapshotError",
    "UnknownLessonError",
    "ValidationIssue",
    "ValidationReport",
    "learn_transitions",
    "load_graph",
    "load_transitions",
    "loader_from_env",
    "validate_path",
]

#: Where each lazily exported name is defined.
_LAZY_HOMES: dict[str, str] = {
    "load_graph": "knowledge_graph.loader",
    "GraphLoader": "knowledge_graph.loader",
    "loader_from_env": "knowledge_graph.loader",
    "validate_path": "knowledge_graph.validation",
    "ValidationReport": "knowledge_graph.validation.issues",
    "ValidationIssue": "knowledge_graph.validation.issues",
    "Severity": "knowledge_graph.validation.issues",
    "LessonGraph": "knowledge_graph.model",
    "Lesson": "knowledge_graph.model",
    "Module": "knowledge_graph.model",
    "Prerequisites": "knowledge_graph.model",
    "LearningPath": "knowledge_graph.model",
    "Recommendation": "knowledge_graph.recommender",
    "Reason": "knowledge_graph.recommender",
    "ReasonKind": "knowledge_graph.recommender",
    "FindResult": "knowledge_graph.search",
    "LessonMatch": "knowledge_graph.search",
    "LessonState": "knowledge_graph.lesson_state",
    "LessonStatus": "knowledge_graph.lesson_state",
    "MASTERY_THRESHOLD": "knowledge_graph.index",
    "TransitionModel": "knowledge_graph.transitions",
    "learn_transitions": "knowledge_graph.transitions",
    "load_transitions": "knowledge_graph.transitions",
}


def __getattr__(name: str) -> Any:
    """Import exported names on first access (PEP 562)."""
    if name not in _LAZY_HOMES:
        raise AttributeError(f"module 'knowledge_graph' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
