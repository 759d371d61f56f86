"""The compiled index on disk: validated once at publish time, memory-mapped at cold start.

``python -m knowledge_graph compile PATH`` (also run by ``make publish-graph``) validates a
folder of course files and writes their :class:`~knowledge_graph.tables.LessonTables` into
``PATH/.lessonbot-index/<version>/``: ``arrays.npy`` (every array, packed end to end at
64-byte aligned offsets in one uint8 ``.npy``, so one memory map serves them all as
zero-copy views) and ``meta.json`` (each array's dtype, shape and offset), then
points ``PATH/.lessonbot-index/CURRENT`` at that version (replaced atomically; a version
folder is never changed once written, and old ones are removed only well after they were
superseded, since a running function may still have them mapped). ``make publish-graph``
then writes the publish manifest ``PATH/.lessonbot-manifest.json`` last. The version
folders, digests and atomic replacement are :mod:`knowledge_graph.mapped_arrays`' (shared
with the binary transitions snapshot).

Integrity. ``meta.json`` records every array's dtype, shape, place and SHA-256, the SHA-256 and
size of every course file the index was built from, and ``content_sha256``, a digest of all
of that. :func:`open_index` recomputes each digest, maps the arrays with
``np.load(..., mmap_mode="r", allow_pickle=False)`` (nothing is unpickled or evaluated) and
runs the vectorised structural checks of :func:`knowledge_graph.tables.check_tables`; any
mismatch raises :class:`~knowledge_graph.tables.CompiledIndexError` naming why, and the
loader then does not use the index. The arrays only a search or an incremental reload reads
(``search.*``, ``decl.*``) are verified the same way just before their first use
(:meth:`~knowledge_graph.tables.LessonTables.require`): a problem there means they are not
used (the search is built in memory, the reload validates every file), logged likewise.

Example
-------
>>> INDEX_DIR, MANIFEST_NAME
('.lessonbot-index', '.lessonbot-manifest.json')
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from knowledge_graph.errors import GraphValidationError
from knowledge_graph.mapped_arrays import (
    ARRAYS_NAME,
    CURRENT_NAME,
    KEEP_SUPERSEDED_SECONDS,
    KEEP_VERSIONS,
    META_NAME,
    ArrayWriter,
    atomic_write,
    content_digest,
    map_version,
    pack_arrays,
    read_current,
    sha256_hex,
    version_folder,
    write_version,
)
from knowledge_graph.sources import LocalSource, RawDocument
from knowledge_graph.tables import (
    DEFERRED_PARTS,
    CompiledIndexError,
    LessonTables,
    check_part,
    check_tables,
    tables_from_graph,
)

INDEX_DIR: Final[str] = ".lessonbot-index"
MANIFEST_NAME: Final[str] = ".lessonbot-manifest.json"
FORMAT: Final[str] = "lessonbot-index"
VERSION: Final[int] = 3
MANIFEST_FORMAT: Final[str] = "lessonbot-publication"
MANIFEST_VERSION: Final[int] = 1
#: The compiled JSON of earlier versions; removed when an index is written.
LEGACY_COMPILED_NAME: Final[str] = ".lessonbot-compiled.json"
MAX_MANIFEST_BYTES: Final[int] = 4 * 1024 * 1024
logger = logging.getLogger(__name__)

__all__ = [
    "ARRAYS_NAME",
    "CURRENT_NAME",
    "INDEX_DIR",
    "KEEP_SUPERSEDED_SECONDS",
    "KEEP_VERSIONS",
    "MANIFEST_NAME",
    "META_NAME",
    "IndexWriter",
    "compile_tables",
    "content_digest",
    "current_version",
    "open_index",
    "pack_arrays",
    "read_manifest",
    "release_freed_memory",
    "sha256_hex",
    "spill_tables",
    "write_compiled",
    "write_index",
    "write_manifest",
]


def sources_digest(files: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """File base name -> SHA-256, from a ``meta["files"]`` list."""
    return {str(f["name"]): str(f["sha256"]) for f in files}


# ------------------------------------------------------------------- writing


def compile_tables(documents: Sequence[RawDocument]) -> LessonTables:
    """Validate ``documents`` together and flatten their graph into tables.

    Raises
    ------
    GraphValidationError
        When the documents have errors.
    """
    from knowledge_graph.validation import validate_documents  # only when compiling

    report = validate_documents(documents)
    if not report.ok or report.graph is None:
        raise GraphValidationError(report)
    files = [
        {"name": d.name, "sha256": sha256_hex(d.content), "size": len(d.content)}
        for d in sorted(documents, key=lambda d: d.name)
    ]
    return tables_from_graph(report.graph, report.declarations, files)


def write_index(folder: str | os.PathLike[str], tables: LessonTables) -> Path:
    """Write ``tables`` as a new index version of ``folder`` and make it current.

    The version folder (``arrays.npy``: every array packed by :func:`pack_arrays`;
    ``meta.json``) is written under a temporary name and renamed into place, then
    ``CURRENT`` is replaced atomically: a reader sees the old or the new index, whole.

    Returns
    -------
    Path
        The version folder, ``folder/.lessonbot-index/<16 hex digits>``.
    """
    meta = {"format": FORMAT, "version": VERSION, **tables.meta}
    target, _ = write_version(Path(folder) / INDEX_DIR, tables.arrays, meta)
    legacy = Path(folder) / LEGACY_COMPILED_NAME
    legacy.unlink(missing_ok=True)
    return target


class IndexWriter:
    """Writes an index version array by array (:class:`~knowledge_graph.mapped_arrays.ArrayWriter`
    with this index's format), so that arrays built one part after another need not all be
    held in memory at once (an incremental reload spills its finished parts to local disk
    before it derives the edge arrays; see :func:`spill_tables`).

    ``add`` streams arrays into ``arrays.npy`` and returns them as read-only memory-mapped
    views; ``finish`` writes the arrays of the tables not written yet and ``meta.json``, and
    returns the version folder, which :func:`open_index` opens (and verifies) like any other.
    Written with ``digests=False``, a version opens only with ``open_index(..., trusted=True)``.

    Example
    -------
    >>> import tempfile
    >>> from knowledge_graph.examples import example_graph
    >>> from knowledge_graph.tables import tables_from_graph
    >>> tables = tables_from_graph(example_graph().graph, [], [])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     writer = IndexWriter(Path(tmp) / "v")
    ...     mapped = writer.add({"text.blob": tables.arrays["text.blob"]})
    ...     version = writer.finish(LessonTables({**tables.arrays, **mapped}, tables.meta))
    ...     open_index(version).column("title")[0]
    'Variables'
    """

    def __init__(self, directory: str | os.PathLike[str], *, digests: bool = True) -> None:
        self._writer = ArrayWriter(directory, digests=digests)
        self.directory = self._writer.directory

    def add(self, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """See :meth:`~knowledge_graph.mapped_arrays.ArrayWriter.add`."""
        return self._writer.add(arrays)

    def finish(self, tables: LessonTables) -> Path:
        """Write the arrays of ``tables`` not written yet, the header and ``meta.json``."""
        self._writer.add(tables.arrays)
        return self._writer.finish({"format": FORMAT, "version": VERSION, **tables.meta})

    def close(self) -> None:
        """Close the file (after a failure; ``finish`` closes it)."""
        self._writer.close()


def release_freed_memory() -> None:
    """Return the C heap's free memory to the operating system (glibc ``malloc_trim(0)``,
    see malloc_trim(3)); nothing elsewhere.

    numpy's large arrays are allocated with ``malloc``; once some are freed, glibc raises its
    threshold for serving allocations from fresh memory maps (see mallopt(3),
    ``M_MMAP_THRESHOLD``: "dynamic mmap threshold"), so the next large arrays of a reload
    come from the heap, and when they are freed the heap keeps their pages. Measured at
    100,000 lessons, a process held about 210 MB of such freed memory after every reload
    against 47 MB of live anonymous memory while serving. Trimming after a reload's big
    temporaries are freed gives those pages back; turns are not affected (no call there).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return
    trim(0)


