"""Versioned folders of numpy arrays: written once and atomically, memory-mapped and verified.

The one on-disk machinery of the compiled lesson index (:mod:`knowledge_graph.compiled`)
and the binary transitions snapshot (:mod:`knowledge_graph.transitions`). A *root* folder
holds one sub-folder per version and a ``CURRENT`` file naming the one in use::

    root/CURRENT                      # "<16 hex digits>\\n", replaced atomically
    root/<16 hex digits>/arrays.npy   # every array, end to end at 64-byte aligned offsets,
                                      # in one uint8 .npy: one memory map, zero-copy views
    root/<16 hex digits>/meta.json    # format, version, each array's dtype, shape, offset,
                                      # size and SHA-256, and content_sha256 over all of it

A version folder is staged under a temporary name, renamed into place and never changed
afterwards; ``CURRENT`` is then replaced (a temporary file and ``os.replace``), so a reader
sees the old or the new version, whole. Superseded versions are removed only when more than
:data:`KEEP_VERSIONS` exist and they were superseded over :data:`KEEP_SUPERSEDED_SECONDS`
ago: a warm function may still have one mapped, and on a network file system (EFS) a file
removed by another client cannot be read through an existing map.

A version can also be written array by array into a private folder (:class:`ArrayWriter`,
which hands each array back as a mapped view so its memory can go) and, once mapped and
checked, its pages dropped from the process (:meth:`MappedVersion.release`); the compiled
index's reload uses both (``spill_tables`` in :mod:`knowledge_graph.compiled`).

Reading never unpickles or evaluates anything (``np.load(..., allow_pickle=False)``, plain
numeric and bytes dtypes only) and refuses any mismatch of a digest, a dtype, a shape or a
place with the caller's error class.

Example
-------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> folder, changed = write_version(root, {"a": np.arange(3)}, {"format": "demo", "version": 1})
>>> changed, read_current(root, ValueError) == folder
(True, True)
>>> mapped = map_version(folder, "demo", 1, ValueError)
>>> mapped.verify()
>>> mapped.arrays["a"].tolist()
[0, 1, 2]
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

CURRENT_NAME: Final[str] = "CURRENT"
META_NAME: Final[str] = "meta.json"
ARRAYS_NAME: Final[str] = "arrays.npy"
#: Superseded versions are kept this long (a warm function may still map them).
KEEP_SUPERSEDED_SECONDS: Final[float] = 3600.0
#: And at least this many versions are kept.
KEEP_VERSIONS: Final[int] = 3
MAX_META_BYTES: Final[int] = 64 * 1024 * 1024
ARRAY_NAME: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
VERSION_NAME: Final[re.Pattern[str]] = re.compile(r"^[0-9a-f]{16}$")
ALIGN: Final[int] = 64
#: Bytes before the data in an ``arrays.npy`` written by :class:`ArrayWriter`.
HEADER_BYTES: Final[int] = 128

#: An error class the readers raise (each caller passes its own, e.g. CompiledIndexError).
ErrorType = Callable[[str], Exception]


def sha256_hex(content: bytes | memoryview) -> str:
    """SHA-256 of ``content`` as hex.

    Example
    -------
    >>> sha256_hex(b"hi")[:8]
    '8f434346'
    """
    return hashlib.sha256(content).hexdigest()


def canonical_json(value: Any) -> bytes:
    """``value`` as compact JSON with sorted keys (what digests are taken of)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def content_digest(meta: Mapping[str, Any]) -> str:
    """The digest of a ``meta.json`` without its own ``content_sha256`` field (which covers
    every array through their recorded digests)."""
    return sha256_hex(canonical_json({k: v for k, v in meta.items() if k != "content_sha256"}))


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
        if not ARRAY_NAME.match(name):
            raise ValueError(f"array name {name!r}")
        data = np.ascontiguousarray(array)
        raw = data.tobytes()
        pad = -offset % ALIGN
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


# ------------------------------------------------------------------- writing


