"""The S3-triggered publisher (publisher/handler.py) against moto S3 and a folder for EFS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from course_files import course_text
from moto import mock_aws

from knowledge_graph import load_graph
from knowledge_graph.compiled import INDEX_DIR, MANIFEST_NAME
from publisher.handler import REPORT_NAME, lambda_handler, publish_staged

BUCKET = "lessonbot-publish-test"
PREFIX = "staging/"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def efs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "efs"
    folder.mkdir()
    monkeypatch.setenv("LESSON_DIR", str(folder))
    monkeypatch.setenv("STAGING_PREFIX", PREFIX)
    monkeypatch.setenv("SETTLE_SECONDS", "0")
    return folder


def upload(s3: Any, name: str, text: str) -> dict[str, Any]:
    s3.put_object(Bucket=BUCKET, Key=PREFIX + name, Body=text.encode())
    return {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": PREFIX + name}}}]}


def report(s3: Any) -> str:
    return s3.get_object(Bucket=BUCKET, Key=PREFIX + REPORT_NAME)["Body"].read().decode()


def metrics(out: str) -> list[str]:
    names = []
    for line in out.splitlines():
        if '"_aws"' in line:
            blob = json.loads(line)
            names += [m["Name"] for m in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    return names


def test_good_files_are_published_atomically_with_a_report_and_a_metric(
    s3: Any, efs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upload(s3, "alpha.yaml", course_text("alpha", ["Start", "Middle", "End"]))
    event = upload(s3, "beta.yaml", course_text("beta", ["One", "Two"]))
    result = lambda_handler(event)
    assert result["outcomes"][0]["status"] == "published"
    # the course files, the compiled index and the manifest; no staging folder left on "EFS"
    names = sorted(p.name for p in efs.iterdir())
    assert names == sorted([INDEX_DIR, MANIFEST_NAME, "alpha.yaml", "beta.yaml"])
    assert {lesson.title for lesson in load_graph(efs).lessons()} == {
        "Start",
        "Middle",
        "End",
        "One",
        "Two",
    }
    text = report(s3)
    version = result["outcomes"][0]["version"]
    assert text.startswith(f"published 5 lessons, version {version}\n")
    assert metrics(capsys.readouterr().out) == ["Publishes"]


def test_broken_files_publish_nothing_and_the_report_names_file_and_line(
    s3: Any, efs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lambda_handler(upload(s3, "alpha.yaml", course_text("alpha", ["Start", "End"])))

    def snapshot() -> dict[str, bytes]:
        return {str(p.relative_to(efs)): p.read_bytes() for p in efs.rglob("*") if p.is_file()}

    served = snapshot()
    capsys.readouterr()

    event = upload(s3, "alpha.yaml", course_text("alpha", ["Start", "End"], broken=True))
    result = lambda_handler(event)
    assert result["outcomes"][0]["status"] == "refused"
    assert snapshot() == served  # nothing changed, the compiled index and manifest included
    text = report(s3)
    assert text.startswith("NOT published (refused)")
    # the problem's file:line, named by its S3 location (not the temporary folder)
    assert f"s3://{BUCKET}/{PREFIX}alpha.yaml:" in text and "missing-lesson" in text
    assert "/tmp" not in text
    assert metrics(capsys.readouterr().out) == ["PublishFailures"]


def test_files_removed_from_staging_are_removed_from_efs(s3: Any, efs: Path) -> None:
    upload(s3, "alpha.yaml", course_text("alpha", ["Start"]))
    lambda_handler(upload(s3, "beta.yaml", course_text("beta", ["One"])))
    s3.delete_object(Bucket=BUCKET, Key=PREFIX + "beta.yaml")
    lambda_handler(upload(s3, "alpha.yaml", course_text("alpha", ["Start", "Next"])))
    assert sorted(p.name for p in efs.iterdir()) == sorted([INDEX_DIR, MANIFEST_NAME, "alpha.yaml"])
    assert "removed: beta.yaml" in report(s3)


def removal(s3: Any, name: str, when: datetime | None = None) -> dict[str, Any]:
    s3.delete_object(Bucket=BUCKET, Key=PREFIX + name)
    stamp = (when or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    record = {
        "eventName": "ObjectRemoved:Delete",
        "eventTime": stamp,
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": PREFIX + name}},
    }
    return {"Records": [record]}


def test_a_removal_alone_publishes_the_course_set_without_the_removed_file(
    s3: Any, efs: Path
) -> None:
    # `aws s3 sync --delete` that only removes a file sends only an ObjectRemoved event
    upload(s3, "alpha.yaml", course_text("alpha", ["Start"]))
    lambda_handler(upload(s3, "beta.yaml", course_text("beta", ["One"])))
    assert {lesson.title for lesson in load_graph(efs).lessons()} == {"Start", "One"}
    result = lambda_handler(removal(s3, "beta.yaml"))
    assert result["outcomes"][0]["status"] == "published"
    assert sorted(p.name for p in efs.iterdir()) == sorted([INDEX_DIR, MANIFEST_NAME, "alpha.yaml"])
    assert {lesson.title for lesson in load_graph(efs).lessons()} == {"Start"}
    text = report(s3)
    assert text.startswith("published 1 lessons, version ")
    assert f"triggered by the removal of {PREFIX}beta.yaml" in text
    assert "removed: beta.yaml" in text


def test_a_removal_followed_by_an_upload_leaves_the_publish_to_the_upload(
    s3: Any, efs: Path
) -> None:
    lambda_handler(upload(s3, "alpha.yaml", course_text("alpha", ["Start"])))
    event = removal(s3, "alpha.yaml", when=datetime(2000, 1, 1, tzinfo=UTC))
    upload(s3, "alpha.yaml", course_text("alpha", ["Start", "Next"]))
    assert lambda_handler(event)["outcomes"][0]["status"] == "superseded"


def test_reports_and_other_keys_are_ignored(s3: Any, efs: Path) -> None:
    for key in (PREFIX + REPORT_NAME, PREFIX + "sub/alpha.yaml", "elsewhere/alpha.yaml"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
        event = {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}}]}
        assert lambda_handler(event)["outcomes"][0]["status"] == "ignored"
    assert list(efs.iterdir()) == []


def test_an_older_upload_leaves_the_publish_to_the_newest(s3: Any, efs: Path) -> None:
    first = upload(s3, "alpha.yaml", course_text("alpha", ["Start"]))
    upload(s3, "beta.yaml", course_text("beta", ["One"]))
    # moto's timestamps have 1 s resolution: make beta clearly the newest upload
    newest = {"Key": PREFIX + "beta.yaml", "LastModified": datetime(2100, 1, 1, tzinfo=UTC)}
    real = s3.get_paginator

    class Paginator:
        def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
            for page in real("list_objects_v2").paginate(**kwargs):
                contents = [o for o in page.get("Contents", []) if o["Key"] != newest["Key"]]
                yield {**page, "Contents": [*contents, newest]}

    s3.get_paginator = lambda name: Paginator()
    outcome = publish_staged(s3, BUCKET, PREFIX + "alpha.yaml", lesson_dir=efs, settle_seconds=0)
    assert outcome.status == "superseded"
    assert list(efs.iterdir()) == []
    del first


def test_it_waits_for_uploads_to_settle(s3: Any, efs: Path) -> None:
    upload(s3, "alpha.yaml", course_text("alpha", ["Start"]))
    clock = [datetime.now(UTC).timestamp()]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    outcome = publish_staged(
        s3,
        BUCKET,
        PREFIX + "alpha.yaml",
        lesson_dir=efs,
        settle_seconds=30,
        sleep=sleep,
        now=lambda: clock[0],
    )
    assert outcome.status == "published"
    assert waits and sum(waits) <= 31


def test_the_publisher_is_not_in_the_bot_package() -> None:
    from deploy.package_publisher import publisher_files

    names = {name for name, _ in publisher_files()}
    assert "publisher/handler.py" in names and "deploy/publish_graph.py" in names
    assert any(name.startswith("knowledge_graph/validation/") for name in names)
    assert not any(name.startswith(("lex_bot/", "tests/")) for name in names)
