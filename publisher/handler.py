"""The publisher Lambda: course files uploaded to S3 go to the EFS folder the bot reads.

Handler: ``publisher.handler.lambda_handler`` (``PublisherFunction`` in deploy/template.yaml,
packaged into ``build/publisher.zip`` by ``python -m deploy.package_publisher``; never in the
bot's ``function.zip``).

Authors upload course files into the staging prefix of the stack's publish bucket
(``s3://PublishBucket/staging/``, files directly under it). Each upload of a course file
(``.yaml``, ``.yml``, ``.json``) triggers this function, which publishes the **whole** staging
folder, so the staging folder is the source of truth for the course:

1. **Settle.** An upload of several files triggers once per file. The function waits until
   the folder has had no new upload for ``SETTLE_SECONDS`` (default 10) and then acts only
   for the newest upload; earlier events end as ``superseded`` (the newest one publishes the
   complete set). The function's reserved concurrency of 1 runs publishes one at a time.
2. **Validate.** Every course file is downloaded to a temporary folder and validated with
   ``deploy.publish_graph.plan_publication`` (the same code as ``make publish-graph``).
   With an error nothing is written to EFS: learners keep the course they had.
3. **Publish.** ``deploy.publish_graph.publish_to_directory`` writes each file into a
   staging folder on EFS and renames it into place (atomic), removes course files no longer
   in the staging prefix, and writes the compiled index and, last, the publish manifest.
4. **Report.** ``PUBLISH-REPORT.txt`` is written next to the upload: ``published N lessons,
   version V`` (V: a hash of the published files) or ``NOT published`` with each problem as
   ``file:line`` (the S3 key of the file). An EMF metric (namespace ``Lessonbot``, service
   ``lessonbot-publisher``) counts ``Publishes`` or ``PublishFailures``.

Environment: ``LESSON_DIR`` (the EFS mount, default ``/mnt/lessons``), ``STAGING_PREFIX``
(default ``staging/``), ``SETTLE_SECONDS``.

Example
-------
>>> course_key("staging/python.yaml", "staging/"), course_key("staging/a/b.yaml", "staging/")
(True, False)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

REPORT_NAME = "PUBLISH-REPORT.txt"
SERVICE = "lessonbot-publisher"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Lessonbot")
COURSE_SUFFIXES = (".yaml", ".yml", ".json")
#: How many times a publish waits for uploads to settle before acting anyway.
MAX_SETTLE_ROUNDS = 30


@dataclass
class Outcome:
    """What one event did: ``published``, ``refused``, ``failed``, ``superseded``, ``ignored``."""

    status: str
    key: str
    lessons: int = 0
    version: str = ""
    report: str = ""
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def course_key(key: str, prefix: str) -> bool:
    """True for a course file directly under the staging ``prefix``."""
    if not key.startswith(prefix):
        return False
    name = key[len(prefix) :]
    return bool(name) and "/" not in name and name.lower().endswith(COURSE_SUFFIXES)


def _staged_objects(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """The course-file objects directly under ``prefix`` (paginated)."""
    objects = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        objects += [o for o in page.get("Contents", []) if course_key(o["Key"], prefix)]
    return objects


def _newest(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return max(objects, key=lambda o: (o["LastModified"], o["Key"]))


def version_of(files: dict[str, bytes]) -> str:
    """A short hash of the published file names and contents (the report's version).

    Example
    -------
    >>> version_of({"a.yaml": b"x"})
    '8d7995b4899c'
    """
    digest = hashlib.sha256()
    for name, content in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()[:12]


def emit_metric(name: str) -> None:
    """One EMF line counting ``name`` (read by the stack's alarm and dashboard)."""
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": NAMESPACE,
                            "Dimensions": [["service"]],
                            "Metrics": [{"Name": name, "Unit": "Count"}],
                        }
                    ],
                },
                "service": SERVICE,
                name: 1,
            }
        ),
        flush=True,
    )


