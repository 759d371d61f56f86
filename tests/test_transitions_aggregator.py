"""The transitions aggregator (transitions_aggregator/) against moto DynamoDB and its stream.

The progress table is written by the real ``DynamoDBProgressStore``; the records handed to
the handler are read back from moto's DynamoDB Stream (``GetRecords``, NEW_AND_OLD_IMAGES)
and put in Lambda's event shape, so they are the shapes the store's writes produce (moto
does not invoke Lambda from a stream itself). What the counts must equal is always computed
independently, by ``knowledge_graph.learn_transitions`` over the surviving histories.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from knowledge_graph.transitions import learn_transitions, load_transitions
from lex_bot.lesson_app.progress_store import dynamodb as progress_dynamodb
from lex_bot.lesson_app.progress_store.dynamodb import DynamoDBProgressStore
from transitions_aggregator import counts as counts_module
from transitions_aggregator.counts import SHARDS, Counts, CountsTable, learner_facts, shard_of
from transitions_aggregator.handler import learner_of, snapshot_handler, stream_handler
from transitions_aggregator.stream import read_shard, shard_ids

PROGRESS = "LessonProgress"
COUNTS = "TransitionCounts"
REGION = "us-east-1"


class Clock:
    """Strictly increasing completion times (completion order is the history's order)."""

    def __init__(self) -> None:
        self.ticks = 0

    def __call__(self) -> str:
        self.ticks += 1
        return f"2026-01-01T00:00:{self.ticks // 1_000_000:02d}.{self.ticks % 1_000_000:06d}+00:00"


class Aws:
    """A progress table with its stream, a counts table, the store, and a stream cursor."""

    def __init__(self) -> None:
        self.client = progress_dynamodb.make_client(REGION)
        progress_dynamodb.create_table(self.client, PROGRESS, stream=True)
        counts_module.create_table(self.client, COUNTS)
        self.store = DynamoDBProgressStore(PROGRESS, client=self.client, clock=Clock())
        self.counts = CountsTable(self.client, COUNTS)
        self.streams = boto3.client("dynamodbstreams", region_name=REGION)
        self.stream_arn = self.client.describe_table(TableName=PROGRESS)["Table"]["LatestStreamArn"]
        self._read_up_to: dict[str, str] = {}

    def new_records(self) -> list[dict[str, Any]]:
        """The stream records written since the last call (Lambda's record shape)."""
        records = []
        for shard in shard_ids(self.streams, self.stream_arn):
            after = self._read_up_to.get(shard)
            for record in read_shard(self.streams, self.stream_arn, shard, after=after):
                records.append(record)
                self._read_up_to[shard] = record["dynamodb"]["SequenceNumber"]
        return records

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return stream_handler({"Records": records}, client=self.client)

    def histories(self, learners: list[str]) -> list[list[str]]:
        return [list(self.store.get(learner).completed) for learner in learners]


@contextmanager
def aws_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PROGRESS_TABLE": PROGRESS,
        "COUNTS_TABLE": COUNTS,
        "POWERTOOLS_METRICS_NAMESPACE": "LessonbotTests",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield Aws()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with aws_tables(monkeypatch) as tables:
        yield tables


def complete(aws: Aws, learner: str, *lessons: str) -> None:
    for lesson in lessons:
        aws.store.complete_lesson(learner, lesson)


def metric_totals(out: str) -> dict[str, float]:
    """Sum each EMF metric printed to stdout."""
    totals: dict[str, float] = {}
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for metric in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = blob[metric["Name"]]
            totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(
                value if isinstance(value, list) else [value]
            )
    return totals


def expected(histories: list[list[str]]) -> Counts:
    return Counts.of_histories(histories)


# ----------------------------------------------------------------------------- facts


def test_facts_follow_learn_transitions_rule() -> None:
    # only first completions count; a single completion is a stop; nothing is nothing
    assert learner_facts([]) == frozenset()
    assert {f.kind for f in learner_facts(["c/a"])} == {"last"}
    model = learn_transitions([["c/a", "c/b", "c/a", "c/c"]] * 3, min_learners=3)
    counts = Counts.of_histories([["c/a", "c/b", "c/a", "c/c"]] * 3)
    assert {pair for pair, n in counts.pairs.items() if n >= 3} == {
        (x, s.lesson_id) for x in model.lessons for s in model.successors(x)
    }
    assert counts.stopped == {"c/c": 3} and model.stopped("c/c") == 3


def test_shards_spread_learners_over_every_shard() -> None:
    used = {shard_of(f"learner-{i}") for i in range(2_000)}
    assert used == set(range(SHARDS))


# ----------------------------------------------------------------------------- the stream


@pytest.mark.reliability(
    area="Duplicate delivery",
    tried="Every stream record of a batch delivered twice, then the whole batch replayed",
    scale="7 learners, 2 completions each, moto DynamoDB Stream records",
    outcome="Counts equal learn_transitions over the histories; duplicates change nothing",
)
def test_duplicate_records_and_a_replayed_batch_do_not_double_count(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    learners = [f"learner-{i}" for i in range(7)]
    for learner in learners:
        complete(aws, learner, "py/loops", "py/lists")
    records = aws.new_records()
    assert {r["eventName"] for r in records} >= {"INSERT", "MODIFY"}
    doubled = [record for record in records for _ in range(2)]
    assert aws.deliver(doubled) == {"batchItemFailures": []}
    after_first = aws.counts.read_counts()
    assert after_first == expected(aws.histories(learners))
    assert after_first.pairs == {("py/loops", "py/lists"): 7}
    capsys.readouterr()
    assert aws.deliver(records) == {"batchItemFailures": []}  # the whole batch again
    assert aws.counts.read_counts() == after_first
    metrics = metric_totals(capsys.readouterr().out)
    assert metrics["FactsChanged"] == 0
    assert metrics["DuplicatesSkipped"] + metrics["RecordsIgnored"] == len(records)


@pytest.mark.reliability(
    area="Duplicate delivery",
    tried="Learners reset (new generation) and delete their progress, records out of order",
    scale="Reset mid-history, redo after reset, shuffled and split batches",
    outcome="A reset removes all the learner's contributions; later completions count anew",
)
def test_a_reset_removes_the_learners_contributions_and_later_ones_count(aws: Aws) -> None:
    complete(aws, "ana", "py/a", "py/b", "py/c")
    complete(aws, "ben", "py/a", "py/b")
    aws.deliver(aws.new_records())
    assert aws.counts.read_counts().pairs == {("py/a", "py/b"): 2, ("py/b", "py/c"): 1}

    aws.store.reset("ana")
    reset_records = aws.new_records()
    assert any(r["eventName"] == "REMOVE" for r in reset_records)  # stale items cleaned
    aws.deliver(reset_records)
    counts = aws.counts.read_counts()
    assert counts == expected(aws.histories(["ana", "ben"]))
    assert counts.pairs == {("py/a", "py/b"): 1} and counts.stopped == {"py/b": 1}
    assert aws.counts.markers("ana") == {}

    complete(aws, "ana", "py/c", "py/a")  # a new history after the reset
    later = aws.new_records()
    random.Random(7).shuffle(later)  # order across items is not guaranteed
    aws.deliver(later[: len(later) // 2])
    aws.deliver(later[len(later) // 2 :])
    counts = aws.counts.read_counts()
    assert counts == expected(aws.histories(["ana", "ben"]))
    assert counts.pairs == {("py/a", "py/b"): 1, ("py/c", "py/a"): 1}


def test_deleted_progress_leaves_no_counts(aws: Aws) -> None:
    complete(aws, "ana", "py/a", "py/b")
    aws.deliver(aws.new_records())
    for item in aws.client.query(
        TableName=PROGRESS,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "ana"}},
    )["Items"]:
        aws.client.delete_item(TableName=PROGRESS, Key={"pk": item["pk"], "sk": item["sk"]})
    aws.deliver(aws.new_records())
    assert aws.counts.read_counts() == Counts()
    assert aws.counts.markers("ana") == {}


def test_goal_and_current_lesson_changes_are_ignored(aws: Aws) -> None:
    complete(aws, "ana", "py/a")
    aws.deliver(aws.new_records())
    aws.store.set_goal("ana", "py/c")
    aws.store.set_current_lesson("ana", "py/b")
    records = aws.new_records()
    assert records
    calls: list[str] = []
    original = aws.client.query

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs["TableName"])
        return original(**kwargs)

    aws.client.query = counting  # type: ignore[method-assign]
    aws.deliver(records)
    assert calls == []  # head changes that keep the generation read nothing


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="A batch in which one learner's counter writes fail (DynamoDB error)",
    scale="3 learners, the failing one in the middle; then the retry",
    outcome="batchItemFailures names the failing learner's first record; others are counted; "
    "the retry completes; a batch failing entirely raises (Lambda bisects, then the DLQ)",
)
def test_a_failing_learner_is_reported_for_retry_and_the_others_count(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    for learner in ("ana", "bob", "cy"):
        complete(aws, learner, "py/a", "py/b")
    records = aws.new_records()
    original = aws.client.transact_write_items

    def failing_for_bob(**kwargs: Any) -> Any:
        if "LEARNER#bob" in json.dumps(kwargs):
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "injected"}},
                "TransactWriteItems",
            )
        return original(**kwargs)

    monkeypatch.setattr(aws.client, "transact_write_items", failing_for_bob)
    response = aws.deliver(records)
    bob = [
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if r["dynamodb"]["Keys"]["pk"]["S"] == "bob"
    ]
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert failed and min(failed, key=int) == min(bob, key=int)
    assert set(failed) <= set(bob)
    assert aws.counts.read_counts().pairs == {("py/a", "py/b"): 2}  # ana and cy

    bob_only = [r for r in records if learner_of(r) == "bob"]
    with pytest.raises(BatchProcessingError):
        aws.deliver(bob_only)  # every record failed: the invocation fails, Lambda bisects

    monkeypatch.setattr(aws.client, "transact_write_items", original)
    retried = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= min(map(int, failed))]
    assert aws.deliver(retried) == {"batchItemFailures": []}
    assert aws.counts.read_counts() == expected(aws.histories(["ana", "bob", "cy"]))


