"""Publish lesson files to where the Lambda function reads them: a directory or an S3 prefix.

``python -m deploy.publish_graph SRC DEST [--delete] [--dry-run]``

* ``SRC`` is a course file or a folder of course files; it is validated first
  (``knowledge_graph.validate_path``) and nothing is published when it has errors (exit 1,
  the report is printed). When files already at ``DEST`` are kept (no ``--delete``), the
  combined set is validated too, because that is what the function will load.
* ``DEST`` a directory (the EFS mount on an authoring instance): every file is first copied
  into a hidden staging folder inside ``DEST`` (same file system, invisible to the loader),
  then renamed over its target with ``os.replace``, which is atomic: the function never reads
  a half-written file. Unchanged files are left alone. Then the folder's compiled index
  (``.lessonbot-index/``, ``knowledge_graph.compiled``) is written, and last the publish
  manifest ``.lessonbot-manifest.json`` (atomically): a function that sees a manifest
  reloads only when a new one appears, and serves the index it names, so it never sees the
  files of a publication half-way.
* ``DEST`` ``s3://bucket/prefix/``: one ``put_object`` per file (S3 replaces objects
  atomically).
* ``--delete`` removes course files at ``DEST`` that are not in ``SRC`` (after the upload).

On S3 the function may briefly see a mix of old and new files while they are uploaded one by
one; its loader takes a change only once it has settled, validates every version it reads,
keeps serving the last good graph if a mix is inconsistent, and picks up the final set.

Example
-------
>>> plan = plan_publication("data/lessons", "/mnt/lessons")  # doctest: +SKIP
>>> publish_to_directory(plan, "/mnt/lessons")  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge_graph.errors import GraphError, GraphSourceError
from knowledge_graph.file_format import is_course_file_name
from knowledge_graph.sources import RawDocument, list_course_files, read_local_documents
from knowledge_graph.validation import ValidationReport, validate_documents, validate_path

FILE_MODE = 0o644
CONTENT_TYPES = {
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
}


class PublishRefused(RuntimeError):
    """The files were not published; ``report`` says why when validation failed."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Publication:
    """What a publication will do: the files to write and the stale ones to delete."""

    files: dict[str, bytes]
    stale: list[str] = field(default_factory=list)
    report: ValidationReport | None = None


@dataclass
class PublishResult:
    """What a publication did (file names relative to the destination)."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    compiled: Path | None = None
    manifest: Path | None = None


def is_s3(location: str) -> bool:
    """True for ``s3://`` locations.

    Example
    -------
    >>> is_s3("s3://bucket/prefix/"), is_s3("/mnt/lessons")
    (True, False)
    """
    return location.startswith("s3://")


def split_s3(location: str) -> tuple[str, str]:
    """Return ``(bucket, prefix)`` of an ``s3://`` location; the prefix ends with ``/`` or is empty.

    Example
    -------
    >>> split_s3("s3://lessons/course"), split_s3("s3://lessons")
    (('lessons', 'course/'), ('lessons', ''))
    """
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    if not bucket:
        raise PublishRefused(f"{location}: missing bucket name")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def _existing_documents(dest: str, s3_client: Any) -> list[RawDocument]:
    """The course documents already at ``dest`` (none when it is empty or missing)."""
    if is_s3(dest):
        from knowledge_graph.sources import S3Source

        bucket, prefix = split_s3(dest)
        try:
            return S3Source(f"s3://{bucket}/{prefix}", s3_client).read()
        except GraphSourceError as exc:
            if "no course files" in str(exc):
                return []
            raise
    if not Path(dest).is_dir():
        return []
    return read_local_documents(dest)


def _base_name(document_name: str) -> str:
    """The file name of a path or ``s3://`` URL."""
    return document_name.rstrip("/").rsplit("/", 1)[-1]


def plan_publication(
    src: str | os.PathLike[str], dest: str, *, delete: bool = False, s3_client: Any = None
) -> Publication:
    """Validate ``src`` (and what stays at ``dest``) and return what to publish.

    Raises
    ------
    PublishRefused
        When ``src`` (or the combination with kept files) has validation errors; the report
        is attached. Also when ``src`` holds no course file.
    GraphSourceError
        When ``src`` or ``dest`` cannot be read.

    Example
    -------
    >>> plan = plan_publication("data/lessons", "/tmp/empty-dir")  # doctest: +SKIP
    >>> sorted(plan.files)  # doctest: +SKIP
    ['python-intro.yaml']
    """
    report = validate_path(src)
    if not report.ok:
        raise PublishRefused(f"{src}: the lesson files have errors, nothing published", report)
    files = {path.name: path.read_bytes() for path in list_course_files(src)}
    if not files:
        raise PublishRefused(f"{src}: no course files")
    existing = _existing_documents(dest, s3_client)
    others = [doc for doc in existing if _base_name(doc.name) not in files]
    stale = sorted(_base_name(doc.name) for doc in others) if delete else []
    if others and not delete:
        sources = [RawDocument(name, content) for name, content in sorted(files.items())]
        combined = validate_documents([*sources, *others])
        if not combined.ok:
            raise PublishRefused(
                f"{src} together with the files already at {dest} has errors "
                "(use --delete to replace them), nothing published",
                combined,
            )
        report = combined
    return Publication(files=files, stale=stale, report=report)