def publish_staged(
    s3: Any,
    bucket: str,
    key: str,
    *,
    lesson_dir: str | os.PathLike[str],
    prefix: str = "staging/",
    settle_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> Outcome:
    """Publish the staging folder of ``s3://bucket/prefix`` to ``lesson_dir`` for upload ``key``."""
    from deploy.publish_graph import PublishRefused, plan_publication, publish_to_directory

    if not course_key(key, prefix):
        return Outcome("ignored", key, report=f"{key}: not a course file directly under {prefix}")
    for _ in range(MAX_SETTLE_ROUNDS):
        objects = _staged_objects(s3, bucket, prefix)
        mine = next((o for o in objects if o["Key"] == key), None)
        newest = _newest(objects) if objects else None
        if mine is None or newest is None or newest["Key"] != key:
            return Outcome("superseded", key, report=f"{key}: a later upload publishes the set")
        age = now() - newest["LastModified"].timestamp()
        if age >= settle_seconds:
            break
        sleep(settle_seconds - age)
    with tempfile.TemporaryDirectory(prefix="publish-") as tmp:
        files: dict[str, bytes] = {}
        for obj in objects:
            name = obj["Key"][len(prefix) :]
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            (Path(tmp) / name).write_bytes(body)
            files[name] = body
        where = f"s3://{bucket}/{prefix}"
        try:
            plan = plan_publication(tmp, str(lesson_dir), delete=True)
        except PublishRefused as exc:
            details = exc.report.format() if exc.report is not None else str(exc)
            details = details.replace(tmp + os.sep, where).replace(tmp, where.rstrip("/"))
            outcome = Outcome("refused", key, report=details)
        else:
            try:
                result = publish_to_directory(plan, lesson_dir)
            except Exception as exc:  # EFS or compile failure: say so, keep the details
                outcome = Outcome("failed", key, report=f"{type(exc).__name__}: {exc}")
            else:
                graph = plan.report.graph if plan.report is not None else None
                warnings = plan.report.format() if plan.report and plan.report.warnings else ""
                outcome = Outcome(
                    "published",
                    key,
                    lessons=graph.number_of_nodes() if graph is not None else 0,
                    version=version_of(files),
                    report=warnings.replace(tmp + os.sep, where),
                    written=result.written,
                    deleted=result.deleted,
                )
    _write_report(s3, bucket, prefix, outcome)
    emit_metric("Publishes" if outcome.status == "published" else "PublishFailures")
    return outcome


def format_report(outcome: Outcome) -> str:
    """The human-readable text of ``PUBLISH-REPORT.txt``."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    if outcome.status == "published":
        lines = [
            f"published {outcome.lessons} lessons, version {outcome.version}",
            f"at {stamp}, triggered by {outcome.key}",
            f"written: {', '.join(outcome.written) or 'nothing (unchanged)'}",
            f"removed: {', '.join(outcome.deleted) or 'nothing'}",
        ]
        if outcome.report:
            lines += ["", "warnings:", outcome.report]
    else:
        lines = [
            f"NOT published ({outcome.status}): learners keep the course they had",
            f"at {stamp}, triggered by {outcome.key}",
            "",
            outcome.report,
            "",
            "Fix the files (check: `python -m knowledge_graph validate FOLDER`), upload again.",
        ]
    return "\n".join(lines) + "\n"


def _write_report(s3: Any, bucket: str, prefix: str, outcome: Outcome) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=prefix + REPORT_NAME,
        Body=format_report(outcome).encode("utf-8"),
        ContentType="text/plain; charset=utf-8",
    )


def lambda_handler(event: dict[str, Any], context: Any = None, *, s3: Any = None) -> dict:
    """Handle an S3 ``ObjectCreated`` event (one or more records)."""
    if s3 is None:
        from knowledge_graph.aws_clients import S3_PUBLISHING, make_client

        s3 = make_client("s3", S3_PUBLISHING)
    lesson_dir = os.environ.get("LESSON_DIR", "/mnt/lessons")
    prefix = os.environ.get("STAGING_PREFIX", "staging/")
    settle = float(os.environ.get("SETTLE_SECONDS", "10"))
    outcomes = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        outcome = publish_staged(
            s3, bucket, key, lesson_dir=lesson_dir, prefix=prefix, settle_seconds=settle
        )
        print(
            json.dumps(
                {
                    "message": "publish",
                    "status": outcome.status,
                    "key": key,
                    "lessons": outcome.lessons,
                    "version": outcome.version,
                }
            ),
            flush=True,
        )
        outcomes.append({"key": key, "status": outcome.status, "version": outcome.version})
    return {"outcomes": outcomes}
