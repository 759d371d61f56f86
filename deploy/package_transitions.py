"""Build ``build/transitions.zip``: the code of the learned-next-steps aggregator.

``python -m deploy.package_transitions [--out build]`` (run by ``make package``).

Both ``TransitionsAggregatorFunction`` (``transitions_aggregator.handler.stream_handler``)
and ``TransitionsSnapshotFunction`` (``...snapshot_handler``) run this zip. It holds the
``transitions_aggregator`` package, ``knowledge_graph`` (``TransitionModel``; its Python
modules, not the explorer's assets) and, of the bot, only the progress store
(``lex_bot/lesson_app/progress_store``: the DynamoDB layout the aggregator reads) with the
two package ``__init__`` files above it. Third-party packages come from the bot's
``build/layer.zip``. Files are chosen as for the publisher's zip
(:class:`deploy.artefacts.SourceZip`: git-tracked files) and the archive is written by the same
helper as every zip of the stack (``deploy/artefacts.py``: the runtime's bytecode, sorted
entries, fixed timestamps and modes), so it is reproducible.

Example
-------
>>> names = [name for name, _ in transitions_files()]
>>> "transitions_aggregator/handler.py" in names and "knowledge_graph/transitions.py" in names
True
>>> any(n.startswith(("lex_bot/lexv2/", "lex_bot/devtools/", "publisher/")) for n in names)
False
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from deploy.artefacts import SourceZip, require_target_python, source_zip_main
from deploy.package import DEFAULT_PYTHON_VERSION  # the template's Globals Runtime
from deploy.package_publisher import REPO_ROOT

#: What the aggregator imports (folders: their ``.py`` files, recursively).
TRANSITIONS_SOURCES = (
    "transitions_aggregator",
    "knowledge_graph",
    "lex_bot/__init__.py",
    "lex_bot/lesson_app/__init__.py",
    "lex_bot/lesson_app/progress_store",
)
ZIP_NAME = "transitions.zip"
TRANSITIONS_ZIP = SourceZip(ZIP_NAME, TRANSITIONS_SOURCES, own_prefix="transitions_aggregator/")


def transitions_files(root: Path = REPO_ROOT) -> list[tuple[str, Path]]:
    """``(archive name, path)`` of every Python file the aggregator needs, sorted."""
    return TRANSITIONS_ZIP.files(root)


def build(out: Path, root: Path = REPO_ROOT, *, interpreter: str | None = None) -> Path:
    """Write ``out/transitions.zip`` (sources and their bytecode) and return its path.

    ``interpreter`` compiles the bytecode; by default the runtime's CPython found on this
    machine (:func:`deploy.artefacts.require_target_python`).

    Raises
    ------
    PackageError
        When no CPython of the runtime's version is found or a file does not compile.
    """
    interpreter = interpreter or require_target_python(DEFAULT_PYTHON_VERSION)
    return TRANSITIONS_ZIP.build(out, root, interpreter=interpreter)


def main(argv: Sequence[str] | None = None) -> int:
    return source_zip_main("deploy.package_transitions", build, REPO_ROOT / "build", argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
