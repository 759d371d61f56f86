"""A tiny course for the docstring examples and for trying the API in a Python shell.

:data:`EXAMPLE_COURSE` is one course file (five lessons, every kind of link);
:func:`example_graph` validates it and returns its :class:`~knowledge_graph.model.LessonGraph`:

* ``variables`` comes first; ``loops`` and ``strings`` require it (``loops`` is also its
  ``next``), and ``strings`` is related to ``loops``;
* ``functions`` requires one of ``loops`` or ``strings`` and recommends ``strings``;
* ``recursion`` requires ``functions``;
* ``loops`` has a Spanish (``es_US``) title, module and alias; the others are English only.

Example
-------
>>> graph = example_graph()
>>> graph
LessonGraph(5 lessons, 1 courses)
>>> [lesson.key for lesson in graph.lessons()]
['variables', 'loops', 'strings', 'functions', 'recursion']
"""

from __future__ import annotations

from typing import Final

from knowledge_graph.errors import GraphValidationError
from knowledge_graph.model import LessonGraph
from knowledge_graph.sources import RawDocument
from knowledge_graph.validation import validate_documents

#: The example course file (YAML), as an author would write it.
EXAMPLE_COURSE: Final[str] = """\
course:
  id: demo
  title: Demo Course
lessons:
  - id: variables
    title: Variables
    module: Basics
    difficulty: 1
    minutes: 10
    next: [loops]
  - id: loops
    title: For Loops
    aliases: [loop, iteration]
    module: Basics
    difficulty: 1
    minutes: 15
    requires: [variables]
    translations:
      es_US: {title: Bucles for, module: Conceptos básicos, aliases: [bucles]}
  - id: strings
    title: Strings
    module: Basics
    minutes: 15
    requires: [variables]
    related: [{id: loops, weight: 0.4}]
  - id: functions
    title: Functions
    module: Functions
    minutes: 20
    requires_any: [[loops, strings]]
    recommends: [strings]
  - id: recursion
    title: Recursion
    module: Functions
    difficulty: 3
    minutes: 25
    requires: [functions]
"""


def example_graph() -> LessonGraph:
    """Validate :data:`EXAMPLE_COURSE` and return its graph (a new one at every call).

    Example
    -------
    >>> example_graph().prerequisites("demo/functions").requires_any
    (('demo/loops', 'demo/strings'),)
    """
    report = validate_documents([RawDocument.from_text("demo.yaml", EXAMPLE_COURSE)])
    if not report.ok or report.graph is None:  # pragma: no cover - the course is valid
        raise GraphValidationError(report)
    return LessonGraph.from_networkx(report.graph)
