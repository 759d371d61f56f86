"""Loading the lesson graph from files, directories or S3, with hot reload.

* :func:`load_graph` validates and builds a :class:`~knowledge_graph.model.LessonGraph` once.
* :class:`GraphLoader` serves a graph and reloads it when the source changes, keeping
  the last good graph when a new version is broken or unreadable.
* :func:`loader_from_env` configures a loader from ``LESSON_GRAPH_PATH`` and
  ``LESSON_GRAPH_CHECK_SECONDS``.

The files are read by :mod:`knowledge_graph.sources` and checked by
:mod:`knowledge_graph.validation`, unless a current compiled graph
(:mod:`knowledge_graph.compiled`) lies next to them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge_graph.compiled import load_compiled
from knowledge_graph.errors import GraphError, GraphNotLoadedError, GraphValidationError
from knowledge_graph.model import LessonGraph
from knowledge_graph.sources import GraphSource, Signature, open_source
from knowledge_graph.validation import validate_documents
from knowledge_graph.validation.issues import ValidationReport

logger = logging.getLogger(__name__)

#: Where Lambda functions find the lesson files (an EFS mount) by default.
LAMBDA_DEFAULT_LOCATION = "/mnt/lessons"
#: The sample course bundled with the repository.
BUNDLED_LOCATION = str(Path(__file__).resolve().parent.parent / "data" / "lessons")
DEFAULT_CHECK_SECONDS = 30.0


def _build(report: ValidationReport) -> LessonGraph:
    """Turn a clean report into a LessonGraph; raise GraphValidationError otherwise."""
    if not report.ok or report.graph is None:
        raise GraphValidationError(report)
    return LessonGraph.from_networkx(report.graph)


def load_graph(path: str | os.PathLike[str]) -> LessonGraph:
    """Validate and load the lesson graph at ``path``.

    Parameters
    ----------
    path : str or path-like
        A course file, a directory of course files, or an ``s3://`` URL.

    Returns
    -------
    LessonGraph

    Raises
    ------
    GraphSourceError
        When the path does not exist or cannot be read.
    GraphValidationError
        When the files contain errors (``exc.report`` holds the details).

    Example
    -------
    >>> graph = load_graph("data/lessons")
    >>> graph.lesson("python-intro/for-loops").title
    'For Loops'
    """
    return _load(open_source(path))[0]


def _load(source: GraphSource) -> tuple[LessonGraph, ValidationReport | None]:
    """Read ``source`` and return its graph, from its compiled file when that is current.

    The report is None when the compiled file was used (it was validated when compiled).
    """
    documents = source.read()
    folder = source.compiled_folder()
    compiled = None if folder is None else load_compiled(folder, documents)
    if compiled is not None:
        return compiled, None
    report = validate_documents(documents)
    return _build(report), report


@dataclass(frozen=True)
class LoaderStatus:
    """A snapshot of a :class:`GraphLoader`'s state (for health checks and logs)."""

    location: str
    loaded: bool
    loaded_at: float | None
    checked_at: float | None
    signature: Signature | None
    last_error: str | None
    reloads: int
    warnings: int

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict (the signature is reduced to its file count)."""
        return {
            "location": self.location,
            "loaded": self.loaded,
            "loaded_at": self.loaded_at,
            "checked_at": self.checked_at,
            "files": None if self.signature is None else len(self.signature),
            "last_error": self.last_error,
            "reloads": self.reloads,
            "warnings": self.warnings,
        }


class GraphLoader:
    """Serve a lesson graph and reload it when its source changes.

    Parameters
    ----------
    location : str or path-like, optional
        File, directory or ``s3://`` URL; defaults to the bundled ``data/lessons``.
    check_interval : float, default 30
        Minimum number of seconds (by ``clock``) between two checks of the source.
    clock : callable, default time.monotonic
        Returns the current time in seconds; inject a fake one in tests.
    s3_client : optional
        A boto3 S3 client to use instead of creating one.

    Behaviour: the first :meth:`get` loads; afterwards the source's signature is compared
    at most once per ``check_interval``. A changed source is validated and built completely
    before the served graph is swapped. When the new version is broken or unreadable the last
    good graph keeps being served and one ERROR is logged per distinct failure.

    Example
    -------
    >>> loader = GraphLoader("data/lessons", check_interval=60)
    >>> loader.get().lesson("python-intro/variables").title
    'Variables and Assignment'
    >>> loader.status().loaded, loader.reload()  # unchanged files: the same graph is kept
    (True, False)
    """

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        check_interval: float = DEFAULT_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        *,
        s3_client: Any = None,
    ) -> None:
        self.location = os.fspath(location) if location else BUNDLED_LOCATION
        self.check_interval = float(check_interval)
        self._clock = clock
        self._source = open_source(self.location, s3_client=s3_client)
        self._lock = threading.Lock()
        self._graph: LessonGraph | None = None
        self._signature: Signature | None = None
        self._failed: tuple[Signature | None, str, bool] | None = None
        self._last_error: str | None = None
        self._checked_at: float | None = None
        self._loaded_at: float | None = None
        self._reloads = 0
        self._warnings = 0

    def get(self) -> LessonGraph:
        """Return the current graph, checking the source when the interval has passed.

        Raises
        ------
        GraphNotLoadedError
            When no graph has ever loaded; ``exc.reason`` says why.
        """
        if self._graph is None or self._due():
            with self._lock:  # also waits for a first load in progress in another thread
                if self._due():
                    self._refresh()
        graph = self._graph
        if graph is None:
            raise GraphNotLoadedError(self._last_error or "not loaded yet")
        return graph

    def reload(self) -> bool:
        """Check the source now, ignoring the interval; return True when a new graph loaded."""
        with self._lock:
            before = self._graph
            self._refresh()
            return self._graph is not before

    def status(self) -> LoaderStatus:
        """Return the loader's current state."""
        return LoaderStatus(
            location=self.location,
            loaded=self._graph is not None,
            loaded_at=self._loaded_at,
            checked_at=self._checked_at,
            signature=self._signature,
            last_error=self._last_error,
            reloads=self._reloads,
            warnings=self._warnings,
        )

    def _due(self) -> bool:
        """True when the source has never been checked or the interval has passed."""
        return self._checked_at is None or (self._clock() - self._checked_at >= self.check_interval)

    def _refresh(self) -> None:
        """Compare the signature and reload when it changed (call with the lock held)."""
        self._checked_at = self._clock()
        try:
            signature = self._source.signature()
        except GraphError as exc:
            self._fail(None, str(exc))
            return
        if self._graph is not None and signature == self._signature:
            self._failed, self._last_error = None, None
            return
        if self._failed is not None and self._failed[0] == signature and self._failed[2]:
            return  # the same invalid content as last time: already reported
        try:
            graph, report = _load(self._source)
        except GraphValidationError as exc:
            problems = exc.report.format()
            self._fail(signature, f"invalid lesson graph at {self.location}:\n{problems}", True)
            return
        except GraphError as exc:
            self._fail(signature, str(exc))
            return
        except Exception as exc:  # a bug while building must not take the bot down
            logger.exception("lesson graph build crashed", extra={"location": self.location})
            self._fail(signature, f"cannot build lesson graph: {type(exc).__name__}: {exc}")
            return
        self._graph, self._signature = graph, signature
        self._failed, self._last_error = None, None
        self._loaded_at = time.time()
        self._reloads += 1
        warnings = report.warnings if report is not None else []
        self._warnings = len(warnings)
        logger.info(
            "lesson graph loaded",
            extra={
                "location": self.location,
                "files": len(signature),
                "lessons": len(graph),
                "warnings": len(warnings),
                "compiled": report is None,
                "reloads": self._reloads,
            },
        )
        for warning in warnings:
            logger.debug("lesson graph warning: %s", warning.format())

    def _fail(self, signature: Signature | None, reason: str, invalid: bool = False) -> None:
        """Record a failed load; log it once per distinct (signature, reason).

        ``invalid`` marks content errors, which are not retried until the signature changes
        (I/O errors are retried at every check, but logged only once).
        """
        self._last_error = reason
        key = (signature, reason, invalid)
        if self._failed == key:
            return
        self._failed = key
        serving = "keeping the last good graph" if self._graph is not None else "no graph loaded"
        logger.error(
            "lesson graph reload failed (%s): %s",
            serving,
            reason,
            extra={
                "location": self.location,
                "error": reason,
                "serving_previous": self._graph is not None,
            },
        )


