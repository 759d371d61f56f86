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

from deploy.artefacts import SourceZip
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
TRANSITIONS_ZIP = SourceZip(
    ZIP_NAME,
    TRANSITIONS_SOURCES,
    own_prefix="transitions_aggregator/",
    root=REPO_ROOT,
    prog="deploy.package_transitions",
    python_version=DEFAULT_PYTHON_VERSION,
)
#: ``(archive name, path)`` of every Python file the aggregator needs, sorted.
transitions_files = TRANSITIONS_ZIP.files
#: Write ``out/transitions.zip`` and return its path (:meth:`SourceZip.build`).
build = TRANSITIONS_ZIP.build
main = TRANSITIONS_ZIP.main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