def test_a_learner_with_many_facts_is_written_in_several_transactions(aws: Aws) -> None:
    lessons = [f"py/l{i:03d}" for i in range(52)]  # 52 facts: 104 items, two transactions
    complete(aws, "ana", *lessons)
    aws.deliver(aws.new_records())
    assert len(aws.counts.markers("ana")) == 52
    assert aws.counts.read_counts() == expected(aws.histories(["ana"]))
    aws.store.reset("ana")
    aws.deliver(aws.new_records())
    assert aws.counts.read_counts() == Counts()


def test_concurrent_reconcile_of_the_same_learner_keeps_counters_equal_to_markers(
    aws: Aws,
) -> None:
    complete(aws, "ana", "py/a", "py/b")
    facts = learner_facts(aws.histories(["ana"])[0])
    # another invocation applied the same change between our read and our write
    real_markers = aws.counts.markers
    calls = {"n": 0}

    def stale_first_read(learner: str) -> dict:
        calls["n"] += 1
        if calls["n"] == 1:
            other = CountsTable(aws.client, COUNTS)
            other.reconcile(learner, facts)
            return {}
        return real_markers(learner)

    aws.counts.markers = stale_first_read  # type: ignore[method-assign]
    result = aws.counts.reconcile("ana", facts)
    assert result.conflicts == 1 and not result.changed
    assert aws.counts.read_counts() == expected(aws.histories(["ana"]))


