"""The progress store's contract, the same for every implementation, and its configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from knowledge_graph.aws_clients import DYNAMODB_TURN
from lex_bot.lesson_app.progress_store import (
    DEFAULT_LOCAL_STORE,
    InvalidProgressKeyError,
    MemoryProgressStore,
    ProgressStore,
    SqliteProgressStore,
    StoreConfigurationError,
    open_progress_store,
)
from lex_bot.lesson_app.progress_store import dynamodb as dynamodb_store

TABLE = "LessonProgressTest"


class Clock:
    """A deterministic, strictly increasing clock for completion timestamps."""

    def __init__(self) -> None:
        self.ticks = 0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.ticks += 1
            return f"2026-01-01T00:00:00.{self.ticks:06d}+00:00"


@pytest.fixture
def dynamodb_client() -> Iterator[Any]:
    from moto import mock_aws

    with mock_aws():
        client = dynamodb_store.make_client("us-east-1")
        dynamodb_store.create_table(client, TABLE)
        yield client


def serialize_server(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto apply one request at a time, as DynamoDB applies each item write atomically.

    moto's in-memory tables are not thread-safe (a query can see an item half-written, two
    ``ADD`` updates can race). Real DynamoDB has no such races, so we serialise requests at the
    server side only. The client-side code under test still runs concurrently, which is where
    lost updates come from: a read-modify-write store would still lose updates here.
    """
    lock = threading.Lock()
    call = client._make_api_call

    def one_at_a_time(operation: str, params: dict[str, Any]) -> Any:
        with lock:
            return call(operation, params)

    monkeypatch.setattr(client, "_make_api_call", one_at_a_time)


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> ProgressStore:
    clock = Clock()
    if kind == "memory":
        return MemoryProgressStore(clock=clock)
    if kind == "sqlite":
        return SqliteProgressStore(tmp_path / "progress.db", clock=clock)
    client = request.getfixturevalue("dynamodb_client")
    serialize_server(client, request.getfixturevalue("monkeypatch"))
    return dynamodb_store.DynamoDBProgressStore(TABLE, client=client, clock=clock)


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ProgressStore:
    return make_store(request.param, tmp_path, request)


# ----------------------------------------------------------------------------- the contract


def test_a_new_learner_has_empty_progress(store: ProgressStore) -> None:
    progress = store.get("nobody")
    assert (progress.learner_id, dict(progress.completed), progress.version) == ("nobody", {}, 0)
    assert progress.current_lesson is None and progress.goal is None


def test_completing_records_mastery_and_order(store: ProgressStore) -> None:
    first = store.complete_lesson("ana", "py/variables", 0.7)
    assert first.newly_completed
    store.complete_lesson("ana", "py/loops")
    progress = store.get("ana")
    assert progress.mastery() == {"py/variables": 0.7, "py/loops": 1.0}
    assert progress.recent() == ["py/variables", "py/loops"]
    assert progress.recent(1) == ["py/loops"]
    assert progress.version == 2


def test_completing_twice_changes_nothing_the_second_time(store: ProgressStore) -> None:
    first = store.complete_lesson("ana", "py/loops", 0.9)
    again = store.complete_lesson("ana", "py/loops", 0.9)
    assert not again.newly_completed
    assert again.progress == first.progress
    assert store.get("ana") == first.progress


def test_a_better_score_raises_mastery_but_keeps_the_first_completion_time(
    store: ProgressStore,
) -> None:
    first = store.complete_lesson("ana", "py/loops", 0.5).progress.completed["py/loops"]
    store.complete_lesson("ana", "py/loops", 0.3)
    assert store.get("ana").completed["py/loops"] == first
    better = store.complete_lesson("ana", "py/loops", 0.8)
    assert not better.newly_completed
    assert better.progress.completed["py/loops"].mastery == 0.8
    assert better.progress.completed["py/loops"].completed_at == first.completed_at


def test_current_lesson_and_goal_are_kept_and_cleared(store: ProgressStore) -> None:
    assert store.set_current_lesson("ana", "py/loops").current_lesson == "py/loops"
    assert store.set_goal("ana", "py/recursion").goal == "py/recursion"
    progress = store.get("ana")
    assert (progress.current_lesson, progress.goal, progress.version) == (
        "py/loops",
        "py/recursion",
        2,
    )
    assert store.set_goal("ana", None).goal is None
    assert store.get("ana").current_lesson == "py/loops"


