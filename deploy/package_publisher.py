"""Build ``build/publisher.zip``: the code of the S3-triggered lesson publisher.

``python -m deploy.package_publisher [--out build]`` (run by ``make package``).

The publisher (``PublisherFunction``, handler ``publisher.handler.lambda_handler``) needs the
``publisher`` package, ``deploy/publish_graph.py`` (validate, plan and publish, shared with
``make publish-graph``) and ``knowledge_graph`` (its Python modules; not the explorer's
assets). Its third-party packages come from the bot's ``build/layer.zip`` (same runtime and
architecture), so this zip is small. It is a separate artefact: nothing of it goes into the
bot's ``function.zip`` (``deploy/package.py``), and the bot's code (``lex_bot``) stays out of
it. Files are the git-tracked ones when the source is a git checkout; the archive carries
the bytecode of the runtime's Python and is reproducible (``deploy/artefacts.py``:
:class:`~deploy.artefacts.SourceZip`, the same writer as the bot's packages).

Example
-------
>>> names = [name for name, _ in publisher_files()]
>>> "publisher/handler.py" in names and not any(n.startswith("lex_bot/") for n in names)
True
"""

from __future__ import annotations

from pathlib import Path

from deploy.artefacts import SourceZip
from deploy.package import DEFAULT_PYTHON_VERSION  # the template's Globals Runtime, both functions

REPO_ROOT = Path(__file__).resolve().parent.parent
#: What the publisher imports (folders: their ``.py`` files, recursively).
PUBLISHER_SOURCES = (
    "publisher",
    "deploy/__init__.py",
    "deploy/publish_graph.py",
    "knowledge_graph",
)
ZIP_NAME = "publisher.zip"
PUBLISHER_ZIP = SourceZip(
    ZIP_NAME,
    PUBLISHER_SOURCES,
    own_prefix="publisher/",
    root=REPO_ROOT,
    prog="deploy.package_publisher",
    python_version=DEFAULT_PYTHON_VERSION,
)
#: ``(archive name, path)`` of every Python file the publisher needs, sorted.
publisher_files = PUBLISHER_ZIP.files
#: Write ``out/publisher.zip`` and return its path (:meth:`SourceZip.build`).
build = PUBLISHER_ZIP.build
main = PUBLISHER_ZIP.main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
