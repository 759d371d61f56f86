"""Reproducible Lambda zips with bytecode for the target Python: one helper for every package.

Every zip the stack deploys (``function.zip`` and ``layer.zip`` from ``deploy/package.py``,
``publisher.zip`` and ``transitions.zip``, each described by a :class:`SourceZip`) is written
by :func:`write_package_zip`:

* **Bytecode for the Lambda runtime.** Each ``.py`` gets its ``__pycache__/<name>.<tag>.pyc``
  compiled by a CPython of the runtime's version (3.12: ``cpython-312``, the same bytecode
  magic for every 3.12.x). Lambda's code folders (``/var/task``, ``/opt``) are read-only, so a
  zip without bytecode makes every cold start compile every module it imports in memory
  again (measured in docs/DEPLOY.md, "Package sizes and cold starts"). There is no silent
  fallback: without such an interpreter the build stops (:func:`require_target_python`).
* **Unchecked-hash pycs** (PEP 552, ``PycInvalidationMode.UNCHECKED_HASH``). A timestamp pyc
  records the source's mtime, so the same source gives different bytes on every checkout;
  hash-based pycs record a hash of the source instead. A *checked* hash pyc makes the
  importer read and hash the source at every import, a cost paid at every cold start; an
  *unchecked* one is trusted as is. That is safe here because the source beside it can never
  change: the archive is unpacked once into Lambda's read-only file system.
* **Same input, same bytes.** Entries sorted by name, every timestamp 1980-01-01 (the zip
  format's epoch), every file ``0644`` on a Unix "made by" system, no comment or extra
  fields, fixed compression level; the compiler runs with ``PYTHONHASHSEED=0`` (the order of
  set constants in bytecode follows string hashes, which are otherwise random per process)
  and compiles the files in name order in one process. The name recorded in each code object
  is the file's path on Lambda (``/var/task/...`` or ``/opt/python/...``), never the build
  folder. Same inputs give byte-identical zips, so ``sam deploy`` uploads only what changed.

Example
-------
>>> cache_file_name("lex_bot/lexv2/router.py", "cpython-312")
'lex_bot/lexv2/__pycache__/router.cpython-312.pyc'
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path, PurePosixPath

#: The fixed timestamp and permissions of every archive entry.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
COMPRESS_LEVEL = 6
#: Where Lambda unpacks a function's code and its layers (the names in tracebacks).
#: https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html (layer paths)
FUNCTION_ROOT = "/var/task"
LAYER_ROOT = "/opt"
#: The environment variable naming the interpreter that compiles for the target runtime.
TARGET_PYTHON_VARIABLE = "TARGET_PYTHON"

#: Run by the target interpreter: compile ``[[source, cfile, dfile], ...]`` read as JSON on
#: stdin, in that order; print ``{"cache_tag": ..., "failed": [[source, error], ...]}``.
_COMPILER = """
import json, py_compile, sys
jobs = json.load(sys.stdin)
failed = []
for source, cfile, dfile in jobs:
    try:
        py_compile.compile(source, cfile=cfile, dfile=dfile, doraise=True, optimize=0,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError as exc:
        failed.append([dfile, exc.msg.strip().splitlines()[-1]])
json.dump({"cache_tag": sys.implementation.cache_tag, "failed": failed}, sys.stdout)
"""


class PackageError(RuntimeError):
    """The package cannot be built or violates a Lambda limit."""


@dataclass(frozen=True)
class ZipEntry:
    """One file to archive: its name inside the zip and where it is on disk."""

    arcname: str
    path: Path


@dataclass(frozen=True)
class ArtifactStats:
    """Size facts of one written zip (``files`` counts every entry, bytecode included)."""

    path: Path
    files: int
    zipped_bytes: int
    unzipped_bytes: int

    def describe(self) -> str:
        """One line, e.g. ``build/layer.zip: 3443 files, 34.6 MB zipped, 84.6 MB unzipped``."""
        mb = 1024 * 1024
        return (
            f"{self.path}: {self.files} files, {self.zipped_bytes / mb:.1f} MB zipped, "
            f"{self.unzipped_bytes / mb:.1f} MB unzipped"
        )


def cache_tag(python_version: str) -> str:
    """The CPython bytecode cache tag of ``python_version`` (``"3.12"`` → ``cpython-312``).

    Example
    -------
    >>> cache_tag("3.12")
    'cpython-312'
    """
    return "cpython-" + python_version.replace(".", "")


def cache_file_name(source: str, tag: str) -> str:
    """The archive name of the PEP 3147 bytecode file of ``source`` (not optimized, ``-O``
    is not used on Lambda)."""
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc")


def _identify(candidate: str) -> tuple[str, str] | None:
    """``(cache tag, real executable)`` of the interpreter ``candidate`` (e.g.
    ``("cpython-312", "/usr/bin/python3.12")``; a pyenv shim resolves to its binary), or
    None if it does not run."""
    try:
        probe = subprocess.run(
            [
                candidate,
                "-I",
                "-c",
                "import sys; print(sys.implementation.cache_tag, sys.executable)",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    tag, _, executable = probe.stdout.strip().partition(" ")
    return (tag, executable) if probe.returncode == 0 and executable else None


def find_interpreter(python_version: str) -> str | None:
    """Return a CPython ``python_version`` executable on this machine, or None.

    Looked for in order: ``$TARGET_PYTHON``, ``pythonX.Y`` on ``PATH``, then pyenv's
    ``$PYENV_ROOT/versions/X.Y*/bin/python3`` (``~/.pyenv`` by default). A candidate counts
    only if it runs and is CPython of that version (its cache tag is checked).
    """
    candidates = [os.environ.get(TARGET_PYTHON_VARIABLE), shutil.which(f"python{python_version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(p) for p in pyenv_root.glob(f"versions/{python_version}*/bin/python3"))
    for candidate in filter(None, candidates):
        found = _identify(candidate)
        if found is not None and found[0] == cache_tag(python_version):
            return found[1]
    return None


def require_target_python(python_version: str) -> str:
    """Return the interpreter that compiles bytecode for the Lambda runtime.

    Raises
    ------
    PackageError
        When ``$TARGET_PYTHON`` is set to something other than CPython ``python_version``,
        or when none is found: a package without bytecode would be slower at every cold
        start, so it is not built.
    """
    explicit = os.environ.get(TARGET_PYTHON_VARIABLE)
    if explicit:
        found = _identify(explicit)
        if found is None or found[0] != cache_tag(python_version):
            what = found[0] if found else "not a working interpreter"
            raise PackageError(
                f"{TARGET_PYTHON_VARIABLE}={explicit} is {what}; the Lambda runtime needs "
                f"CPython {python_version} ({cache_tag(python_version)})"
            )
        return found[1]
    interpreter = find_interpreter(python_version)
    if interpreter is None:
        raise PackageError(
            f"no CPython {python_version} found to compile the packages' bytecode for the "
            f"Lambda runtime (python{python_version}). Install one (e.g. `pyenv install "
            f"{python_version}`, `apt-get install python{python_version}` or `uv python "
            f"install {python_version}`) and put it on PATH, or set "
            f"{TARGET_PYTHON_VARIABLE}=/path/to/python{python_version}"
        )
    return interpreter


def compile_bytecode(
    entries: Sequence[ZipEntry], out_dir: Path, *, interpreter: str, install_root: str
) -> list[ZipEntry]:
    """Compile every ``.py`` entry with ``interpreter``; return the ``.pyc`` entries.

    Parameters
    ----------
    entries : sequence of ZipEntry
        The archive's files; only ``*.py`` ones are compiled.
    out_dir : Path
        Where the ``.pyc`` files are written (a scratch folder, laid out like the archive).
    interpreter : str
        A CPython of the target runtime's version (see :func:`require_target_python`).
    install_root : str
        Where Lambda unpacks the archive (:data:`FUNCTION_ROOT` or :data:`LAYER_ROOT`): the
        file name recorded in the code objects is ``install_root/arcname``.

    Raises
    ------
    PackageError
        When a file does not compile (a syntax error for the target Python), listing them.
    """
    sources = sorted((e for e in entries if e.arcname.endswith(".py")), key=lambda e: e.arcname)
    found = _identify(interpreter)
    if found is None:
        raise PackageError(f"{interpreter}: does not run")
    tag = found[0]
    jobs = [
        [str(e.path), str(out_dir / cache_file_name(e.arcname, tag)), f"{install_root}/{e.arcname}"]
        for e in sources
    ]
    result = subprocess.run(
        # -s -S, not -I: -I would also ignore PYTHONHASHSEED; the environment is minimal.
        [found[1], "-s", "-S", "-c", _COMPILER],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"},
    )
    if result.returncode != 0:
        raise PackageError(f"compiling bytecode with {interpreter} failed:\n{result.stderr}")
    report = json.loads(result.stdout)
    if report["failed"]:
        listed = "\n".join(f"  {name}: {error}" for name, error in report["failed"])
        raise PackageError(f"these files do not compile for {report['cache_tag']}:\n{listed}")
    return [
        ZipEntry(cache_file_name(e.arcname, tag), out_dir / cache_file_name(e.arcname, tag))
        for e in sources
    ]


def write_deterministic_zip(entries: Sequence[ZipEntry], out: Path) -> ArtifactStats:
    """Write ``entries`` to ``out`` so that the same files always give the same bytes.

    Entries are sorted, every timestamp is 1980-01-01, every file is ``0644``, and the
    archive carries no comment or extra fields. ``out`` is replaced atomically.

    Raises
    ------
    PackageError
        When two entries have the same name.

    Example
    -------
    >>> stats = write_deterministic_zip([], Path(tempfile.mkdtemp()) / "empty.zip")
    >>> stats.files
    0
    """
    ordered = sorted(entries, key=lambda e: e.arcname)
    names = [e.arcname for e in ordered]
    duplicates = sorted({a for a, b in pairwise(names) if a == b})
    if duplicates:
        raise PackageError(f"{out}: entries named twice: {', '.join(duplicates)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    unzipped = 0
    with zipfile.ZipFile(partial, "w") as archive:
        for entry in ordered:
            info = zipfile.ZipInfo(entry.arcname, date_time=FIXED_DATE_TIME)
            info.create_system = 3  # Unix, so the permission bits are honoured
            info.external_attr = (0o100000 | FILE_MODE) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = entry.path.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compresslevel=COMPRESS_LEVEL)
    os.replace(partial, out)
    return ArtifactStats(out, len(ordered), out.stat().st_size, unzipped)


def write_package_zip(
    entries: Sequence[ZipEntry], out: Path, *, interpreter: str, install_root: str
) -> ArtifactStats:
    """Write a Lambda zip: ``entries`` plus the target runtime's bytecode of each ``.py``.

    ``interpreter`` is the target CPython (:func:`require_target_python`); ``install_root``
    is where Lambda unpacks this zip (:data:`FUNCTION_ROOT` for a function,
    :data:`LAYER_ROOT` for a layer, whose entries start with ``python/``).

    Raises
    ------
    PackageError
        When a file does not compile or an entry is named twice.
    """
    with tempfile.TemporaryDirectory(prefix="lessonbot-pyc-") as scratch:
        bytecode = compile_bytecode(
            entries, Path(scratch), interpreter=interpreter, install_root=install_root
        )
        return write_deterministic_zip([*entries, *bytecode], out)


@dataclass(frozen=True)
class SourceZip:
    """A function zip of our own Python sources only (its third-party packages come from the
    bot's ``layer.zip``): the publisher's and the learned-next-steps aggregator's.

    ``sources`` are files or folders (their ``.py`` files, recursively) relative to ``root``
    (the repository). Only git-tracked files are taken in a git checkout (an untracked
    scratch file never ships), except under ``own_prefix``: the function's own package,
    whose new files count before they are committed (local builds). ``prog`` is the module
    that builds it (``python -m <prog> [--out FOLDER]``), ``python_version`` the runtime's.
    """

    zip_name: str
    sources: tuple[str, ...]
    own_prefix: str
    root: Path
    prog: str
    python_version: str

    def _tracked(self, root: Path) -> set[str] | None:
        """The git-tracked files of the sources (POSIX paths), or None outside a checkout."""
        try:
            listed = subprocess.run(
                ["git", "ls-files", "-z", "--", *self.sources],
                cwd=root,
                capture_output=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        return {name for name in listed.decode().split("\0") if name}

    def files(self, root: Path | None = None) -> list[tuple[str, Path]]:
        """``(archive name, path)`` of every Python file of the sources, sorted."""
        root = root or self.root
        tracked = self._tracked(root)
        found: dict[str, Path] = {}
        for source in self.sources:
            base = root / source
            paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
            for path in paths:
                name = path.relative_to(root).as_posix()
                if "__pycache__" in name or not name.endswith(".py"):
                    continue
                untracked = tracked is not None and name not in tracked
                if untracked and not name.startswith(self.own_prefix):
                    continue
                found[name] = path
        return sorted(found.items())

    def build(self, out: Path, root: Path | None = None, *, interpreter: str | None = None) -> Path:
        """Write ``out/<zip_name>`` (sources and their bytecode) and return its path.

        ``interpreter`` compiles the bytecode; by default the runtime's CPython found on this
        machine (:func:`require_target_python`).

        Raises
        ------
        PackageError
            When no CPython of the runtime's version is found or a file does not compile.
        """
        interpreter = interpreter or require_target_python(self.python_version)
        entries = [ZipEntry(name, path) for name, path in self.files(root)]
        target = out / self.zip_name
        write_package_zip(entries, target, interpreter=interpreter, install_root=FUNCTION_ROOT)
        return target

    def main(self, argv: Sequence[str] | None = None) -> int:
        """The command line: ``python -m <prog> [--out FOLDER]`` (default ``build/``); prints
        the zip's file count, size and SHA-256; exit 1 (with the reason) when it fails."""
        parser = argparse.ArgumentParser(prog=f"python -m {self.prog}")
        parser.add_argument("--out", type=Path, default=self.root / "build")
        args = parser.parse_args(argv)
        try:
            target = self.build(args.out)
        except PackageError as exc:
            print(f"{self.prog.rsplit('.', 1)[-1]}: FAILED\n{exc}", file=sys.stderr)
            return 1
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        with zipfile.ZipFile(target) as archive:
            count = len(archive.namelist())
        print(f"{target}: {count} files, {target.stat().st_size:,} bytes, sha256 {digest}")
        return 0