# ----------------------------------------------------------------------------- snapshot


@pytest.mark.reliability(
    area="Privacy",
    tried="The scheduled snapshot of counts with successors below the privacy floor",
    scale="5 learners took one successor, 2 another; MIN_LEARNERS=5",
    outcome="The rare successor and its stop count are absent from the snapshot file",
)
def test_the_snapshot_hides_successors_below_the_floor(
    aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        complete(aws, f"many-{i}", "py/a", "py/b")
    for i in range(2):
        complete(aws, f"few-{i}", "py/a", "py/c")
    aws.deliver(aws.new_records())
    target = tmp_path / "efs" / ".transitions"
    monkeypatch.setenv("TRANSITIONS_SNAPSHOT", str(target))
    monkeypatch.setenv("MIN_LEARNERS", "5")
    summary = snapshot_handler({"source": "aws.events"}, client=aws.client)
    assert summary["written"] is True
    model = load_transitions(target)
    assert [s.lesson_id for s in model.successors("py/a")] == ["py/b"]
    assert model.finished("py/a") == 7  # all who finished it (the floor cuts counts, not truth)
    assert model.stopped("py/c") == 0 and "py/c" not in model.to_json()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".tmp-")]

    again = snapshot_handler({"source": "aws.events"}, client=aws.client)
    assert again["written"] is False  # same counts: the bot does not reload