def write_version(
    root: str | os.PathLike[str],
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any],
    *,
    name_ignores: Iterable[str] = (),
    check: Callable[[Path], object] | None = None,
) -> tuple[Path, bool]:
    """Write ``arrays`` and ``meta`` as a new version of ``root`` and make it current.

    Parameters
    ----------
    root : path
        The folder of versions (created when missing).
    arrays : mapping of str to numpy array
        Packed by :func:`pack_arrays` into ``arrays.npy``.
    meta : mapping
        Written to ``meta.json`` with ``arrays`` (the specs) and ``content_sha256`` added.
    name_ignores : iterable of str, optional
        Keys of ``meta`` left out of the version's name. The name is the first 16 hex
        digits of the digest of everything else (``content_sha256`` when nothing is left
        out); a version of that name that exists already is kept as it is (so content
        written again, e.g. with only a new time stamp, changes nothing).
    check : callable, optional
        Called with the staged folder before it is renamed into place (e.g. the reader):
        when it raises, nothing is published and the exception propagates.

    Returns
    -------
    (Path, bool)
        The version folder and whether ``CURRENT`` now names another version than before.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
    try:
        packed, specs = pack_arrays(arrays)
        np.save(staging / ARRAYS_NAME, packed, allow_pickle=False)
        del packed
        full = {**meta, "arrays": specs}
        full["content_sha256"] = content_digest(full)
        (staging / META_NAME).write_text(json.dumps(full, indent=1), encoding="utf-8")
        for path in staging.iterdir():
            path.chmod(0o644)
        staging.chmod(0o755)
        ignored = set(name_ignores)
        version = content_digest({k: v for k, v in full.items() if k not in ignored})[:16]
        target = root / version
        if target.exists():  # the same content was written before: keep that one
            shutil.rmtree(staging)
        else:
            if check is not None:
                check(staging)
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    before = current_name(root)
    atomic_write(root / CURRENT_NAME, version + "\n")
    os.utime(target)  # the newest version, for pruning
    prune(root, keep=target)
    return target, before != version


def atomic_write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file and ``os.replace``."""
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


def prune(root: Path, keep: Path) -> None:
    """Remove versions superseded over an hour ago (beyond the newest 3), and stale staging."""
    now = time.time()
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and VERSION_NAME.match(p.name)),
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


