"""Operator commands: ``python -m transitions_aggregator rebuild | redrive``.

Run with an operator's credentials (not the functions' roles: a rebuild scans tables).

``rebuild --progress-table T --counts-table C [--from-scratch]``
    Reconciles every learner found in the progress table or in the counts table (a ``Scan``
    of each, keys only): afterwards the counts equal ``learn_transitions`` over everyone's
    current history, whatever records were lost. Idempotent; safe while the stream is being
    processed. ``--from-scratch`` first deletes every item of the counts table (disable the
    aggregator's event source mapping meanwhile, docs/DEPLOY.md): for a counts table changed
    by hand, or after changing :data:`transitions_aggregator.counts.SHARDS`.

``redrive --queue-url URL --progress-table T --counts-table C``
    For each message of the dead-letter queue (the description of a batch Lambda gave up on,
    ``DDBStreamBatchInfo``), reads that range of the stream again, reconciles its learners and
    deletes the message. A range the stream no longer keeps (older than 24 hours) is left in
    the queue and reported: run ``rebuild`` then purge the queue.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lex_bot.lesson_app.progress_store.dynamodb import (
    PARTITION_KEY,
    DynamoDBProgressStore,
    make_client,
)
from transitions_aggregator.counts import CountsTable
from transitions_aggregator.handler import Aggregator, learner_of
from transitions_aggregator.stream import read_shard


@dataclass
class Outcome:
    """What a rebuild or a redrive did."""

    learners: int = 0
    facts_changed: int = 0
    messages: int = 0
    expired: list[str] = field(default_factory=list)


def progress_learners(client: Any, table: str) -> Iterable[str]:
    """Every learner id in the progress table (a keys-only ``Scan``)."""
    seen: set[str] = set()
    for page in client.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="#pk", ExpressionAttributeNames={"#pk": PARTITION_KEY}
    ):
        for item in page.get("Items", []):
            learner = item[PARTITION_KEY]["S"]
            if learner not in seen:
                seen.add(learner)
                yield learner


def wipe(client: Any, table: str) -> int:
    """Delete every item of the counts table; return how many."""
    deleted = 0
    for page in client.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression="#pk, #sk",
        ExpressionAttributeNames={"#pk": "pk", "#sk": "sk"},
    ):
        for item in page.get("Items", []):
            client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
            deleted += 1
    return deleted


def rebuild(aggregator: Aggregator, *, from_scratch: bool = False) -> Outcome:
    """Reconcile every learner of the progress and counts tables."""
    counts = aggregator.counts
    if from_scratch:
        wipe(counts.client, counts.table)
    learners = set(progress_learners(counts.client, aggregator.progress.table))
    learners |= set(counts.learners())
    outcome = Outcome()
    for learner in sorted(learners):
        result = aggregator.reconcile(learner)
        outcome.learners += 1
        outcome.facts_changed += result.added + result.removed
    return outcome


def redrive(aggregator: Aggregator, sqs: Any, streams: Any, queue_url: str) -> Outcome:
    """Reconcile the learners of every batch described in the dead-letter queue."""
    from botocore.exceptions import ClientError

    outcome = Outcome()
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300
        ).get("Messages", [])
        if not messages or all(m["MessageId"] in seen for m in messages):
            return outcome
        for message in messages:
            seen.add(message["MessageId"])
            info = json.loads(message["Body"]).get("DDBStreamBatchInfo") or {}
            try:
                records = list(
                    read_shard(
                        streams,
                        info["streamArn"],
                        info["shardId"],
                        start=info["startSequenceNumber"],
                        end=info["endSequenceNumber"],
                    )
                )
            except (KeyError, ClientError) as exc:
                outcome.expired.append(f"{message['MessageId']}: {exc}")
                continue
            learners = {learner for r in records if (learner := learner_of(r)) is not None}
            for learner in sorted(learners):
                result = aggregator.reconcile(learner)
                outcome.learners += 1
                outcome.facts_changed += result.added + result.removed
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            outcome.messages += 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m transitions_aggregator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("rebuild", "redrive"):
        command = commands.add_parser(name)
        command.add_argument("--progress-table", required=True)
        command.add_argument("--counts-table", required=True)
        command.add_argument("--region")
        if name == "rebuild":
            command.add_argument("--from-scratch", action="store_true")
        else:
            command.add_argument("--queue-url", required=True)
    args = parser.parse_args(argv)
    client = make_client(args.region)
    aggregator = Aggregator(
        DynamoDBProgressStore(args.progress_table, client=client),
        CountsTable(client, args.counts_table),
    )
    if args.command == "rebuild":
        outcome = rebuild(aggregator, from_scratch=args.from_scratch)
    else:
        import boto3

        outcome = redrive(
            aggregator,
            boto3.client("sqs", region_name=args.region),
            boto3.client("dynamodbstreams", region_name=args.region),
            args.queue_url,
        )
    print(
        f"{args.command}: {outcome.learners} learners reconciled, {outcome.facts_changed} "
        f"facts changed, {outcome.messages} messages redriven"
    )
    for line in outcome.expired:
        print(f"not redriven (run rebuild, then purge the queue): {line}", file=sys.stderr)
    return 1 if outcome.expired else 0
