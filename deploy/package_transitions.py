"""Build ``build/transitions.zip``: the code of the learned-next-steps aggregator.

``python -m deploy.package_transitions [--out build]`` (run by ``make package``).

Both ``TransitionsAggregatorFunction`` (``transitions_aggregator.handler.stream_handler``)
and ``TransitionsSnapshotFunction`` (``...snapshot_handler``) run this zip. It holds the
``transitions_aggregator`` package, ``knowledge_graph`` (``TransitionModel``; its Python
modules, not the explorer's assets) and, of the bot, only the progress store
(``lex_bot/lesson_app/progress_store``: the DynamoDB layout the aggregator reads) with the
two package ``__init__`` files above it. Third-party packages come from the bot's
``build/layer.zip``. Files are chosen as for the publisher's zip
(:mod:`deploy.package_publisher`: git-tracked files) and the archive is written by the same
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

import argparse
import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from deploy.artefacts import (
    FUNCTION_ROOT,
    PackageError,
    ZipEntry,
    require_target_python,
    write_package_zip,
)
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


def _tracked(root: Path) -> set[str] | None:
    """The git-tracked files of the sources (POSIX paths), or None outside a git checkout."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", *TRANSITIONS_SOURCES],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {name for name in listed.decode().split("\0") if name}


def transitions_files(root: Path = REPO_ROOT) -> list[tuple[str, Path]]:
    """``(archive name, path)`` of every Python file the aggregator needs, sorted."""
    tracked = _tracked(root)
    found: dict[str, Path] = {}
    for source in TRANSITIONS_SOURCES:
        base = root / source
        paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in paths:
            name = path.relative_to(root).as_posix()
            if "__pycache__" in name or not name.endswith(".py"):
                continue
            if (
                tracked is not None
                and name not in tracked
                and not name.startswith(
                    "transitions_aggregator/"  # its own files count before they are committed
                )
            ):
                continue
            found[name] = path
    return sorted(found.items())


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
    entries = [ZipEntry(name, path) for name, path in transitions_files(root)]
    target = out / ZIP_NAME
    write_package_zip(entries, target, interpreter=interpreter, install_root=FUNCTION_ROOT)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.package_transitions")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build")
    args = parser.parse_args(argv)
    try:
        target = build(args.out)
    except PackageError as exc:
        print(f"package_transitions: FAILED\n{exc}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    with zipfile.ZipFile(target) as archive:
        count = len(archive.namelist())
    print(f"{target}: {count} files, {target.stat().st_size:,} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
