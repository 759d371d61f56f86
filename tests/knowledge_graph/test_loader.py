"""Loading the lesson graph: load_graph, GraphLoader hot reload, S3 source, environment."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from clocks import ManualClock
from course_files import course_text

from knowledge_graph import (
    GraphError,
    GraphLoader,
    GraphNotLoadedError,
    GraphSourceError,
    GraphValidationError,
    LessonGraph,
    load_graph,
    loader_from_env,
)
from knowledge_graph.loader import BUNDLED_LOCATION, LAMBDA_DEFAULT_LOCATION

LOGGER = "knowledge_graph.loader"


_mtime = [1_700_000_000_000_000_000]


def write_course(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` and give it a fresh, strictly increasing mtime."""
    path.write_text(text, encoding="utf-8")
    _mtime[0] += 1_000_000_000
    os.utime(path, ns=(_mtime[0], _mtime[0]))
    return path


def titles(graph: LessonGraph) -> set[str]:
    """Return the titles of every lesson of ``graph``."""
    return {lesson.title for lesson in graph.lessons()}


@pytest.fixture
def lesson_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "lessons"
    directory.mkdir()
    write_course(directory / "alpha.yaml", course_text("alpha", ["Start", "Middle", "End"]))
    return directory


# ----------------------------------------------------------------------------- load_graph


def test_load_graph_builds_lesson_graph(lesson_dir: Path) -> None:
    graph = load_graph(lesson_dir)
    assert isinstance(graph, LessonGraph)
    assert titles(graph) == {"Start", "Middle", "End"}


def test_load_graph_errors_are_typed(tmp_path: Path, lesson_dir: Path) -> None:
    with pytest.raises(GraphSourceError, match="no such file"):
        load_graph(tmp_path / "missing")
    write_course(lesson_dir / "alpha.yaml", course_text("alpha", ["A", "B"], broken=True))
    with pytest.raises(GraphValidationError) as caught:
        load_graph(lesson_dir / "alpha.yaml")
    assert caught.value.report.codes() == {"dangling-reference"}
    assert "alpha.yaml:10: error [alpha/l1] requires: unknown lesson 'missing-lesson'" in str(
        caught.value
    )
    assert isinstance(caught.value, GraphError)


def test_directory_of_several_courses_loads(lesson_dir: Path) -> None:
    write_course(
        lesson_dir / "beta.json",
        '{"course": {"id": "beta", "title": "Beta"},'
        ' "lessons": [{"id": "b", "title": "Beta One", "requires": ["alpha/l2"]}]}',
    )
    graph = GraphLoader(str(lesson_dir), clock=ManualClock(1000.0)).get()
    assert titles(graph) == {"Start", "Middle", "End", "Beta One"}


def test_loader_takes_a_path_object_as_load_graph_does(lesson_dir: Path) -> None:
    loader = GraphLoader(lesson_dir, clock=ManualClock(1000.0))
    assert loader.location == str(lesson_dir)
    assert titles(loader.get()) == titles(load_graph(lesson_dir))


# ----------------------------------------------------------------------------- hot reload


def test_edit_is_picked_up_only_after_the_interval_and_the_settle_time(lesson_dir: Path) -> None:
    clock = ManualClock(1000.0)
    loader = GraphLoader(str(lesson_dir), check_interval=30, clock=clock, settle_seconds=2)
    first = loader.get()
    assert loader.get() is first
    write_course(lesson_dir / "alpha.yaml", course_text("alpha", ["Start", "Changed"]))
    clock.advance(29)
    assert loader.get() is first
    clock.advance(1)
    assert loader.get() is first  # seen once: it may still be being written
    assert loader.status().pending == ("alpha.yaml",)
    clock.advance(1)
    assert loader.get() is first  # not yet the settle time
    clock.advance(1)
    second = loader.get()  # the same size, mtime and hash two seconds later: taken
    assert second is not first and titles(second) == {"Start", "Changed"}
    assert loader.status().reloads == 2 and loader.status().last_error is None
    assert loader.status().via == "incremental" and loader.status().pending == ()


def test_unchanged_source_is_not_reloaded(lesson_dir: Path) -> None:
    clock = ManualClock(1000.0)
    loader = GraphLoader(str(lesson_dir), check_interval=5, clock=clock, settle_seconds=0)
    first = loader.get()
    clock.advance(60)
    assert loader.get() is first
    assert loader.status().reloads == 1 and loader.status().checked_at == clock.now