def test_reset_forgets_one_learner_only(store: ProgressStore) -> None:
    store.complete_lesson("ana", "py/loops")
    store.set_goal("ana", "py/recursion")
    store.complete_lesson("ben", "py/loops")
    store.reset("ana")
    assert store.get("ana").completed == {} and store.get("ana").goal is None
    assert list(store.get("ben").completed) == ["py/loops"]
    assert store.complete_lesson("ana", "py/loops").newly_completed


@pytest.mark.parametrize(
    ("learner", "lesson", "mastery"),
    [
        ("", "py/loops", 1.0),
        ("a" * 257, "py/loops", 1.0),
        ("ana\x00", "py/loops", 1.0),
        ("ana", "", 1.0),
        ("ana", "py/loops", 1.5),
        ("ana", "py/loops", float("nan")),
        ("ana", "py/loops", True),
    ],
)
def test_bad_keys_and_mastery_are_refused(
    store: ProgressStore, learner: str, lesson: str, mastery: float
) -> None:
    with pytest.raises(InvalidProgressKeyError):
        store.complete_lesson(learner, lesson, mastery)
    assert store.get("ana").completed == {}


def test_learner_ids_are_opaque_strings(store: ProgressStore) -> None:
    """A learner id that looks like a key prefix or path is just a string."""
    store.complete_lesson("LESSON#x", "../../etc/passwd")
    store.complete_lesson("PROFILE", "py/loops")
    assert list(store.get("LESSON#x").completed) == ["../../etc/passwd"]
    assert list(store.get("PROFILE").completed) == ["py/loops"]
    assert store.get("LESSON").completed == {}


# ----------------------------------------------------------------------------- concurrency

WRITERS = 8
UPDATES = 50


