"""The two Lambda handlers: the progress stream into the counts table, and the snapshot.

``stream_handler`` (``TransitionsAggregatorFunction``) is invoked by the event source mapping
of the progress table's DynamoDB Stream (``NEW_AND_OLD_IMAGES``) with a batch of records
("Using AWS Lambda with Amazon DynamoDB",
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html). Each record names a learner
(``Keys.pk``); a record that can change what the learner completed (a lesson item inserted,
changed or removed; the head inserted, removed, or given a new ``generation`` by a reset)
makes the learner be reconciled, once per batch (:meth:`Aggregator.reconcile`): the table
is always ahead of the stream, so the first reconcile covers every later record of the same
learner in the batch. Head changes that keep the generation (current lesson, goal, a
completion's version bump) are skipped. A learner that fails is reported in
``batchItemFailures`` (Powertools ``BatchProcessor``, "Implementing partial batch
responses", https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html):
Lambda retries from the first failed record, bisects on errors, and after
``MaximumRetryAttempts`` sends the batch's description to the dead-letter queue
(docs/DEPLOY.md says how to redrive it).

``snapshot_handler`` (``TransitionsSnapshotFunction``, EventBridge ``rate(5 minutes)``)
reads the counters, applies ``MIN_LEARNERS`` and writes ``TRANSITIONS_SNAPSHOT`` atomically
(:mod:`transitions_aggregator.snapshot`).

Environment: ``PROGRESS_TABLE``, ``COUNTS_TABLE``, ``TRANSITIONS_SNAPSHOT``,
``MIN_LEARNERS`` (default 5). Metrics (EMF, namespace ``POWERTOOLS_METRICS_NAMESPACE``,
service ``lessonbot-transitions``): ``RecordsProcessed``, ``RecordsIgnored``,
``DuplicatesSkipped`` (records whose learner's counts were already current: a duplicate or
replayed record, or a later record of a learner already reconciled in the batch),
``LearnersReconciled``, ``FactsChanged``, ``RecordsFailed``; the snapshot emits
``SnapshotLessons``, ``SnapshotPairs`` and ``SnapshotWritten``.

Example
-------
>>> record = {"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": "ana"},
...     "sk": {"S": "PROFILE"}}, "OldImage": {"generation": {"N": "0"}},
...     "NewImage": {"generation": {"N": "1"}}}}
>>> learner_of(record)
'ana'
>>> record["dynamodb"]["NewImage"]["generation"]["N"] = "0"  # a goal change, say
>>> learner_of(record) is None
True
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from lex_bot.lesson_app.progress_store.dynamodb import (
    LESSON_PREFIX,
    PARTITION_KEY,
    PROFILE,
    SORT_KEY,
    DynamoDBProgressStore,
)
from transitions_aggregator.counts import CountsTable, Reconciled, learner_facts

SERVICE = "lessonbot-transitions"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Lessonbot")


def _generation(image: dict[str, Any] | None) -> int:
    try:
        return int((image or {})["generation"]["N"])
    except (KeyError, TypeError, ValueError):
        return 0


def learner_of(record: dict[str, Any]) -> str | None:
    """The learner whose counts a stream record may change, or None (nothing to count)."""
    change = record.get("dynamodb") or {}
    keys = change.get("Keys") or {}
    learner = (keys.get(PARTITION_KEY) or {}).get("S")
    sort_key = (keys.get(SORT_KEY) or {}).get("S")
    if not learner or sort_key is None:
        return None
    if sort_key.startswith(LESSON_PREFIX):
        return learner
    if sort_key == PROFILE:
        if record.get("eventName") != "MODIFY":
            return learner  # a head created or removed (deleted progress)
        old, new = change.get("OldImage"), change.get("NewImage")
        if old is None or new is None or _generation(old) != _generation(new):
            return learner  # a reset, or an image we cannot compare
    return None


class Aggregator:
    """Reconciles learners' counts with their progress (read with ``dynamodb:Query`` only)."""

    def __init__(self, progress: DynamoDBProgressStore, counts: CountsTable) -> None:
        self.progress = progress
        self.counts = counts

    def history(self, learner_id: str) -> list[str]:
        """The learner's completed lesson ids now, oldest first (the visible generation)."""
        return list(self.progress.read(learner_id).completed)

    def reconcile(self, learner_id: str) -> Reconciled:
        return self.counts.reconcile(learner_id, learner_facts(self.history(learner_id)))


