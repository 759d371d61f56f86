"""The compiled index on disk: validated once at publish time, memory-mapped at cold start.

``python -m knowledge_graph compile PATH`` (also run by ``make publish-graph``) validates a
folder of course files and writes their :class:`~knowledge_graph.tables.LessonTables` into
``PATH/.lessonbot-index/<version>/``: ``arrays.npy`` (every array, packed end to end at
64-byte aligned offsets in one uint8 ``.npy``, so one memory map serves them all as
zero-copy views) and ``meta.json`` (each array's dtype, shape and offset), then
points ``PATH/.lessonbot-index/CURRENT`` at that version (replaced atomically; a version
folder is never changed once written, and old ones are removed only well after they were
superseded, since a running function may still have them mapped). ``make publish-graph``
then writes the publish manifest ``PATH/.lessonbot-manifest.json`` last.

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

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from knowledge_graph.errors import GraphValidationError
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
CURRENT_NAME: Final[str] = "CURRENT"
META_NAME: Final[str] = "meta.json"
ARRAYS_NAME: Final[str] = "arrays.npy"
MANIFEST_NAME: Final[str] = ".lessonbot-manifest.json"
FORMAT: Final[str] = "lessonbot-index"
VERSION: Final[int] = 3
MANIFEST_FORMAT: Final[str] = "lessonbot-publication"
MANIFEST_VERSION: Final[int] = 1
#: The compiled JSON of earlier versions; removed when an index is written.
LEGACY_COMPILED_NAME: Final[str] = ".lessonbot-compiled.json"
#: Superseded index versions are kept this long (a warm function may still map them).
KEEP_SUPERSEDED_SECONDS: Final[float] = 3600.0
#: And at least this many versions are kept.
KEEP_VERSIONS: Final[int] = 3
MAX_META_BYTES: Final[int] = 64 * 1024 * 1024
MAX_MANIFEST_BYTES: Final[int] = 4 * 1024 * 1024
_ARRAY_NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
_VERSION_NAME = re.compile(r"^[0-9a-f]{16}$")
_ALIGN = 64

__all__ = [
    "CURRENT_NAME",
    "INDEX_DIR",
    "MANIFEST_NAME",
    "compile_tables",
    "current_version",
    "open_index",
    "read_manifest",
    "write_compiled",
    "write_index",
    "write_manifest",
]


def sha256_hex(content: bytes) -> str:
    """SHA-256 of ``content`` as hex (the digest recorded for course files).

    Example
    -------
    >>> sha256_hex(b"hi")[:8]
    '8f434346'
    """
    return hashlib.sha256(content).hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def content_digest(meta: Mapping[str, Any]) -> str:
    """The digest of an index's ``meta.json`` without its own ``content_sha256`` field
    (which covers every array through their recorded digests)."""
    return sha256_hex(_canonical({k: v for k, v in meta.items() if k != "content_sha256"}))


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


def pack_arrays(arrays: Mapping[str, np.ndarray]) -> tuple[np.ndarray, dict[str, dict[str, Any]]]:
    """Lay ``arrays`` end to end, each at a 64-byte aligned offset, in one uint8 array.

    Returns
    -------
    (numpy uint8 array, dict)
        The packed bytes and, per array name, ``dtype``, ``shape``, ``offset`` and
        ``nbytes`` in the packed bytes and the ``sha256`` of its bytes.
    """
    specs: dict[str, dict[str, Any]] = {}
    offset = 0
    parts: list[bytes] = []
    for name, array in sorted(arrays.items()):
        if not _ARRAY_NAME.match(name):
            raise ValueError(f"array name {name!r}")
        data = np.ascontiguousarray(array)
        raw = data.tobytes()
        pad = -offset % _ALIGN
        parts.append(b"\0" * pad)
        offset += pad
        specs[name] = {
            "dtype": data.dtype.str,
            "shape": list(data.shape),
            "offset": offset,
            "nbytes": len(raw),
            "sha256": sha256_hex(raw),
        }
        parts.append(raw)
        offset += len(raw)
    return np.frombuffer(b"".join(parts), dtype=np.uint8), specs


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
    root = Path(folder) / INDEX_DIR
    root.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
    try:
        packed, specs = pack_arrays(tables.arrays)
        np.save(staging / ARRAYS_NAME, packed, allow_pickle=False)
        del packed
        meta = {"format": FORMAT, "version": VERSION, **tables.meta, "arrays": specs}
        meta["content_sha256"] = content_digest(meta)
        (staging / META_NAME).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        for path in staging.iterdir():
            path.chmod(0o644)
        staging.chmod(0o755)
        version = meta["content_sha256"][:16]
        target = root / version
        if target.exists():  # the same content was compiled before: keep that one
            shutil.rmtree(staging)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _atomic_write(root / CURRENT_NAME, version + "\n")
    os.utime(target)  # the newest version, for pruning
    _prune(root, keep=target)
    legacy = Path(folder) / LEGACY_COMPILED_NAME
    legacy.unlink(missing_ok=True)
    return target


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
    _atomic_write(target, json.dumps(manifest, indent=1) + "\n")
    return target


def _atomic_write(target: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _prune(root: Path, keep: Path) -> None:
    """Remove index versions superseded more than an hour ago (beyond the newest 3)."""
    now = time.time()
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and _VERSION_NAME.match(p.name)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for k in range(KEEP_VERSIONS, len(versions)):
        superseded_at = versions[k - 1].stat().st_mtime
        if versions[k] != keep and superseded_at < now - KEEP_SUPERSEDED_SECONDS:
            shutil.rmtree(versions[k], ignore_errors=True)
    for p in root.iterdir():
        if p.name.startswith(".staging-") and p.stat().st_mtime < now - KEEP_SUPERSEDED_SECONDS:
            shutil.rmtree(p, ignore_errors=True)


# ------------------------------------------------------------------- reading


def current_version(folder: str | os.PathLike[str]) -> Path | None:
    """The index version ``CURRENT`` names, or None when there is no index.

    Raises
    ------
    CompiledIndexError
        When ``CURRENT`` is unreadable or names no valid version.
    """
    pointer = Path(folder) / INDEX_DIR / CURRENT_NAME
    try:
        name = pointer.read_text(encoding="ascii")[:64].strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CompiledIndexError(f"{pointer}: unreadable ({exc})") from None
    return version_path(folder, name)


def version_path(folder: str | os.PathLike[str], name: object) -> Path:
    """The folder of index version ``name`` (checked to be a version name)."""
    if not isinstance(name, str) or not _VERSION_NAME.match(name):
        raise CompiledIndexError(f"{name!r} is not an index version")
    return Path(folder) / INDEX_DIR / name


def open_index(version_dir: str | os.PathLike[str]) -> LessonTables:
    """Open an index version: verify its digests and structure, memory-map its arrays.

    Parameters
    ----------
    version_dir : path
        ``folder/.lessonbot-index/<version>``.

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
    version_dir = Path(version_dir)
    meta_path = version_dir / META_NAME
    try:
        if meta_path.stat().st_size > MAX_META_BYTES:
            raise CompiledIndexError(f"{meta_path}: too large")
        meta = json.loads(meta_path.read_bytes())
    except FileNotFoundError:
        raise CompiledIndexError(f"{meta_path}: missing") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise CompiledIndexError(f"{meta_path}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CompiledIndexError("not a lessonbot index")
    if meta.get("version") != VERSION:
        raise CompiledIndexError(f"index format version {meta.get('version')!r}, not {VERSION}")
    if meta.get("content_sha256") != content_digest(meta):
        raise CompiledIndexError("content digest mismatch: meta.json was changed after compiling")
    specs = meta.get("arrays")
    if not isinstance(specs, dict):
        raise CompiledIndexError("array list missing")
    path = version_dir / ARRAYS_NAME
    try:
        packed = np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError as exc:
        raise CompiledIndexError(f"{ARRAYS_NAME}: unreadable ({exc})") from None
    except ValueError as exc:  # pickled or malformed .npy
        raise CompiledIndexError(f"{ARRAYS_NAME}: not a plain array ({exc})") from None
    if packed.dtype != np.uint8 or packed.ndim != 1:
        raise CompiledIndexError(f"{ARRAYS_NAME}: not a byte array")
    # Plain ndarray views of the map (they keep it open): indexing a np.memmap subclass
    # goes through Python-level __getitem__/__array_finalize__, ~2 us per access.
    packed = packed.view(np.ndarray)
    arrays: dict[str, np.ndarray] = {}
    regions = []
    for name, spec in specs.items():
        try:
            dtype = np.dtype(spec["dtype"])
            shape = tuple(int(d) for d in spec["shape"])
            offset, nbytes = int(spec["offset"]), int(spec["nbytes"])
        except (KeyError, TypeError, ValueError):
            raise CompiledIndexError(f"array {name}: bad entry in meta.json") from None
        if (
            not _ARRAY_NAME.match(str(name))
            or dtype.hasobject
            or dtype.kind not in "iufbS"
            or min(shape, default=0) < 0
            or nbytes != dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            or offset < 0
            or offset % _ALIGN
            or offset + nbytes > packed.shape[0]
        ):
            raise CompiledIndexError(f"array {name}: bad dtype, shape or place in meta.json")
        arrays[name] = packed[offset : offset + nbytes].view(dtype).reshape(shape)
        regions.append((offset, nbytes, name, spec.get("sha256")))
    deferred = {
        part: [r for r in regions if r[2].startswith(f"{part}.")] for part in DEFERRED_PARTS
    }
    _verify_regions(packed, [r for r in regions if r[2].split(".", 1)[0] not in deferred])
    tables = LessonTables(arrays, meta)
    check_tables(tables, deferred=DEFERRED_PARTS)

    def owed(part: str) -> Callable[[], None]:
        def check() -> None:
            _verify_regions(packed, deferred[part])
            check_part(tables, part)

        return check

    tables.deferred = {part: owed(part) for part in DEFERRED_PARTS}
    return tables


def _verify_regions(packed: np.ndarray, regions: list[tuple[int, int, str, Any]]) -> None:
    """Check each array's SHA-256 over its bytes in the mapped file (no copy is made; the
    pages read become resident, as the structural checks and the first turn read them too).
    """
    for offset, nbytes, name, expected in sorted(regions, key=lambda r: r[0]):
        digest = hashlib.sha256(memoryview(packed[offset : offset + nbytes]))
        if digest.hexdigest() != expected:
            raise CompiledIndexError(f"array {name}: digest mismatch (changed or damaged)")


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