@settings(
    max_examples=int(__import__("os").environ.get("AGGREGATOR_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(
        st.one_of(
            st.tuples(
                st.just("complete"),
                st.sampled_from("abc"),
                st.sampled_from(["c/x", "c/y", "c/z", "c/w"]),
            ),
            st.tuples(st.just("reset"), st.sampled_from("abc"), st.just("")),
            st.tuples(st.just("deliver"), st.just(""), st.just("")),
        ),
        max_size=25,
    ),
    duplicate=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_counts_equal_learn_transitions_for_any_interleaving(
    monkeypatch: pytest.MonkeyPatch,
    operations: list[tuple[str, str, str]],
    duplicate: bool,
    seed: int,
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    rng = random.Random(seed)
    with aws_tables(monkeypatch) as aws:
        pending: list[dict[str, Any]] = []
        for kind, learner, lesson in operations:
            if kind == "complete":
                aws.store.complete_lesson(learner, lesson)
            elif kind == "reset":
                aws.store.reset(learner)
            else:  # deliver part of what is pending, possibly twice, in any order
                pending += aws.new_records()
                rng.shuffle(pending)
                cut = rng.randint(0, len(pending))
                batch, pending = pending[:cut], pending[cut:]
                aws.deliver(batch + (batch if duplicate else []))
        pending += aws.new_records()
        rng.shuffle(pending)
        aws.deliver(pending + (pending[: len(pending) // 2] if duplicate else []))
        assert aws.counts.read_counts() == expected(aws.histories(["a", "b", "c"]))


def test_sqlite_rebuild_and_aws_aggregator_write_the_same_snapshot(
    aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from lex_bot.devtools.transitions import rebuild
    from lex_bot.lesson_app.progress_store import SqliteProgressStore

    sqlite = SqliteProgressStore(tmp_path / "progress.db")
    rng = random.Random(18)
    lessons = [f"py/l{i}" for i in range(6)]
    for i in range(40):
        learner = f"learner-{i}"
        path = rng.sample(lessons, rng.randint(1, 5))
        for position, lesson in enumerate(path):
            for store in (sqlite, aws.store):
                store.complete_lesson(learner, lesson)
            if position == 1 and i % 7 == 0:
                for store in (sqlite, aws.store):
                    store.reset(learner)
    aws.deliver(aws.new_records())
    on_aws = tmp_path / "efs" / ".transitions"
    monkeypatch.setenv("TRANSITIONS_SNAPSHOT", str(on_aws))
    monkeypatch.setenv("MIN_LEARNERS", "2")
    snapshot_handler({}, client=aws.client)
    local = tmp_path / "local" / "transitions"
    rebuild(sqlite.path, local, min_learners=2)

    aws_model, local_model = load_transitions(on_aws), load_transitions(local)
    assert len(aws_model) > 0
    assert dataclasses.replace(local_model, generated_at=aws_model.generated_at) == aws_model


# ----------------------------------------------------------------------------- package


def test_the_transitions_zip_is_self_sufficient_reproducible_and_apart_from_the_bot(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys
    import zipfile

    from test_architecture import DEV_ONLY

    from deploy.package import FUNCTION_SOURCES, is_shipped
    from deploy.package_transitions import build

    # Compiled by this interpreter (the 3.12 bytecode is checked in tests/test_package.py).
    first = build(tmp_path / "one", interpreter=sys.executable)
    second = build(tmp_path / "two", interpreter=sys.executable)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "unzipped")
    assert not any(n.startswith(("lex_bot/lexv2/", "lex_bot/devtools/", "tests/")) for n in names)
    assert not [n for n in names if n.startswith("transitions_aggregator/")
                if n.startswith(FUNCTION_SOURCES) and is_shipped(n)]  # fmt: skip
    # only the zip's code and the installed third-party packages (the layer) on the path
    code = (
        "import sys; "
        "import transitions_aggregator.handler as h, transitions_aggregator.snapshot, "
        "transitions_aggregator.cli; "
        "assert h.__file__.startswith(sys.argv[1]), h.__file__; "
        f"dev = {DEV_ONLY!r}; "
        "loaded = [m for m in sys.modules if m.split('.')[0] in dev]; "
        "assert not loaded, loaded"
    )
    unzipped = str(tmp_path / "unzipped")
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", code, unzipped],
        cwd=unzipped,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------- operations


def test_rebuild_repairs_lost_records_and_from_scratch_repairs_a_tampered_table(
    aws: Aws,
) -> None:
    from transitions_aggregator.cli import rebuild
    from transitions_aggregator.handler import Aggregator

    complete(aws, "ana", "py/a", "py/b")
    complete(aws, "ben", "py/a", "py/c")
    aws.deliver([r for r in aws.new_records() if learner_of(r) != "ben"])  # ben's are lost
    aggregator = Aggregator(aws.store, aws.counts)
    truth = expected(aws.histories(["ana", "ben"]))
    assert aws.counts.read_counts() != truth
    outcome = rebuild(aggregator)
    assert outcome.learners == 2 and aws.counts.read_counts() == truth

    aws.client.update_item(  # a counter changed by hand: only a rebuild from scratch fixes it
        TableName=COUNTS,
        Key={"pk": {"S": f"COUNTS#{shard_of('ana'):02d}"}, "sk": {"S": "next\x1fpy/a\x1fpy/b"}},
        UpdateExpression="ADD learners :n",
        ExpressionAttributeValues={":n": {"N": "40"}},
    )
    assert rebuild(aggregator).facts_changed == 0  # markers say all is counted
    rebuild(aggregator, from_scratch=True)
    assert aws.counts.read_counts() == truth


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="A stream batch that exhausted its retries, redriven from the dead-letter queue",
    scale="The DLQ message's shard and sequence range, read again from moto's stream",
    outcome="Its learners are counted, the message is deleted; a range gone from the stream "
    "stays in the queue and is reported",
)
def test_redrive_reads_the_dead_lettered_range_again(aws: Aws) -> None:
    from transitions_aggregator.cli import redrive
    from transitions_aggregator.handler import Aggregator

    complete(aws, "ana", "py/a", "py/b")
    records = aws.new_records()  # never delivered: Lambda gave up on them
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="transitions-dlq")["QueueUrl"]
    shard = aws.streams.describe_stream(StreamArn=aws.stream_arn)["StreamDescription"]["Shards"][0]
    numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
    info = {
        "shardId": shard["ShardId"],
        "startSequenceNumber": min(numbers, key=int),
        "endSequenceNumber": max(numbers, key=int),
        "batchSize": len(records),
        "streamArn": aws.stream_arn,
    }
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(
            {"requestContext": {"condition": "RetryAttemptsExhausted"}, "DDBStreamBatchInfo": info}
        ),
    )
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"DDBStreamBatchInfo": {}}))
    outcome = redrive(Aggregator(aws.store, aws.counts), sqs, aws.streams, queue)
    assert outcome.messages == 1 and len(outcome.expired) == 1
    assert aws.counts.read_counts() == expected(aws.histories(["ana"]))
    left = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    total = int(left["ApproximateNumberOfMessages"]) + int(
        left["ApproximateNumberOfMessagesNotVisible"]
    )
    assert total == 1  # the unreadable one stays for the operator