@pytest.mark.reliability(
    area="Concurrency",
    tried=(
        "one learner's progress updated by many threads at once (memory, SQLite, DynamoDB on moto)"
    ),
    scale=f"{WRITERS} writers x {UPDATES} updates per store",
    outcome="every update present; version counts every change; no corrupted item",
)
@pytest.mark.parametrize("kind", ["memory", "sqlite", "dynamodb"])
def test_concurrent_writers_lose_no_update(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """8 sessions of one learner each complete 50 lessons at once; all 400 must be there."""
    store = make_store(kind, tmp_path, request)
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait()
            for update in range(UPDATES):
                store.complete_lesson("ana", f"c/w{number}-{update}", 0.5 + update / 200)
                if update % 10 == 0:
                    store.set_current_lesson("ana", f"c/w{number}-{update}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    progress = store.get("ana")
    expected = {f"c/w{n}-{u}": 0.5 + u / 200 for n in range(WRITERS) for u in range(UPDATES)}
    assert progress.mastery() == expected
    assert progress.version == WRITERS * UPDATES + WRITERS * (UPDATES // 10)
    assert progress.current_lesson in expected


@pytest.mark.reliability(
    area="Concurrency",
    tried="the same lesson completed by several sessions at the same moment",
    scale=f"{WRITERS} writers per store",
    outcome="recorded once, reported new exactly once",
)
@pytest.mark.parametrize("kind", ["memory", "sqlite", "dynamodb"])
def test_the_same_lesson_completed_concurrently_is_new_exactly_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = make_store(kind, tmp_path, request)
    barrier = threading.Barrier(WRITERS)
    newly: list[bool] = []

    def writer() -> None:
        barrier.wait()
        newly.append(store.complete_lesson("ana", "py/loops", 0.9).newly_completed)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(newly) == [False] * (WRITERS - 1) + [True]
    assert store.get("ana").mastery() == {"py/loops": 0.9}


# ----------------------------------------------------------------------------- durability


def test_sqlite_progress_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "progress.db"
    SqliteProgressStore(path).complete_lesson("ana", "py/loops", 0.75)
    SqliteProgressStore(path).set_goal("ana", "py/recursion")
    reopened = SqliteProgressStore(path).get("ana")
    assert reopened.mastery() == {"py/loops": 0.75}
    assert reopened.goal == "py/recursion"


def test_dynamodb_reads_every_page(dynamodb_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = dynamodb_store.DynamoDBProgressStore(TABLE, client=dynamodb_client)
    for number in range(7):
        store.complete_lesson("ana", f"c/l{number}")
    original = dynamodb_client.query
    pages: list[int] = []

    def small_pages(**kwargs: Any) -> Any:
        page = original(**kwargs, Limit=2)
        pages.append(len(page["Items"]))
        return page

    monkeypatch.setattr(dynamodb_client, "query", small_pages)
    assert len(store.get("ana").completed) == 7
    assert len(pages) >= 4


def test_dynamodb_client_is_created_on_first_use_with_standard_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[Any] = []
    monkeypatch.setattr(dynamodb_store, "make_client", lambda region: made.append(region) or 1)
    store = dynamodb_store.DynamoDBProgressStore(TABLE, region="eu-west-1")
    assert made == []
    assert store.client == 1 and store.client == 1
    assert made == ["eu-west-1"]
    monkeypatch.undo()
    config = dynamodb_store.make_client("us-east-1").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": DYNAMODB_TURN.max_attempts}


# ----------------------------------------------------------------------------- configuration


def test_store_urls_choose_the_implementation(tmp_path: Path) -> None:
    assert isinstance(open_progress_store("memory://"), MemoryProgressStore)
    sqlite = open_progress_store(f"sqlite://{tmp_path}/p.db")
    assert isinstance(sqlite, SqliteProgressStore) and sqlite.path == tmp_path / "p.db"
    dynamo = open_progress_store("dynamodb://LessonProgress?region=eu-west-1")
    assert isinstance(dynamo, dynamodb_store.DynamoDBProgressStore)
    assert dynamo.table == "LessonProgress"


def test_relative_sqlite_paths_are_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROGRESS_STORE", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    store = open_progress_store()
    assert isinstance(store, SqliteProgressStore)
    assert DEFAULT_LOCAL_STORE.endswith(str(store.path))
    assert (tmp_path / store.path).is_file()


def test_the_environment_variable_names_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGRESS_STORE", "memory://")
    assert isinstance(open_progress_store(), MemoryProgressStore)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://x", "unknown store"),
        ("progress.db", "not a store URL"),
        ("dynamodb://a", "not a DynamoDB table name"),
        ("dynamodb://Table?endpoint=http://evil", "unknown option"),
        ("sqlite://", "needs a file path"),
    ],
)
def test_bad_store_urls_are_explained(url: str, message: str) -> None:
    with pytest.raises(StoreConfigurationError, match=message):
        open_progress_store(url)


def test_inside_lambda_the_store_must_be_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROGRESS_STORE", raising=False)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "lessonbot")
    with pytest.raises(StoreConfigurationError, match="dynamodb://"):
        open_progress_store()


# ----------------------------------------------------------------------------- idempotency


def test_a_repeated_request_is_answered_as_its_first_application(store: ProgressStore) -> None:
    """The same write with the same request token (a lost answer retried, a duplicate
    delivery) is applied once and answered as the first time; a new token is a new request."""
    first = store.complete_lesson("ana", "py/loops", 0.9, request_token="turn-1")
    again = store.complete_lesson("ana", "py/loops", 0.9, request_token="turn-1")
    later = store.complete_lesson("ana", "py/loops", 0.9, request_token="turn-2")
    assert (first.newly_completed, again.newly_completed, later.newly_completed) == (
        True,
        True,
        False,
    )
    assert store.get("ana").version == 1
    store.set_goal("ana", "py/recursion", request_token="turn-3")
    store.set_goal("ana", "py/recursion", request_token="turn-3")
    assert store.get("ana").version == 2
    store.reset("ana", request_token="turn-4")
    store.reset("ana", request_token="turn-4")
    progress = store.get("ana")
    assert (dict(progress.completed), progress.goal, progress.version) == ({}, None, 3)


def test_a_token_reused_for_another_write_is_another_write(store: ProgressStore) -> None:
    store.complete_lesson("ana", "py/loops", request_token="turn-1")
    assert store.complete_lesson("ana", "py/variables", request_token="turn-1").newly_completed
    store.set_goal("ana", "py/loops", request_token="turn-2")
    assert store.set_goal("ana", "py/recursion", request_token="turn-2").goal == "py/recursion"
    assert store.get("ana").version == 4


def test_a_reset_is_one_more_change_and_erases_everything(store: ProgressStore) -> None:
    for number in range(30):
        store.complete_lesson("ana", f"c/l{number}")
    store.set_current_lesson("ana", "c/l3")
    store.set_goal("ana", "c/l9")
    store.reset("ana")
    progress = store.get("ana")
    assert (dict(progress.completed), progress.current_lesson, progress.goal) == ({}, None, None)
    assert progress.version == 33
    assert store.complete_lesson("ana", "c/l3").newly_completed
    assert store.get("ana").version == 34


# ----------------------------------------------------------------------------- the SQLite file


@pytest.mark.reliability(
    area="SQLite faults",
    tried="the SQLite progress database file deleted while the bot runs",
    scale="2 completions before, 5 after",
    outcome="noticed and reopened (logged); the 5 later completions are in the file a restart "
    "reads, none in an unlinked file",
)
def test_sqlite_store_follows_a_deleted_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "progress.db"
    store = SqliteProgressStore(path)
    store.complete_lesson("ana", "py/variables")
    store.complete_lesson("ana", "py/loops")
    path.unlink()
    with caplog.at_level("WARNING"):
        results = [store.complete_lesson("ana", f"py/l{n}") for n in range(5)]
    assert all(result.newly_completed for result in results)
    assert any("deleted or replaced" in r.getMessage() for r in caplog.records)
    assert store.reopens == 1
    restarted = SqliteProgressStore(path).get("ana")
    assert list(restarted.completed) == [f"py/l{n}" for n in range(5)]
    assert restarted.version == 5
    assert results[-1].progress == restarted


PROCESSES = 8
COMPLETIONS = 50

_WRITER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from lex_bot.lesson_app.progress_store import SqliteProgressStore
path, number, start = Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
replaced, count = Path(sys.argv[6]), int(sys.argv[5])
while not start.exists():
    time.sleep(0.005)
store = SqliteProgressStore(path)
newly = []
for update in range(count):
    if update == count // 2:  # half written: the rest goes after the file is replaced
        deadline = time.monotonic() + 60
        while not replaced.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
    lesson = f"c/p{number}-{update}"
    result = store.complete_lesson("ana", lesson, request_token=f"p{number}-{update}")
    newly.append(result.newly_completed and lesson in result.progress.completed)
print(json.dumps({"newly": newly, "reopens": store.reopens}))
"""


def replace_database_safely(path: Path) -> None:
    """Swap a copy of the database in, holding its write lock meanwhile (a safe restore)."""
    import sqlite3

    lock = sqlite3.connect(path, timeout=30, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # writers wait; readers may still read
    source, copy = sqlite3.connect(path), path.with_name("copy.db")
    target = sqlite3.connect(copy)
    source.backup(target)  # SQLite refuses a backup from the connection holding the lock
    source.close()
    target.close()
    os.replace(copy, path)
    lock.execute("ROLLBACK")
    lock.close()


@pytest.mark.reliability(
    area="Concurrency",
    tried="several processes completing lessons on one SQLite file while the file is replaced "
    "(a copy swapped in under its write lock)",
    scale=f"{PROCESSES} processes x {COMPLETIONS} completions, 1 replacement",
    outcome="nothing lost, nothing misreported: every completion in the new file, each "
    "reported new once, version counts each once",
)
def test_processes_writing_while_the_file_is_replaced_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "progress.db"
    SqliteProgressStore(path)
    start, replaced = tmp_path / "start", tmp_path / "replaced"
    root = str(Path(__file__).resolve().parents[3])
    args = [str(start), str(COMPLETIONS), str(replaced)]
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, root, str(path), str(n), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    start.touch()
    reader = SqliteProgressStore(path)
    deadline = time.monotonic() + 60
    while len(reader.get("ana").completed) < PROCESSES * COMPLETIONS // 3:
        assert time.monotonic() < deadline, "writers made no progress"
        time.sleep(0.01)
    replace_database_safely(path)
    replaced.touch()
    outputs = [json.loads(writer.communicate(timeout=120)[0]) for writer in writers]
    assert all(writer.returncode == 0 for writer in writers)
    assert all(output["newly"] == [True] * COMPLETIONS for output in outputs)
    assert sum(output["reopens"] for output in outputs) >= 1
    final = SqliteProgressStore(path).get("ana")
    expected = {f"c/p{n}-{u}" for n in range(PROCESSES) for u in range(COMPLETIONS)}
    assert set(final.completed) == expected
    assert final.version == PROCESSES * COMPLETIONS
