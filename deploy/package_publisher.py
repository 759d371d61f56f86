"""Build ``build/publisher.zip``: the code of the S3-triggered lesson publisher.

``python -m deploy.package_publisher [--out build]`` (run by ``make package``).

The publisher (``PublisherFunction``, handler ``publisher.handler.lambda_handler``) needs the
``publisher`` package, ``deploy/publish_graph.py`` (validate, plan and publish, shared with
``make publish-graph``) and ``knowledge_graph`` (its Python modules; not the explorer's
assets). Its third-party packages come from the bot's ``build/layer.zip`` (same runtime and
architecture), so this zip is small. It is a separate artefact: nothing of it goes into the
bot's ``function.zip`` (``deploy/package.py``), and the bot's code (``lex_bot``) stays out of
it. Files are the git-tracked ones when the source is a git checkout; the archive carries
the bytecode of the runtime's Python and is reproducible (``deploy/artefacts.py``, the same
writer as the bot's packages).

Example
-------
>>> names = [name for name, _ in publisher_files()]
>>> "publisher/handler.py" in names and not any(n.startswith("lex_bot/") for n in names)
True
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
from deploy.package import DEFAULT_PYTHON_VERSION  # the template's Globals Runtime, both functions

REPO_ROOT = Path(__file__).resolve().parent.parent
#: What the publisher imports: (folder or file, whether to keep only ``.py`` files).
PUBLISHER_SOURCES = (
    "publisher",
    "deploy/__init__.py",
    "deploy/publish_graph.py",
    "knowledge_graph",
)
ZIP_NAME = "publisher.zip"


def _tracked(root: Path) -> set[str] | None:
    """The git-tracked files under ``root`` (POSIX paths), or None outside a git checkout."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", *PUBLISHER_SOURCES],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {name for name in listed.decode().split("\0") if name}


def publisher_files(root: Path = REPO_ROOT) -> list[tuple[str, Path]]:
    """``(archive name, path)`` of every Python file the publisher needs, sorted."""
    tracked = _tracked(root)
    found: dict[str, Path] = {}
    for source in PUBLISHER_SOURCES:
        base = root / source
        paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in paths:
            name = path.relative_to(root).as_posix()
            if "__pycache__" in name or not name.endswith(".py"):
                continue
            if tracked is not None and name not in tracked and not _is_new_source(name):
                continue
            found[name] = path
    return sorted(found.items())


def _is_new_source(name: str) -> bool:
    """Files of the publisher itself count even before they are committed (local builds)."""
    return name.startswith("publisher/")


def build(out: Path, root: Path = REPO_ROOT, *, interpreter: str | None = None) -> Path:
    """Write ``out/publisher.zip`` (sources and their bytecode) and return its path.

    ``interpreter`` compiles the bytecode; by default the runtime's CPython found on this
    machine (:func:`deploy.artefacts.require_target_python`).

    Raises
    ------
    PackageError
        When no CPython of the runtime's version is found or a file does not compile.
    """
    interpreter = interpreter or require_target_python(DEFAULT_PYTHON_VERSION)
    entries = [ZipEntry(name, path) for name, path in publisher_files(root)]
    target = out / ZIP_NAME
    write_package_zip(entries, target, interpreter=interpreter, install_root=FUNCTION_ROOT)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.package_publisher")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build")
    args = parser.parse_args(argv)
    try:
        target = build(args.out)
    except PackageError as exc:
        print(f"package_publisher: FAILED\n{exc}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    with zipfile.ZipFile(target) as archive:
        count = len(archive.namelist())
    print(f"{target}: {count} files, {target.stat().st_size:,} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