def publish_to_directory(plan: Publication, dest: str | os.PathLike[str]) -> PublishResult:
    """Write the planned files into ``dest`` atomically (staging folder + ``os.replace``).

    Then delete the planned stale files, write the folder's compiled index and, last, the
    publish manifest naming it.

    Raises
    ------
    GraphValidationError
        When the folder no longer validates when compiling (someone else wrote to it
        meanwhile); the files are in place, but no index or manifest is written, so a
        function watching the manifest keeps serving the previous publication.
    """
    from knowledge_graph.compiled import write_compiled, write_manifest

    target = Path(dest)
    target.mkdir(parents=True, exist_ok=True)
    result = PublishResult()
    staging = Path(tempfile.mkdtemp(prefix=".publish-", dir=target))
    try:
        for name, content in sorted(plan.files.items()):
            final = target / name
            if final.is_file() and final.read_bytes() == content:
                result.unchanged.append(name)
                continue
            staged = staging / name
            with staged.open("wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            staged.chmod(FILE_MODE)
            os.replace(staged, final)
            result.written.append(name)
        for name in plan.stale:
            (target / name).unlink(missing_ok=True)
            result.deleted.append(name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.compiled = write_compiled(target)
    result.manifest = write_manifest(target, result.compiled)
    return result


def publish_to_s3(plan: Publication, dest: str, *, s3_client: Any = None) -> PublishResult:
    """Upload the planned files under the ``s3://bucket/prefix/`` of ``dest``."""
    if s3_client is None:
        from knowledge_graph.aws_clients import S3_PUBLISHING, make_client

        s3_client = make_client("s3", S3_PUBLISHING)
    bucket, prefix = split_s3(dest)
    result = PublishResult()
    for name, content in sorted(plan.files.items()):
        suffix = name[name.rfind(".") :].lower()
        s3_client.put_object(
            Bucket=bucket,
            Key=prefix + name,
            Body=content,
            ContentType=CONTENT_TYPES.get(suffix, "application/octet-stream"),
        )
        result.written.append(name)
    for name in plan.stale:
        if is_course_file_name(name):
            s3_client.delete_object(Bucket=bucket, Key=prefix + name)
            result.deleted.append(name)
    return result


def publish(
    src: str | os.PathLike[str], dest: str, *, delete: bool = False, s3_client: Any = None
) -> PublishResult:
    """Validate ``src`` and publish it to the directory or ``s3://`` prefix ``dest``.

    Raises
    ------
    PublishRefused
        When validation fails (nothing is written).
    """
    if s3_client is None and is_s3(dest):
        from knowledge_graph.aws_clients import S3_PUBLISHING, make_client

        s3_client = make_client("s3", S3_PUBLISHING)  # reads what is there, then writes
    plan = plan_publication(src, dest, delete=delete, s3_client=s3_client)
    if is_s3(dest):
        return publish_to_s3(plan, dest, s3_client=s3_client)
    return publish_to_directory(plan, dest)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; exit 0 when published (or a clean dry run), 1 when refused or failed."""
    parser = argparse.ArgumentParser(prog="python -m deploy.publish_graph", description=__doc__)
    parser.add_argument("src", help="course file or folder to publish")
    parser.add_argument("dest", help="folder (the EFS mount) or s3://bucket/prefix/")
    parser.add_argument("--delete", action="store_true", help="remove course files not in SRC")
    parser.add_argument("--dry-run", action="store_true", help="validate and plan only")
    args = parser.parse_args(argv)
    try:
        plan = plan_publication(args.src, args.dest, delete=args.delete)
        if plan.report is not None and plan.report.warnings:
            print(plan.report.format())
        if args.dry_run:
            print(f"dry run: would write {sorted(plan.files)}, delete {plan.stale}")
            return 0
        if is_s3(args.dest):
            result = publish_to_s3(plan, args.dest)
        else:
            result = publish_to_directory(plan, args.dest)
    except PublishRefused as exc:
        if exc.report is not None:
            print(exc.report.format(), file=sys.stderr)
        print(f"publish_graph: REFUSED: {exc}", file=sys.stderr)
        return 1
    except (GraphError, OSError) as exc:
        print(f"publish_graph: FAILED: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # botocore errors: report, don't dump a traceback on authors
        print(f"publish_graph: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(
        f"published to {args.dest}: written {result.written}, unchanged {result.unchanged}, "
        f"deleted {result.deleted}"
    )
    if result.compiled is not None:
        print(f"compiled index: {result.compiled}")
    if result.manifest is not None:
        print(f"publish manifest (written last): {result.manifest}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