@dataclass
class BatchStats:
    """What one batch did (the handler's metrics)."""

    records: int = 0
    ignored: int = 0
    duplicates: int = 0
    learners: int = 0
    facts_changed: int = 0
    failed: int = 0


def process_records(
    event: dict[str, Any], aggregator: Aggregator, context: Any = None
) -> tuple[dict[str, Any], BatchStats]:
    """Reconcile the learners of a stream batch; the partial batch response and the stats.

    Raises
    ------
    aws_lambda_powertools.utilities.batch.exceptions.BatchProcessingError
        When every record failed (Lambda then bisects the batch and retries it).
    """
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    stats = BatchStats()
    if not event.get("Records"):
        return {"batchItemFailures": []}, stats  # Powertools refuses an empty batch
    reconciled: set[str] = set()

    def handle(record: Any) -> None:
        raw = record.raw_event
        stats.records += 1
        learner = learner_of(raw)
        if learner is None:
            stats.ignored += 1
            return
        if learner in reconciled:
            stats.duplicates += 1
            return
        try:
            result = aggregator.reconcile(learner)
        except Exception:
            stats.failed += 1
            raise
        reconciled.add(learner)
        stats.learners += 1
        stats.facts_changed += result.added + result.removed
        if not result.changed:
            stats.duplicates += 1

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    try:
        response = process_partial_response(
            event=event, record_handler=handle, processor=processor, context=context
        )
    finally:
        _emit(
            RecordsProcessed=stats.records,
            RecordsIgnored=stats.ignored,
            DuplicatesSkipped=stats.duplicates,
            LearnersReconciled=stats.learners,
            FactsChanged=stats.facts_changed,
            RecordsFailed=stats.failed,
        )
    return response, stats


def _emit(**values: int) -> None:
    """One EMF blob with these counts (dimension ``service``)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() in ("1", "true"):
        return
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
    for name, value in values.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()


class _Stdout:
    """``sys.stdout`` as it is at each write (test runners swap it between calls)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@cache
def get_logger() -> Any:
    """The process-wide Powertools logger (JSON lines; level from ``LOG_LEVEL``)."""
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO"), stream=_Stdout())


def _log(message: str, **fields: Any) -> None:
    get_logger().info(message, extra=fields)


_clients: dict[str, Any] = {}


def _client() -> Any:
    """The DynamoDB client, created once per container (bounded timeouts and retries)."""
    if "dynamodb" not in _clients:
        from lex_bot.lesson_app.progress_store.dynamodb import make_client

        _clients["dynamodb"] = make_client()
    return _clients["dynamodb"]


def stream_handler(event: dict[str, Any], context: Any = None, *, client: Any = None) -> dict:
    """Handle a batch of progress-table stream records; return the partial batch response."""
    client = client or _client()
    aggregator = Aggregator(
        DynamoDBProgressStore(os.environ["PROGRESS_TABLE"], client=client),
        CountsTable(client, os.environ["COUNTS_TABLE"]),
    )
    response, stats = process_records(event, aggregator, context)
    _log(
        "stream batch",
        records=stats.records,
        ignored=stats.ignored,
        duplicates_skipped=stats.duplicates,
        learners=stats.learners,
        facts_changed=stats.facts_changed,
        failed=len(response.get("batchItemFailures", [])),
    )
    return response


def snapshot_handler(event: Any = None, context: Any = None, *, client: Any = None) -> dict:
    """Write the snapshot of the counts table (scheduled); return what it wrote."""
    from transitions_aggregator.snapshot import model_of, now_iso, write_snapshot

    client = client or _client()
    started = time.monotonic()
    min_learners = int(os.environ.get("MIN_LEARNERS", "5"))
    path = os.environ["TRANSITIONS_SNAPSHOT"]
    counts = CountsTable(client, os.environ["COUNTS_TABLE"]).read_counts()
    model = model_of(counts, min_learners=min_learners, generated_at=now_iso())
    written = write_snapshot(model, path)
    pairs = sum(len(model.successors(lesson)) for lesson in model.lessons)
    _emit(SnapshotLessons=len(model), SnapshotPairs=pairs, SnapshotWritten=int(written))
    summary = {
        "path": path,
        "written": written,
        "lessons": len(model),
        "pairs": pairs,
        "counted_pairs": len(counts.pairs),
        "min_learners": min_learners,
        "seconds": round(time.monotonic() - started, 3),
    }
    _log("transitions snapshot", **summary)
    return summary