class ArrayWriter:
    """Writes a version folder array by array, so that arrays built one part after another
    need not all be held in memory at once (the compiled index's ``spill_tables`` streams a
    reload's finished parts to local disk).

    ``add`` streams arrays into ``arrays.npy`` (each at a 64-byte aligned offset, its SHA-256
    taken as it is written unless ``digests=False``: no packed copy in memory; a version
    written without digests opens only with ``map_version(..., trusted=True)``) and returns
    read-only memory-mapped views of them; ``finish`` writes the ``.npy`` header and
    ``meta.json`` and returns the folder, which :func:`map_version` opens like any other.
    The file has the layout :func:`write_version` writes: a uint8 ``.npy`` whose header is
    padded to :data:`HEADER_BYTES` (the format allows any padding to a multiple of 64; see
    numpy's ``numpy.lib.format`` documentation). The folder is not published (no
    ``CURRENT``, no pruning): it is meant for a private local copy.

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     writer = ArrayWriter(Path(tmp) / "v")
    ...     views = writer.add({"a": np.arange(3)})
    ...     folder = writer.finish({"format": "demo", "version": 1})
    ...     mapped = map_version(folder, "demo", 1, ValueError)
    ...     mapped.verify()
    ...     mapped.arrays["a"].tolist()
    [0, 1, 2]
    """

    def __init__(self, directory: str | os.PathLike[str], *, digests: bool = True) -> None:
        self.directory = Path(directory)
        self._digests = digests
        self.directory.mkdir(parents=True)
        self._path = self.directory / ARRAYS_NAME
        self._file = open(self._path, "wb")  # noqa: SIM115 - closed by finish/close
        self._file.write(b"\0" * HEADER_BYTES)
        self._offset = 0
        self._specs: dict[str, dict[str, Any]] = {}
        self._written: dict[str, np.ndarray] = {}

    def add(self, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Write ``arrays``; return them as mapped views. An array ``add`` returned before may
        come back (it is not written again); any other name may be written only once.

        Raises
        ------
        ValueError
            For an array name that is not dotted words or was written already.
        """
        placed = {}
        written = {}
        for name, array in sorted(arrays.items()):
            if self._written.get(name) is array:  # handed back: already in the file
                written[name] = array
                continue
            if not ARRAY_NAME.match(name) or name in self._specs:
                raise ValueError(f"array name {name!r}")
            data = np.ascontiguousarray(array)
            raw = memoryview(data.reshape(-1).view(np.uint8))
            pad = -self._offset % ALIGN
            self._file.write(b"\0" * pad)
            self._offset += pad
            self._specs[name] = {
                "dtype": data.dtype.str,
                "shape": list(data.shape),
                "offset": self._offset,
                "nbytes": raw.nbytes,
                "sha256": hashlib.sha256(raw).hexdigest() if self._digests else None,
            }
            self._file.write(raw)
            placed[name] = (self._offset, data.dtype, data.shape, raw.nbytes)
            self._offset += raw.nbytes
        self._file.flush()
        if self._offset == 0:  # nothing but empty arrays: nothing to map
            return {**written, **{name: np.asarray(arrays[name]) for name in placed}}
        if placed:
            mapped = np.memmap(
                self._path, dtype=np.uint8, mode="r", offset=HEADER_BYTES, shape=(self._offset,)
            ).view(np.ndarray)
            for name, (offset, dtype, shape, nbytes) in placed.items():
                written[name] = mapped[offset : offset + nbytes].view(dtype).reshape(shape)
            self._written.update((name, written[name]) for name in placed)
        return written

    def finish(self, meta: Mapping[str, Any]) -> Path:
        """Write the ``.npy`` header and ``meta.json`` (``meta`` with ``arrays`` and
        ``content_sha256`` set); return the folder."""
        header = repr({"descr": "|u1", "fortran_order": False, "shape": (self._offset,)})
        body = header.encode("latin1").ljust(HEADER_BYTES - 11) + b"\n"
        self._file.seek(0)
        self._file.write(b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body)
        self._file.close()
        full = {k: v for k, v in meta.items() if k != "content_sha256"}
        full["arrays"] = self._specs
        full["content_sha256"] = content_digest(full)
        (self.directory / META_NAME).write_text(json.dumps(full), encoding="utf-8")
        return self.directory

    def close(self) -> None:
        """Close the file (after a failure; ``finish`` closes it)."""
        self._file.close()


# ------------------------------------------------------------------- reading


def current_name(root: str | os.PathLike[str]) -> str | None:
    """What ``root/CURRENT`` says (stripped), or None when it cannot be read; unchecked."""
    try:
        return (Path(root) / CURRENT_NAME).read_text(encoding="ascii")[:64].strip()
    except (OSError, UnicodeDecodeError):
        return None


def read_current(root: str | os.PathLike[str], error: ErrorType) -> Path | None:
    """The version folder ``root/CURRENT`` names, or None when there is no ``CURRENT``.

    Raises
    ------
    error
        When ``CURRENT`` is unreadable or does not name a version.
    """
    pointer = Path(root) / CURRENT_NAME
    try:
        name = pointer.read_text(encoding="ascii")[:64].strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{pointer}: unreadable ({exc})") from None
    return version_folder(root, name, error)


def version_folder(root: str | os.PathLike[str], name: object, error: ErrorType) -> Path:
    """``root/name``, after checking that ``name`` is a version name."""
    if not isinstance(name, str) or not VERSION_NAME.match(name):
        raise error(f"{name!r} is not an index version")
    return Path(root) / name


@dataclass
class MappedVersion:
    """One version, mapped: its ``meta``, its ``arrays`` (read-only views of one map) and
    what :meth:`verify` needs to check their digests and :meth:`release` to drop their pages.

    ``trusted`` (only for a version this process has just written into a private folder,
    see :class:`ArrayWriter`) makes :meth:`verify` check nothing."""

    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]
    packed: np.ndarray
    regions: list[tuple[int, int, str, Any]]
    error: ErrorType
    mapping: Any = None
    data_start: int = 0
    trusted: bool = False

    def verify(self, names: Iterable[str] | None = None) -> None:
        """Check the SHA-256 of the named arrays (all by default) over their bytes in the
        map: no copy is made; the pages read stay in the page cache, shared. Nothing is
        checked for a ``trusted`` version.

        Raises
        ------
        error
            ``array NAME: digest mismatch (changed or damaged)``.
        """
        if self.trusted:
            return
        wanted = None if names is None else set(names)
        packed = self.packed
        for offset, nbytes, name, expected in sorted(self.regions, key=lambda r: r[0]):
            if wanted is not None and name not in wanted:
                continue
            digest = hashlib.sha256(memoryview(packed[offset : offset + nbytes]))
            if digest.hexdigest() != expected:
                raise self.error(f"array {name}: digest mismatch (changed or damaged)")

    def release(self, names: Iterable[str] | None = None) -> None:
        """Drop the named arrays' pages (all by default) from this process's resident memory.

        The digests and structural checks read every byte of an array once; most of those
        pages (texts, search tables, edges a turn never reaches) are not read again while
        serving. ``madvise(MADV_DONTNEED)`` on a read-only shared file mapping (see
        madvise(2)) removes the pages from the process's page tables only: the data stays in
        the kernel's page cache, and a later read maps it back (a minor fault, no disk read
        while it is cached). Resident memory then counts the pages actually read again. Does
        nothing where ``mmap.madvise`` or ``MADV_DONTNEED`` is missing.
        """
        advise = getattr(self.mapping, "madvise", None)
        flag = getattr(mmap, "MADV_DONTNEED", None)
        if advise is None or flag is None:
            return
        wanted = None if names is None else set(names)
        page = mmap.PAGESIZE
        # np.memmap maps from an allocation-granularity boundary at or before the data start
        shift = self.data_start % mmap.ALLOCATIONGRANULARITY
        for offset, nbytes, name, _ in self.regions:
            if wanted is not None and name not in wanted:
                continue
            start = -(-(shift + offset) // page) * page  # whole pages inside the array
            stop = (shift + offset + nbytes) // page * page
            if stop > start:
                advise(flag, start, stop - start)


def map_version(
    version_dir: str | os.PathLike[str],
    format: str,
    version: int,
    error: ErrorType,
    *,
    max_bytes: int | None = None,
    trusted: bool = False,
) -> MappedVersion:
    """Read a version's ``meta.json``, check it, and memory-map its arrays (unverified).

    Checks the format and version, the content digest of ``meta.json``, and each array's
    dtype (plain numbers or bytes), shape and place; the digests of the arrays themselves
    are checked by :meth:`MappedVersion.verify` (all at once, or part by part before first
    use). ``max_bytes`` caps ``arrays.npy``'s size, checked before it is mapped.
    ``trusted`` (a version this process has just written, privately) skips those digests.

    Raises
    ------
    error
        With the reason: missing, unreadable, another format or version, a digest or an
        array entry that does not match.
    """
    version_dir = Path(version_dir)
    meta_path = version_dir / META_NAME
    try:
        if meta_path.stat().st_size > MAX_META_BYTES:
            raise error(f"{meta_path}: too large")
        meta = json.loads(meta_path.read_bytes())
    except FileNotFoundError:
        raise error(f"{meta_path}: missing") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise error(f"{meta_path}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != format:
        raise error(f"not a {format.replace('-', ' ')}")
    if meta.get("version") != version:
        raise error(f"{format} format version {meta.get('version')!r}, not {version}")
    if meta.get("content_sha256") != content_digest(meta):
        raise error("content digest mismatch: meta.json was changed after it was written")
    specs = meta.get("arrays")
    if not isinstance(specs, dict):
        raise error("array list missing")
    path = version_dir / ARRAYS_NAME
    try:
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise error(f"{ARRAYS_NAME}: over the {max_bytes}-byte limit")
        packed = np.load(path, mmap_mode="r", allow_pickle=False)
    except OSError as exc:
        raise error(f"{ARRAYS_NAME}: unreadable ({exc})") from None
    except ValueError as exc:  # pickled or malformed .npy
        raise error(f"{ARRAYS_NAME}: not a plain array ({exc})") from None
    if packed.dtype != np.uint8 or packed.ndim != 1:
        raise error(f"{ARRAYS_NAME}: not a byte array")
    mapping = getattr(packed, "_mmap", None)  # np.memmap's mmap.mmap (None: empty file)
    data_start = packed.offset if isinstance(packed, np.memmap) else 0
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
            raise error(f"array {name}: bad entry in meta.json") from None
        if (
            not ARRAY_NAME.match(str(name))
            or dtype.hasobject
            or dtype.kind not in "iufbS"
            or min(shape, default=0) < 0
            or nbytes != dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            or offset < 0
            or offset % ALIGN
            or offset + nbytes > packed.shape[0]
        ):
            raise error(f"array {name}: bad dtype, shape or place in meta.json")
        arrays[name] = packed[offset : offset + nbytes].view(dtype).reshape(shape)
        regions.append((offset, nbytes, name, spec.get("sha256")))
    return MappedVersion(meta, arrays, packed, regions, error, mapping, data_start, trusted)