def spill_tables(
    build: Callable[[Callable[[Mapping[str, np.ndarray]], dict[str, np.ndarray]] | None], Any],
    root: str | os.PathLike[str] | None = None,
) -> tuple[LessonTables, Any]:
    """Run ``build(spill)``, writing its tables to local disk as they are made; map them.

    ``build`` receives ``spill`` (:meth:`IndexWriter.add`: finished arrays go to disk and
    come back as mapped views) and returns ``(tables, extra)``; the rest of the tables is
    then written to a new folder under ``root`` (default: the temporary directory, ``/tmp``
    on AWS Lambda, whose ephemeral storage holds 512 MB unless configured otherwise) and
    opened with :func:`open_index` (``trusted``: this process wrote every byte moments ago
    into a folder only it can read, mode 0700, so no digests are taken; the structural
    checks run as for any index). The served
    arrays are then file-backed pages, which the kernel can drop and read again, rather than
    anonymous memory, and a reload never holds a second copy of the whole index in memory.
    The folder is removed as soon as it is mapped: on Linux the mapping keeps the file until
    the tables are released, and nothing is left behind. When the local disk cannot be
    written (full, read-only), ``build`` runs again without spilling and its in-memory
    tables are returned (logged).

    Returns
    -------
    (LessonTables, extra)
        The tables and ``build``'s extra value.

    Raises
    ------
    Whatever ``build`` raises.
    """
    try:
        folder = Path(tempfile.mkdtemp(prefix="lessonbot-index-", dir=root))
    except OSError as exc:
        logger.warning("index kept in memory: no local folder to write it to (%s)", exc)
        return build(None)  # type: ignore[no-any-return]
    writer = None

    def spill(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        assert writer is not None
        mapped = writer.add(arrays)
        if isinstance(arrays, dict):
            arrays.clear()  # the caller hands them over: their memory can go now
        release_freed_memory()
        return mapped

    try:
        writer = IndexWriter(folder / "index", digests=False)
        tables, extra = build(spill)
        version = writer.finish(tables)
        del tables
        release_freed_memory()
        return open_index(version, trusted=True), extra
    except (OSError, CompiledIndexError) as exc:
        if writer is not None:
            writer.close()
        logger.warning("index kept in memory: not written to local disk (%s)", exc)
        shutil.rmtree(folder, ignore_errors=True)
        return build(None)  # type: ignore[no-any-return]
    finally:
        if writer is not None:
            writer.close()
        shutil.rmtree(folder, ignore_errors=True)


def write_compiled(folder: str | os.PathLike[str]) -> Path:
    """Validate the course files in ``folder`` and write their compiled index there.

    Parameters
    ----------
    folder : path
        A directory of course files (the one the bot's ``LESSON_GRAPH_PATH`` names).

    Returns
    -------
    Path
        The new index version folder (see :func:`write_index`).

    Raises
    ------
    GraphValidationError
        When the course files have errors (nothing is written).
    CompiledIndexError
        When ``folder`` is not a directory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CompiledIndexError(f"{folder}: compiled indexes are written into a directory")
    return write_index(folder, compile_tables(LocalSource(str(folder)).read()))


def write_manifest(folder: str | os.PathLike[str], version_dir: str | os.PathLike[str]) -> Path:
    """Write the publish manifest of ``folder`` naming index ``version_dir`` (atomically).

    Written last by the publishing command: the course files and the index it names are
    complete by then. Its ``publication`` id is new at every call, so a loader that
    watches the manifest reloads exactly once per publication.
    """
    version_dir = Path(version_dir)
    meta = json.loads((version_dir / META_NAME).read_text(encoding="utf-8"))
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "publication": f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(4)}",
        "index": version_dir.name,
        "index_sha256": meta["content_sha256"],
        "files": {f["name"]: {"sha256": f["sha256"], "size": f["size"]} for f in meta["files"]},
    }
    target = Path(folder) / MANIFEST_NAME
    atomic_write(target, json.dumps(manifest, indent=1) + "\n")
    return target


# ------------------------------------------------------------------- reading


def current_version(folder: str | os.PathLike[str]) -> Path | None:
    """The index version ``CURRENT`` names, or None when there is no index.

    Raises
    ------
    CompiledIndexError
        When ``CURRENT`` is unreadable or names no valid version.
    """
    return read_current(Path(folder) / INDEX_DIR, CompiledIndexError)


def version_path(folder: str | os.PathLike[str], name: object) -> Path:
    """The folder of index version ``name`` (checked to be a version name)."""
    return version_folder(Path(folder) / INDEX_DIR, name, CompiledIndexError)


def open_index(version_dir: str | os.PathLike[str], *, trusted: bool = False) -> LessonTables:
    """Open an index version: verify its digests and structure, memory-map its arrays.

    Parameters
    ----------
    version_dir : path
        ``folder/.lessonbot-index/<version>``.
    trusted : bool, default False
        Only for an index this process has just written into a private folder
        (:func:`spill_tables`): the array digests are not recomputed (``meta.json``'s own
        digest and every structural check still are).

    Returns
    -------
    LessonTables
        With memory-mapped arrays; ``meta`` as written.

    Raises
    ------
    CompiledIndexError
        When it is missing, of another format or version, when a digest does not match
        (its own content, an array file) or a structural check fails; the message says
        which.
    """
    mapped = map_version(version_dir, FORMAT, VERSION, CompiledIndexError, trusted=trusted)
    deferred = {
        part: [name for name in mapped.arrays if name.startswith(f"{part}.")]
        for part in DEFERRED_PARTS
    }
    mapped.verify(name for name in mapped.arrays if name.split(".", 1)[0] not in deferred)
    tables = LessonTables(mapped.arrays, mapped.meta)
    check_tables(tables, deferred=DEFERRED_PARTS)

    def owed(part: str) -> Callable[[], None]:
        def check() -> None:
            mapped.verify(deferred[part])
            check_part(tables, part)
            mapped.release(deferred[part])

        return check

    tables.deferred = {part: owed(part) for part in DEFERRED_PARTS}
    tables.release_pages = mapped.release
    mapped.release()
    return tables


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The publish manifest of ``folder``, or None when there is none.

    Raises
    ------
    CompiledIndexError
        When it exists but is unreadable or malformed.
    """
    path = Path(folder) / MANIFEST_NAME
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise CompiledIndexError(f"{path}: too large")
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        raise CompiledIndexError(f"{path}: unreadable ({exc})") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != MANIFEST_FORMAT
        or manifest.get("version") != MANIFEST_VERSION
        or not isinstance(manifest.get("publication"), str)
        or not isinstance(manifest.get("files"), dict)
    ):
        raise CompiledIndexError(f"{path}: not a lessonbot publish manifest")
    version_path(folder, manifest.get("index"))
    return manifest
