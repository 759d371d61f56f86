"""The authors' publishing path: deploy/publish_graph.py and deploy/sync_slot_types.py."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from clocks import ManualClock
from course_files import course_text
from moto import mock_aws

from deploy import publish_graph
from deploy.publish_graph import PublishRefused, plan_publication, publish, split_s3
from deploy.sync_slot_types import SlotTypeSync, SyncError, api_slot_values
from knowledge_graph import load_graph
from knowledge_graph.compiled import (
    CURRENT_NAME,
    INDEX_DIR,
    MANIFEST_NAME,
    current_version,
    open_index,
    read_manifest,
)
from knowledge_graph.loader import serve_tables
from knowledge_graph.sources import LocalSource

BUCKET = "lessonbot-test-lessons"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "alpha.yaml").write_text(course_text("alpha", ["Start", "Middle", "End"]))
    (folder / "beta.yaml").write_text(course_text("beta", ["One", "Two"]))
    (folder / "notes.txt").write_text("not a course file")
    return folder


@pytest.fixture
def broken_source(tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "alpha.yaml").write_text(course_text("alpha", ["Start", "End"], broken=True))
    return folder


# ----------------------------------------------------------------------------- directory


def test_invalid_graph_is_refused_and_nothing_is_written(
    broken_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "efs"
    dest.mkdir()
    assert publish_graph.main([str(broken_source), str(dest)]) == 1
    err = capsys.readouterr().err
    assert "REFUSED" in err and "missing-lesson" in err  # the validation report is printed
    assert list(dest.iterdir()) == []


def test_valid_graph_is_published_to_a_directory_and_loads(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "efs"
    assert publish_graph.main([str(source), str(dest)]) == 0
    # the course files and their compiled graph; no staging folder is left behind
    assert sorted(p.name for p in dest.iterdir()) == [
        INDEX_DIR,
        MANIFEST_NAME,
        "alpha.yaml",
        "beta.yaml",
    ]
    assert (dest / "alpha.yaml").read_bytes() == (source / "alpha.yaml").read_bytes()
    assert (dest / "alpha.yaml").stat().st_mode & 0o777 == 0o644
    assert {lesson.title for lesson in load_graph(dest).lessons()} == {
        "Start",
        "Middle",
        "End",
        "One",
        "Two",
    }


def test_publishing_writes_a_current_index_then_the_manifest(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "efs"
    result = publish(source, str(dest))
    assert result.compiled == current_version(dest) and result.manifest == dest / MANIFEST_NAME
    manifest = read_manifest(dest)
    assert manifest is not None and manifest["index"] == result.compiled.name
    tables = open_index(result.compiled)  # digests and structure checked
    digests = {doc.name.rsplit("/", 1)[-1]: doc for doc in LocalSource(str(dest)).read()}
    assert tables.sources() == {
        name: hashlib.sha256(doc.content).hexdigest() for name, doc in digests.items()
    }
    assert {f["name"]: f["sha256"] for f in tables.meta["files"]} == {
        name: spec["sha256"] for name, spec in manifest["files"].items()
    }
    assert {lesson.title for lesson in serve_tables(tables).lessons()} == {
        "Start",
        "Middle",
        "End",
        "One",
        "Two",
    }
    (source / "beta.yaml").write_text(course_text("beta", ["One", "Two", "Three"]))
    second = publish(source, str(dest))
    renewed = read_manifest(dest)
    assert renewed is not None and renewed["publication"] != manifest["publication"]
    assert second.compiled is not None and second.compiled != result.compiled
    titles = {lesson.title for lesson in serve_tables(open_index(second.compiled)).lessons()}
    assert "Three" in titles


def test_unchanged_files_are_not_rewritten(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "efs"
    publish(source, str(dest))
    os.utime(dest / "alpha.yaml", ns=(1, 1))
    (source / "beta.yaml").write_text(course_text("beta", ["One", "Two", "Three"]))
    result = publish(source, str(dest))
    assert result.unchanged == ["alpha.yaml"] and result.written == ["beta.yaml"]
    assert (dest / "alpha.yaml").stat().st_mtime_ns == 1  # the loader sees no change there


def test_files_are_renamed_into_place_complete(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "efs"
    dest.mkdir()
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def checked_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        src, dst = Path(src), Path(dst)
        renames.append((src, dst))
        if dst.parent.name == INDEX_DIR or dst.name == MANIFEST_NAME:  # after the files
            real_replace(src, dst)
            return
        assert src.parent.parent == dest and src.parent.name.startswith(".")  # hidden staging
        assert src.read_bytes() == (source / dst.name).read_bytes()  # complete before the swap
        real_replace(src, dst)

    monkeypatch.setattr(publish_graph.os, "replace", checked_replace)
    publish(source, str(dest))
    names = [dst.name for _, dst in renames]
    version = current_version(dest)
    assert version is not None
    # the course files, then the index version and its pointer, and the manifest last
    assert names == ["alpha.yaml", "beta.yaml", version.name, CURRENT_NAME, MANIFEST_NAME]


def test_kept_destination_files_are_validated_with_the_new_ones(
    source: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "efs"
    dest.mkdir()
    # An old file declaring the same course id as alpha.yaml: together they are invalid.
    (dest / "old-alpha.yaml").write_text(course_text("alpha", ["Old"]))
    with pytest.raises(PublishRefused) as refused:
        publish(source, str(dest))
    assert refused.value.report is not None and not refused.value.report.ok
    assert sorted(p.name for p in dest.iterdir()) == ["old-alpha.yaml"]

    result = publish(source, str(dest), delete=True)
    assert result.deleted == ["old-alpha.yaml"]
    assert sorted(p.name for p in dest.iterdir()) == [
        INDEX_DIR,
        MANIFEST_NAME,
        "alpha.yaml",
        "beta.yaml",
    ]


def test_dry_run_writes_nothing(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "efs"
    dest.mkdir()
    assert publish_graph.main([str(source), str(dest), "--dry-run"]) == 0
    assert list(dest.iterdir()) == []


def test_split_s3() -> None:
    assert split_s3("s3://b/p") == ("b", "p/")
    assert split_s3("s3://b/p/q/") == ("b", "p/q/")
    with pytest.raises(PublishRefused):
        split_s3("s3:///key")


# ----------------------------------------------------------------------------- S3


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_valid_graph_is_published_to_s3_and_loads(source: Path, s3) -> None:
    result = publish(source, f"s3://{BUCKET}/courses", s3_client=s3)
    assert result.written == ["alpha.yaml", "beta.yaml"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == ["courses/alpha.yaml", "courses/beta.yaml"]
    head = s3.head_object(Bucket=BUCKET, Key="courses/alpha.yaml")
    assert head["ContentType"] == "application/yaml"
    graph = load_graph(f"s3://{BUCKET}/courses/")
    assert len(list(graph.lessons())) == 5


def test_invalid_graph_is_not_uploaded_to_s3(broken_source: Path, s3) -> None:
    with pytest.raises(PublishRefused):
        publish(broken_source, f"s3://{BUCKET}/courses/", s3_client=s3)
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_s3_delete_removes_stale_course_files_only(source: Path, s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="courses/gone.yaml", Body=course_text("gone", ["G"]).encode())
    s3.put_object(Bucket=BUCKET, Key="courses/README.txt", Body=b"keep me")
    result = publish(source, f"s3://{BUCKET}/courses/", delete=True, s3_client=s3)
    assert result.deleted == ["gone.yaml"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == ["courses/README.txt", "courses/alpha.yaml", "courses/beta.yaml"]


def test_plan_keeps_existing_s3_files_that_fit(source: Path, s3) -> None:
    s3.put_object(Bucket=BUCKET, Key="c/gamma.yaml", Body=course_text("gamma", ["X"]).encode())
    plan = plan_publication(source, f"s3://{BUCKET}/c/", s3_client=s3)
    assert sorted(plan.files) == ["alpha.yaml", "beta.yaml"] and plan.stale == []
    assert plan.report is not None and len(plan.report.files) == 3


# ----------------------------------------------------------------------------- sync slot types

BOT_ID = "BOTID12345"
ALIAS_ID = "ALIASID123"
#: Each locale gets its own values (its titles and module names).
SLOT_VALUES = {
    "en_US": {
        "LessonNameType": [
            {"value": "Loops", "synonyms": ["for loops", "Loops"]},
            {"value": "Variables", "synonyms": []},
        ],
        "ModuleType": [{"value": "Basics", "synonyms": ["basic"]}],
    },
    "es_US": {
        "LessonNameType": [
            {"value": "Bucles", "synonyms": ["Loops", "bucles for"]},
            {"value": "Variables", "synonyms": []},
        ],
        "ModuleType": [{"value": "Conceptos básicos", "synonyms": ["Basics"]}],
    },
}


@pytest.fixture
def lex():
    client = boto3.client(
        "lexv2-models",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _expect_slot_type_update(
    stubber: Stubber, locale: str, name: str, type_id: str, values: object = None
) -> None:
    """Expect the sync of one slot type: find it, read it, update it with ``values``.

    ``values`` defaults to the API form of ``SLOT_VALUES[name]``.
    """
    draft = {"botId": BOT_ID, "botVersion": "DRAFT", "localeId": locale}
    stubber.add_response(
        "list_slot_types",
        {"slotTypeSummaries": [{"slotTypeId": type_id, "slotTypeName": name}], **draft},
        {**draft, "filters": [{"name": "SlotTypeName", "values": [name], "operator": "EQ"}]},
    )
    stubber.add_response(
        "describe_slot_type",
        {
            "slotTypeId": type_id,
            "slotTypeName": name,
            "description": f"{name} from the lesson graph",
            "valueSelectionSetting": {"resolutionStrategy": "TOP_RESOLUTION"},
            **draft,
        },
        {"slotTypeId": type_id, **draft},
    )
    stubber.add_response(
        "update_slot_type",
        {"slotTypeId": type_id, "slotTypeName": name, **draft},
        {
            "slotTypeId": type_id,
            "slotTypeName": name,
            "description": f"{name} from the lesson graph",
            "slotTypeValues": api_slot_values(SLOT_VALUES[locale][name])
            if values is None
            else values,
            "valueSelectionSetting": {"resolutionStrategy": "ORIGINAL_VALUE"},
            **draft,
        },
    )


def _expect_build(stubber: Stubber, locale: str, statuses: list[str]) -> None:
    draft = {"botId": BOT_ID, "botVersion": "DRAFT", "localeId": locale}
    stubber.add_response("build_bot_locale", {"botLocaleStatus": "Building", **draft}, draft)
    for status in statuses:
        stubber.add_response("describe_bot_locale", {"botLocaleStatus": status, **draft}, draft)


def test_sync_updates_builds_versions_and_moves_the_alias_in_order(lex) -> None:
    client, stubber = lex
    locales = ["en_US", "es_US"]
    for locale in locales:
        _expect_slot_type_update(stubber, locale, "LessonNameType", f"L{locale[:2].upper()}0000001")
        _expect_slot_type_update(stubber, locale, "ModuleType", f"M{locale[:2].upper()}0000001")
    _expect_build(stubber, "en_US", ["Building", "Built"])
    _expect_build(stubber, "es_US", ["Built"])
    stubber.add_response(
        "create_bot_version",
        {"botId": BOT_ID, "botVersion": "7", "botStatus": "Versioning"},
        {
            "botId": BOT_ID,
            "description": "lesson names synced from the lesson graph",
            "botVersionLocaleSpecification": {
                "en_US": {"sourceBotVersion": "DRAFT"},
                "es_US": {"sourceBotVersion": "DRAFT"},
            },
        },
    )
    for status in ("Versioning", "Available"):
        stubber.add_response(
            "describe_bot_version",
            {"botId": BOT_ID, "botVersion": "7", "botStatus": status},
            {"botId": BOT_ID, "botVersion": "7"},
        )
    locale_settings = {
        "en_US": {
            "enabled": True,
            "codeHookSpecification": {
                "lambdaCodeHook": {
                    "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:lessonbot",
                    "codeHookInterfaceVersion": "1.0",
                }
            },
        }
    }
    stubber.add_response(
        "describe_bot_alias",
        {
            "botAliasId": ALIAS_ID,
            "botAliasName": "live",
            "description": "What learners talk to",
            "botVersion": "6",
            "botAliasLocaleSettings": locale_settings,
            "sentimentAnalysisSettings": {"detectSentiment": False},
            "botId": BOT_ID,
        },
        {"botAliasId": ALIAS_ID, "botId": BOT_ID},
    )
    stubber.add_response(
        "update_bot_alias",
        {"botAliasId": ALIAS_ID, "botAliasName": "live", "botVersion": "7", "botId": BOT_ID},
        {
            "botAliasId": ALIAS_ID,
            "botAliasName": "live",
            "description": "What learners talk to",
            "botVersion": "7",
            "botAliasLocaleSettings": locale_settings,
            "sentimentAnalysisSettings": {"detectSentiment": False},
            "botId": BOT_ID,
        },
    )
    clock = ManualClock()
    result = SlotTypeSync(client, BOT_ID, sleep=clock.sleep, clock=clock).run(
        SLOT_VALUES, locales, ALIAS_ID
    )
    assert result.bot_version == "7"
    assert result.updated == [
        ("en_US", "LessonNameType"),
        ("en_US", "ModuleType"),
        ("es_US", "LessonNameType"),
        ("es_US", "ModuleType"),
    ]
    assert len(clock.sleeps) == 2  # one extra poll for the build, one for the version


def test_sync_fails_when_the_build_fails(lex) -> None:
    client, stubber = lex
    _expect_slot_type_update(stubber, "en_US", "LessonNameType", "L000000001")
    draft = {"botId": BOT_ID, "botVersion": "DRAFT", "localeId": "en_US"}
    stubber.add_response("build_bot_locale", {"botLocaleStatus": "Building", **draft}, draft)
    stubber.add_response(
        "describe_bot_locale",
        {"botLocaleStatus": "Failed", "failureReasons": ["bad utterance"], **draft},
        draft,
    )
    clock = ManualClock()
    with pytest.raises(SyncError, match="bad utterance"):
        SlotTypeSync(client, BOT_ID, sleep=clock.sleep, clock=clock).run(
            {"en_US": {"LessonNameType": SLOT_VALUES["en_US"]["LessonNameType"]}}, ["en_US"]
        )


def test_sync_times_out_waiting_for_a_build(lex) -> None:
    client, stubber = lex
    _expect_slot_type_update(stubber, "en_US", "LessonNameType", "L000000001")
    _expect_build(stubber, "en_US", ["Building", "Building", "Building"])
    clock = ManualClock()
    sync = SlotTypeSync(client, BOT_ID, sleep=clock.sleep, clock=clock, timeout=10)
    with pytest.raises(SyncError, match="still Building"):
        sync.run({"en_US": {"LessonNameType": SLOT_VALUES["en_US"]["LessonNameType"]}}, ["en_US"])


def test_sync_reports_a_missing_slot_type(lex) -> None:
    client, stubber = lex
    draft = {"botId": BOT_ID, "botVersion": "DRAFT", "localeId": "en_US"}
    stubber.add_response(
        "list_slot_types",
        {"slotTypeSummaries": [], **draft},
        {
            **draft,
            "filters": [{"name": "SlotTypeName", "values": ["ModuleType"], "operator": "EQ"}],
        },
    )
    with pytest.raises(SyncError, match="ModuleType not found"):
        SlotTypeSync(client, BOT_ID).run(
            {"en_US": {"ModuleType": SLOT_VALUES["en_US"]["ModuleType"]}}, ["en_US"]
        )


def test_api_slot_values_apply_lex_rules() -> None:
    values = api_slot_values(
        [
            {"value": "Loops", "synonyms": ["loops", "for loops", "For Loops", "x" * 141]},
            {"value": "loops", "synonyms": []},  # a repeat of the first value
            {"value": "y" * 141, "synonyms": []},  # too long for Lex
        ]
    )
    assert values == [{"sampleValue": {"value": "Loops"}, "synonyms": [{"value": "for loops"}]}]


def test_sync_command_pushes_the_graphs_lesson_names(
    lex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from botocore.stub import ANY

    from deploy import sync_slot_types

    graph = tmp_path / "graph"
    graph.mkdir()
    (graph / "alpha.yaml").write_text(course_text("alpha", ["Start", "End"]))
    client, stubber = lex
    uploaded: dict[str, list] = {}
    for name, type_id in (("LessonTitle", "LT00000001"), ("ModuleName", "MN00000001")):
        _expect_slot_type_update(stubber, "en_US", name, type_id, values=ANY)
    _expect_build(stubber, "en_US", ["Built"])
    stubber.add_response(
        "create_bot_version",
        {"botId": BOT_ID, "botVersion": "3", "botStatus": "Versioning"},
        {"botId": BOT_ID, "description": ANY, "botVersionLocaleSpecification": ANY},
    )
    stubber.add_response(
        "describe_bot_version",
        {"botId": BOT_ID, "botVersion": "3", "botStatus": "Available"},
        {"botId": BOT_ID, "botVersion": "3"},
    )
    real_update = client.update_slot_type

    def recording_update(**kwargs):
        uploaded[kwargs["slotTypeName"]] = kwargs["slotTypeValues"]
        return real_update(**kwargs)

    monkeypatch.setattr(client, "update_slot_type", recording_update)
    monkeypatch.setattr(boto3, "client", lambda service, **kwargs: client)
    code = sync_slot_types.main(["--bot-id", BOT_ID, "--locale", "en_US", "--graph", str(graph)])
    assert code == 0, capsys.readouterr().err
    assert [v["sampleValue"]["value"] for v in uploaded["LessonTitle"]] == ["Start", "End"]
    assert "bot version 3 created" in capsys.readouterr().out