def loader_from_env(environ: Mapping[str, str] | None = None) -> GraphLoader:
    """Build a :class:`GraphLoader` from environment variables.

    ``LESSON_GRAPH_PATH``: file, directory, ``s3://bucket/key`` or ``s3://bucket/prefix/``;
    defaults to ``/mnt/lessons`` inside Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set), else the
    bundled ``data/lessons``. ``LESSON_GRAPH_CHECK_SECONDS``: check interval (default 30).

    Example
    -------
    >>> loader_from_env({"LESSON_GRAPH_PATH": "/srv/lessons"}).location
    '/srv/lessons'
    """
    env = os.environ if environ is None else environ
    location = env.get("LESSON_GRAPH_PATH", "").strip()
    if not location:
        in_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
        location = LAMBDA_DEFAULT_LOCATION if in_lambda else BUNDLED_LOCATION
    raw_interval = env.get("LESSON_GRAPH_CHECK_SECONDS", "").strip()
    try:
        interval = float(raw_interval) if raw_interval else DEFAULT_CHECK_SECONDS
    except ValueError:
        logger.warning(
            "LESSON_GRAPH_CHECK_SECONDS is not a number; using the default",
            extra={"value": raw_interval},
        )
        interval = DEFAULT_CHECK_SECONDS
    if interval < 0 or interval != interval:
        interval = DEFAULT_CHECK_SECONDS
    return GraphLoader(location, check_interval=interval)
