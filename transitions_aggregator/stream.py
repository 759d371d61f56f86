"""Reading the progress table's stream directly (redrive, tests, benchmark).

Lambda's event source mapping normally reads the stream. When a batch ends in the
dead-letter queue, the queue holds only its *description* (``DDBStreamBatchInfo``: stream,
shard and sequence-number range, "Capturing discarded batches for a DynamoDB Streams event
source", https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html); the
records themselves are read again here with the DynamoDB Streams API (``GetShardIterator``,
``GetRecords``) while the stream still keeps them (24 hours). Records come back in the shape
of a Lambda event's ``Records`` (the ``eventSourceARN`` added, the creation time as epoch
seconds), so the handler treats them as it treats the ones Lambda delivers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

#: Records per ``GetRecords`` call (the API's maximum is 1,000).
PAGE = 1000
#: Empty pages in a row after which an open shard is taken as read to its end.
MAX_EMPTY_PAGES = 3


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A ``GetRecords`` record as Lambda delivers it in a stream event."""
    change = dict(record.get("dynamodb") or {})
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn}


def shard_ids(streams: Any, stream_arn: str) -> list[str]:
    """Every shard of the stream (``DescribeStream``, paginated)."""
    shards: list[str] = []
    kwargs: dict[str, Any] = {"StreamArn": stream_arn}
    while True:
        description = streams.describe_stream(**kwargs)["StreamDescription"]
        shards += [shard["ShardId"] for shard in description.get("Shards", [])]
        last = description.get("LastEvaluatedShardId")
        if not last:
            return shards
        kwargs["ExclusiveStartShardId"] = last


def read_shard(
    streams: Any,
    stream_arn: str,
    shard_id: str,
    *,
    start: str | None = None,
    end: str | None = None,
    after: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The shard's records (Lambda shape): from ``start`` (inclusive) or ``after``
    (exclusive) or the oldest kept, up to ``end`` (inclusive) or the shard's current end.

    Raises
    ------
    botocore.exceptions.ClientError
        ``TrimmedDataAccessException`` when the records are older than the stream keeps.
    """
    kwargs: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": shard_id}
    if start is not None:
        kwargs.update(ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=start)
    elif after is not None:
        kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
    else:
        kwargs.update(ShardIteratorType="TRIM_HORIZON")
    iterator = streams.get_shard_iterator(**kwargs).get("ShardIterator")
    empty = 0
    while iterator and empty < MAX_EMPTY_PAGES:
        page = streams.get_records(ShardIterator=iterator, Limit=PAGE)
        records = page.get("Records", [])
        empty = 0 if records else empty + 1
        for record in records:
            number = record["dynamodb"]["SequenceNumber"]
            if end is not None and int(number) > int(end):
                return
            yield lambda_record(record, stream_arn)
            if end is not None and int(number) == int(end):
                return
        iterator = page.get("NextShardIterator")
