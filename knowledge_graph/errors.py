"""Typed exceptions raised by the ``knowledge_graph`` package.

Every exception derives from :class:`GraphError`, so callers can catch the
whole family with one ``except GraphError``.

This is the bottom layer of the package: it imports nothing from it, so every other
module can import it.

Example
-------
>>> try:
...     raise UnknownLessonError("loosp", ["py/loops"])
... except GraphError as exc:
...     print(exc)
unknown lesson 'loosp' (did you mean 'py/loops'?)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Report(Protocol):
    """What :class:`GraphValidationError` needs of a report.

    :class:`knowledge_graph.validation.ValidationReport` is the one implementation; this
    protocol keeps this module free of imports from the package.
    """

    @property
    def errors(self) -> Sequence[object]:
        """The issues of severity ``error``."""
        ...

    def format(self) -> str:
        """One human-readable line per issue."""
        ...

    def summary(self) -> str:
        """E.g. ``"2 errors, 1 warning in 3 files"``."""
        ...


class GraphError(Exception):
    """Base class of every lesson-graph error."""


class GraphSourceError(GraphError):
    """The graph source (file, directory or S3 location) cannot be read.

    Raised when the path does not exist, is unreadable, or an S3 request fails.
    """


class GraphValidationError(GraphError):
    """The course files were read but contain errors.

    Parameters
    ----------
    report : ValidationReport
        The full validation report; ``str(exc)`` includes ``report.format()``.
    """

    def __init__(self, report: Report) -> None:
        self.report = report
        n = len(report.errors)
        super().__init__(f"lesson graph has {n} error(s):\n{report.format()}")


class GraphNotLoadedError(GraphError):
    """No lesson graph has ever been loaded successfully.

    Parameters
    ----------
    reason : str
        Why the (first) load failed, e.g. the validation report or the I/O error.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"lesson graph not loaded: {reason}")


class TransitionsSnapshotError(GraphError):
    """A learned-transitions snapshot cannot be read, is too large, or is malformed.

    Raised by :func:`knowledge_graph.transitions.load_transitions` and
    :meth:`knowledge_graph.transitions.TransitionModel.from_json`; the message names the
    file (when known) and the first problem found, e.g. ``successors['py/a'][0]: learners
    3 is below min_learners 5``.
    """


class UnknownLessonError(GraphError, KeyError):
    """A lesson id, alias or title does not name any lesson in the graph.

    Parameters
    ----------
    lesson : str
        The id or text that was looked up.
    suggestions : sequence of str, optional
        Close matches (qualified ids) that the caller may offer instead.
    """

    def __init__(self, lesson: str, suggestions: tuple[str, ...] | list[str] = ()) -> None:
        self.lesson = lesson
        self.suggestions = tuple(suggestions)
        GraphError.__init__(self, lesson)

    def __str__(self) -> str:
        text = f"unknown lesson {self.lesson!r}"
        if self.suggestions:
            text += f" (did you mean {', '.join(repr(s) for s in self.suggestions)}?)"
        return text