def test_broken_edit_keeps_last_good_graph_and_logs_once(
    lesson_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(1000.0)
    loader = GraphLoader(str(lesson_dir), check_interval=10, clock=clock, settle_seconds=0)
    good = loader.get()
    path = write_course(lesson_dir / "alpha.yaml", 'course:\n  id: alpha\n  title: "half sav')
    caplog.set_level(logging.ERROR, logger=LOGGER)
    for _ in range(3):
        clock.advance(10)
        assert loader.get() is good
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, caplog.text
    assert f"{path}:3: error invalid YAML" in errors[0].getMessage()
    assert "keeping the last good graph" in errors[0].getMessage()
    assert f"{path}:3: error" in (loader.status().last_error or "")
    write_course(path, course_text("alpha", ["Fixed"]))
    clock.advance(10)
    fixed = loader.get()
    assert fixed is not good and titles(fixed) == {"Fixed"}
    assert loader.status().last_error is None


def test_a_second_distinct_failure_is_logged_again(
    lesson_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(1000.0)
    loader = GraphLoader(str(lesson_dir), check_interval=1, clock=clock, settle_seconds=0)
    good = loader.get()
    caplog.set_level(logging.ERROR, logger=LOGGER)
    write_course(lesson_dir / "alpha.yaml", course_text("alpha", ["A"], broken=True))
    clock.advance(1)
    assert loader.get() is good
    write_course(lesson_dir / "alpha.yaml", "course: [")
    clock.advance(1)
    assert loader.get() is good
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(messages) == 2
    assert "unknown lesson 'missing-lesson'" in messages[0]
    assert "invalid YAML" in messages[1]


def test_deleted_directory_keeps_last_good_graph(
    lesson_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(1000.0)
    loader = GraphLoader(str(lesson_dir), check_interval=1, clock=clock, settle_seconds=0)
    good = loader.get()
    shutil.rmtree(lesson_dir)
    caplog.set_level(logging.ERROR, logger=LOGGER)
    clock.advance(1)
    assert loader.get() is good
    clock.advance(1)
    assert loader.get() is good
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and str(lesson_dir) in errors[0].getMessage()
    assert "no such file or directory" in (loader.status().last_error or "")
    lesson_dir.mkdir()
    write_course(lesson_dir / "alpha.yaml", course_text("alpha", ["Back"]))
    clock.advance(1)
    assert titles(loader.get()) == {"Back"}


def test_emptied_directory_keeps_last_good_graph(lesson_dir: Path) -> None:
    clock = ManualClock(1000.0)
    loader = GraphLoader(str(lesson_dir), check_interval=1, clock=clock, settle_seconds=0)
    good = loader.get()
    (lesson_dir / "alpha.yaml").unlink()
    clock.advance(1)
    assert loader.get() is good
    assert "no course files" in (loader.status().last_error or "")


def test_never_loaded_raises_typed_error_with_reason(tmp_path: Path, lesson_dir: Path) -> None:
    clock = ManualClock(1000.0)
    missing = GraphLoader(str(tmp_path / "nowhere"), clock=clock, settle_seconds=0)
    with pytest.raises(GraphNotLoadedError, match="no such file") as caught:
        missing.get()
    assert isinstance(caught.value, GraphError) and "nowhere" in caught.value.reason
    write_course(lesson_dir / "alpha.yaml", course_text("alpha", ["A"], broken=True))
    invalid = GraphLoader(str(lesson_dir), check_interval=10, clock=clock, settle_seconds=0)
    with pytest.raises(GraphNotLoadedError, match="missing-lesson"):
        invalid.get()
    assert invalid.status().loaded is False
    write_course(lesson_dir / "alpha.yaml", course_text("alpha", ["A"]))
    with pytest.raises(GraphNotLoadedError):
        invalid.get()  # the interval has not passed yet
    clock.advance(10)
    assert titles(invalid.get()) == {"A"}


def test_reload_checks_immediately(lesson_dir: Path) -> None:
    loader = GraphLoader(
        str(lesson_dir), check_interval=3600, clock=ManualClock(1000.0), settle_seconds=0
    )
    first = loader.get()
    assert loader.reload() is False
    write_course(lesson_dir / "alpha.yaml", course_text("alpha", ["Now"]))
    assert loader.reload() is True and titles(loader.get()) == {"Now"}
    assert loader.get() is not first


def test_concurrent_first_use_loads_once(lesson_dir: Path) -> None:
    loader = GraphLoader(str(lesson_dir), clock=ManualClock(1000.0))
    results: list[LessonGraph] = []
    threads = [threading.Thread(target=lambda: results.append(loader.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert loader.status().reloads == 1


# ----------------------------------------------------------------------------- environment


def test_loader_from_env() -> None:
    explicit = loader_from_env(
        {"LESSON_GRAPH_PATH": "s3://bucket/lessons/", "LESSON_GRAPH_CHECK_SECONDS": "5"}
    )
    assert (explicit.location, explicit.check_interval) == ("s3://bucket/lessons/", 5.0)
    in_lambda = loader_from_env({"AWS_LAMBDA_FUNCTION_NAME": "lessonbot"})
    assert (in_lambda.location, in_lambda.check_interval) == (LAMBDA_DEFAULT_LOCATION, 30.0)
    local = loader_from_env({"LESSON_GRAPH_CHECK_SECONDS": "soon"})
    assert (local.location, local.check_interval) == (BUNDLED_LOCATION, 30.0)
    assert Path(BUNDLED_LOCATION) == Path(__file__).resolve().parents[2] / "data" / "lessons"


# ----------------------------------------------------------------------------- S3


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    moto = pytest.importorskip("moto")
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="lessons")
        yield client


def test_s3_prefix_loads_and_reloads_on_etag_change(
    s3,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    s3.put_object(Bucket="lessons", Key="prod/alpha.yaml", Body=course_text("alpha", ["S3 A"]))
    s3.put_object(Bucket="lessons", Key="prod/beta.yml", Body=course_text("beta", ["S3 B"]))
    s3.put_object(Bucket="lessons", Key="prod/README.md", Body=b"not a course")
    s3.put_object(Bucket="lessons", Key="prod/old/gamma.yaml", Body=b"{{{ not read")
    s3.put_object(Bucket="lessons", Key="other/delta.yaml", Body=b"{{{ not read")
    clock = ManualClock(1000.0)
    loader = GraphLoader("s3://lessons/prod", check_interval=30, clock=clock, settle_seconds=0)
    first = loader.get()
    assert titles(first) == {"S3 A", "S3 B"}
    clock.advance(30)
    assert loader.get() is first  # same ETags: no reload
    s3.put_object(Bucket="lessons", Key="prod/beta.yml", Body=course_text("beta", ["S3 B2"]))
    clock.advance(30)
    second = loader.get()
    assert second is not first and titles(second) == {"S3 A", "S3 B2"}
    s3.put_object(Bucket="lessons", Key="prod/beta.yml", Body=b"course: [")
    caplog.set_level(logging.ERROR, logger=LOGGER)
    clock.advance(30)
    assert loader.get() is second
    assert "s3://lessons/prod/beta.yml:" in caplog.text and "error invalid YAML" in caplog.text


def test_s3_single_key(s3) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(
        Bucket="lessons",
        Key="course.json",
        Body=b'{"course": {"id": "c", "title": "C"}, "lessons": [{"id": "a", "title": "Only"}]}',
    )
    clock = ManualClock(1000.0)
    loader = GraphLoader(
        "s3://lessons/course.json", check_interval=1, clock=clock, settle_seconds=0
    )
    first = loader.get()
    assert titles(first) == {"Only"}
    s3.put_object(
        Bucket="lessons",
        Key="course.json",
        Body=b'{"course": {"id": "c", "title": "C"}, "lessons": [{"id": "a", "title": "Changed"}]}',
    )
    clock.advance(1)
    assert titles(loader.get()) == {"Changed"}
    assert titles(load_graph("s3://lessons/course.json")) == {"Changed"}


def test_s3_missing_object_is_a_source_error(s3) -> None:  # type: ignore[no-untyped-def]
    loader = GraphLoader("s3://lessons/nothing.yaml", clock=ManualClock(1000.0))
    with pytest.raises(GraphNotLoadedError, match="head_object failed"):
        loader.get()
    with pytest.raises(GraphSourceError, match="no course files"):
        load_graph("s3://lessons/empty-prefix/")


# ----------------------------------------------------------------------------- package


def test_package_import_is_cheap_and_exports_resolve() -> None:
    import subprocess
    import sys

    code = (
        "import sys, knowledge_graph as kg; "
        "print(sorted(m for m in ('networkx', 'numpy', 'pydantic', 'boto3') "
        "if m in sys.modules)); "
        "print(all(getattr(kg, n) is not None for n in kg.__all__))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["[]", "True"]


# ----------------------------------------------------------------------------- settling


class Sleeps:
    """A fake sleep that records its calls and can change a file while 'asleep'."""

    def __init__(self, wall: list[float], during: object = None) -> None:
        self.calls: list[float] = []
        self._wall = wall
        self._during = during

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self._wall[0] += seconds
        if callable(self._during):
            self._during()


def test_a_first_load_without_an_index_waits_for_a_file_written_just_now(lesson_dir: Path) -> None:
    path = lesson_dir / "alpha.yaml"
    path.write_text(course_text("alpha", ["Fresh"]), encoding="utf-8")
    wall = [path.stat().st_mtime_ns / 1e9 + 0.5]  # half a second after the save
    sleeps = Sleeps(wall)
    loader = GraphLoader(
        lesson_dir,
        clock=ManualClock(1000.0),
        settle_seconds=2,
        wall_clock=lambda: wall[0],
        sleep=sleeps,
    )
    assert titles(loader.get()) == {"Fresh"}
    assert sleeps.calls == [pytest.approx(1.5, abs=0.01)]  # until it is 2 s old, once


def test_a_first_load_refuses_a_file_still_being_written(lesson_dir: Path) -> None:
    path = lesson_dir / "alpha.yaml"
    path.write_text(course_text("alpha", ["Half"]), encoding="utf-8")
    wall = [path.stat().st_mtime_ns / 1e9]

    def keep_writing() -> None:
        with path.open("a", encoding="utf-8") as out:
            out.write("  - id: more\n    title: More\n")

    loader = GraphLoader(
        lesson_dir,
        clock=ManualClock(1000.0),
        settle_seconds=2,
        wall_clock=lambda: wall[0],
        sleep=Sleeps(wall, keep_writing),
    )
    with pytest.raises(GraphNotLoadedError, match="still being written"):
        loader.get()


def test_an_s3_change_is_taken_once_the_listing_settled(s3) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket="lessons", Key="p/a.yaml", Body=course_text("a", ["One"]))
    clock = ManualClock(1000.0)
    loader = GraphLoader("s3://lessons/p/", check_interval=30, clock=clock, settle_seconds=5)
    first = loader.get()
    s3.put_object(Bucket="lessons", Key="p/a.yaml", Body=course_text("a", ["Two"]))
    clock.advance(30)
    assert loader.get() is first  # seen once
    clock.advance(5)
    assert titles(loader.get()) == {"Two"}


def test_a_new_cycle_falls_back_to_full_validation_and_keeps_the_last_good(
    lesson_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from knowledge_graph.compiled import write_compiled

    write_compiled(lesson_dir)
    clock = ManualClock(1000.0)
    loader = GraphLoader(lesson_dir, check_interval=1, clock=clock, settle_seconds=0)
    good = loader.get()
    cyclic = (
        course_text("alpha", ["Start", "Middle", "End"])
        .replace("    title: Start\n", "    title: Start\n    requires: [l2]\n")
        .replace("    title: End\n", "    title: End\n    requires: [l0]\n")
    )
    write_course(lesson_dir / "alpha.yaml", cyclic)
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock.advance(1)
    assert loader.get() is good
    assert "validating every lesson file" in caplog.text
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "prerequisite cycle" in errors[0]
    clock.advance(1)
    assert loader.get() is good
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1  # not again


def test_a_manifest_naming_a_damaged_index_serves_the_validated_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from deploy.publish_graph import publish
    from knowledge_graph.compiled import META_NAME, current_version

    source = tmp_path / "src"
    source.mkdir()
    write_course(source / "alpha.yaml", course_text("alpha", ["Published"]))
    dest = tmp_path / "efs"
    publish(source, str(dest))
    version = current_version(dest)
    assert version is not None
    (version / META_NAME).write_text("{}")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    loader = GraphLoader(dest, clock=ManualClock(1000.0), settle_seconds=2)
    assert titles(loader.get()) == {"Published"}
    assert loader.status().via == "validated"
    assert "compiled index not used: not a lessonbot index" in caplog.text
