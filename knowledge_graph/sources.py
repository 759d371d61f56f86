"""Where course files come from: reading their bytes from a local path or from S3.

* :class:`RawDocument` is one course file's name and bytes, before parsing.
* :func:`list_course_files` and :func:`read_local_documents` read a file or a folder.
* :class:`LocalSource` and :class:`S3Source` (chosen by :func:`open_source`) are what the
  loader polls: a cheap :meth:`~GraphSource.signature` that changes with the content, and
  :meth:`~GraphSource.read` for the documents.

Nothing here parses or checks content (that is :mod:`knowledge_graph.validation`).

Example
-------
>>> docs = open_source("data/lessons").read()
>>> [doc.name for doc in docs]
['data/lessons/python-intro.yaml', 'data/lessons/python-testing.yaml']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from knowledge_graph.errors import GraphSourceError
from knowledge_graph.file_format import MAX_COURSE_FILES, MAX_FILE_BYTES, is_course_file_name

#: A cheap fingerprint of a source's content (see :meth:`GraphSource.signature`).
Signature = tuple[Hashable, ...]


@dataclass(frozen=True)
class RawDocument:
    """The bytes of one course file, as read from disk or S3.

    Parameters
    ----------
    name : str
        Path or URL used in messages; a ``.json`` suffix selects JSON, anything else YAML.
    content : bytes
        The file content (may be empty when ``size`` exceeds the limit).
    size : int or None
        The full size in bytes; defaults to ``len(content)``.
    """

    name: str
    content: bytes
    size: int | None = None

    @classmethod
    def from_text(cls, name: str, text: str) -> RawDocument:
        """Build a document from text (tests, CLI stdin).

        Example
        -------
        >>> RawDocument.from_text("a.yaml", "x: 1").byte_size
        4
        """
        return cls(name, text.encode("utf-8"))

    @property
    def byte_size(self) -> int:
        """The size in bytes (``size`` or the content length)."""
        return len(self.content) if self.size is None else self.size


def list_course_files(path: str | os.PathLike[str]) -> list[Path]:
    """Return the course files at ``path``: the file itself, or a directory's course files.

    Directories are scanned non-recursively; hidden files and editor backups are skipped.
    Files come back sorted by name.

    Raises
    ------
    GraphSourceError
        When ``path`` does not exist or cannot be listed.

    Example
    -------
    >>> [p.name for p in list_course_files("data/lessons")]
    ['python-intro.yaml', 'python-testing.yaml']
    >>> list_course_files("/nonexistent")
    Traceback (most recent call last):
    ...
    knowledge_graph.errors.GraphSourceError: /nonexistent: no such file or directory
    """
    where = Path(path)
    try:
        if where.is_dir():
            return sorted(
                (p for p in where.iterdir() if p.is_file() and is_course_file_name(p.name)),
                key=lambda p: p.name,
            )
        if where.is_file():
            return [where]
    except OSError as exc:
        raise GraphSourceError(f"{where}: cannot list: {exc.strerror or exc}") from exc
    raise GraphSourceError(f"{where}: no such file or directory")


def read_local_documents(path: str | os.PathLike[str]) -> list[RawDocument]:
    """Read every course file at ``path`` (see :func:`list_course_files`).

    Files larger than the size limit are not read; their ``size`` reports the real size.

    Raises
    ------
    GraphSourceError
        When the path is missing or a file cannot be read.

    Example
    -------
    >>> [doc.byte_size > 0 for doc in read_local_documents("data/lessons")]
    [True, True]
    """
    documents = []
    for file in list_course_files(path):
        try:
            with file.open("rb") as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise GraphSourceError(f"{file}: cannot read: {exc.strerror or exc}") from exc
        size = len(content)
        documents.append(RawDocument(str(file), b"" if size > MAX_FILE_BYTES else content, size))
    return documents


class GraphSource(Protocol):
    """Where course files come from."""

    location: str

    def signature(self) -> Signature:
        """Return a cheap fingerprint that changes whenever the content changes."""
        ...

    def read(self) -> list[RawDocument]:
        """Return the course documents."""
        ...

    def compiled_folder(self) -> str | None:
        """The folder that may hold a compiled graph of the documents, or None for none."""
        ...


@dataclass
class LocalSource:
    """A course file or a directory of course files on the local file system.

    The signature is the sorted ``(name, mtime_ns, size)`` of the course files.

    Example
    -------
    >>> source = LocalSource("data/lessons")
    >>> [name for name, _, _ in source.signature()], source.compiled_folder()
    (['python-intro.yaml', 'python-testing.yaml'], 'data/lessons')
    """

    location: str

    def signature(self) -> Signature:
        """Return ``(name, mtime_ns, size)`` of every course file; raise GraphSourceError."""
        entries = []
        for file in list_course_files(self.location):
            try:
                info = file.stat()
            except OSError as exc:
                raise GraphSourceError(f"{file}: cannot stat: {exc.strerror or exc}") from exc
            entries.append((file.name, info.st_mtime_ns, info.st_size))
        return tuple(entries)

    def read(self) -> list[RawDocument]:
        """Read the course files; raise GraphSourceError when they cannot be read."""
        return read_local_documents(self.location)

    def compiled_folder(self) -> str | None:
        """The directory itself (a single file has no compiled graph)."""
        return self.location if os.path.isdir(self.location) else None


@dataclass
class S3Source:
    """Course files in S3: one object (``s3://bucket/key.yaml``) or a prefix.

    A location whose key has a course-file suffix names one object; anything else is a
    prefix (a trailing ``/`` is added) and every course file directly under it is read.
    The signature is the sorted ``(key, etag, size)`` of the objects.

    Example
    -------
    >>> source = S3Source("s3://lessons/python")  # no request is made until it is read
    >>> source.bucket, source.key, source.single
    ('lessons', 'python/', False)
    """

    location: str
    client: Any = None

    def __post_init__(self) -> None:
        rest = self.location.removeprefix("s3://")
        self.bucket, _, key = rest.partition("/")
        if not self.bucket:
            raise GraphSourceError(f"{self.location}: missing bucket name")
        self.single = is_course_file_name(key.rsplit("/", 1)[-1])
        self.key = key if self.single or not key or key.endswith("/") else key + "/"

    def _client(self) -> Any:
        """Return the boto3 S3 client (created lazily)."""
        if self.client is None:
            from knowledge_graph.aws_clients import S3_SERVING, make_client

            self.client = make_client("s3", S3_SERVING)
        return self.client

    def _call(self, what: str, func: Callable[..., Any], **kwargs: Any) -> Any:
        """Call an S3 API and turn botocore failures into GraphSourceError."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return func(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise GraphSourceError(f"{self.location}: {what} failed: {code}") from exc
        except BotoCoreError as exc:
            raise GraphSourceError(f"{self.location}: {what} failed: {exc}") from exc

    def _objects(self) -> list[tuple[str, str, int]]:
        """Return sorted ``(key, etag, size)`` of the course objects."""
        client = self._client()
        if self.single:
            head = self._call("head_object", client.head_object, Bucket=self.bucket, Key=self.key)
            return [(self.key, head.get("ETag", ""), int(head.get("ContentLength", 0)))]
        objects: list[tuple[str, str, int]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.key, "Delimiter": "/"}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list_objects_v2", client.list_objects_v2, **kwargs)
            contents = page.get("Contents", []) if isinstance(page, dict) else None
            if not isinstance(contents, list):
                raise GraphSourceError(f"{self.location}: list_objects_v2 returned no listing")
            for item in contents:
                key, size = _listed(item, self.location)
                if is_course_file_name(key.rsplit("/", 1)[-1]):
                    objects.append((key, str(item.get("ETag", "")), size))
            if len(objects) > MAX_COURSE_FILES:
                raise GraphSourceError(f"{self.location}: more than {MAX_COURSE_FILES} files")
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        if not objects:
            raise GraphSourceError(f"{self.location}: no course files under this prefix")
        return sorted(objects)

    def signature(self) -> Signature:
        """Return the sorted ``(key, etag, size)`` of the course objects."""
        return tuple(self._objects())

    def compiled_folder(self) -> str | None:
        """S3 sources are always validated (no compiled file is looked for)."""
        return None

    def read(self) -> list[RawDocument]:
        """Download the course objects (text only; too-large objects are not fetched)."""
        client = self._client()
        documents = []
        for key, _, size in self._objects():
            name = f"s3://{self.bucket}/{key}"
            if size > MAX_FILE_BYTES:
                documents.append(RawDocument(name, b"", size))
                continue
            body = self._call("get_object", client.get_object, Bucket=self.bucket, Key=key)
            content = body["Body"].read(MAX_FILE_BYTES + 1)
            documents.append(RawDocument(name, content, len(content)))
        return documents


def _listed(item: Any, location: str) -> tuple[str, int]:
    """``(Key, Size)`` of one listing item; GraphSourceError when it is malformed.

    Example
    -------
    >>> _listed({"Key": "p/a.yaml", "Size": 3}, "s3://b/p/")
    ('p/a.yaml', 3)
    >>> _listed({"Size": 3}, "s3://b/p/")
    Traceback (most recent call last):
    ...
    knowledge_graph.errors.GraphSourceError: s3://b/p/: listing item without a Key
    """
    key = item.get("Key") if isinstance(item, dict) else None
    if not isinstance(key, str) or not key:
        raise GraphSourceError(f"{location}: listing item without a Key")
    size = item.get("Size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise GraphSourceError(f"{location}: listing item {key!r} without a size")
    return key, size


def open_source(location: str | os.PathLike[str], *, s3_client: Any = None) -> GraphSource:
    """Return the source for a path or ``s3://`` URL.

    Example
    -------
    >>> type(open_source("data/lessons")).__name__, type(open_source("s3://b/p/")).__name__
    ('LocalSource', 'S3Source')
    """
    location = os.fspath(location)
    if location.startswith("s3://"):
        return S3Source(location, s3_client)
    return LocalSource(location)
