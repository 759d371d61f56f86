"""Throughput of the transitions aggregator per stream shard, against moto in-process.

Usage::

    .venv/bin/python -m bench.aggregator                  # 50 learners x 5 completions (~3 min)
    .venv/bin/python -m bench.aggregator --learners 30    # quicker

Writes ``bench/results-aggregator.md``.

What it does: a moto DynamoDB progress table with its stream, written by the real
``DynamoDBProgressStore`` (``--learners`` learners complete ``--lessons`` lessons each, drawn
from 40, and every tenth learner resets once midway); the stream's records are read back
(moto's ``GetRecords``) and handed to ``transitions_aggregator.handler.stream_handler`` in
batches of 100 (the template's ``BatchSize``), one after the other, as Lambda does for one
shard (``ParallelizationFactor`` 1). Timed: the handler calls only. Then the same records
are delivered again (a replay: every record a duplicate).

What it measures, and what not: **the aggregator's own CPU cost plus moto's** (an in-process
fake that answers in microseconds), so the measured rate is an upper bound that no network
round trip slows. Real DynamoDB answers each call in single-digit milliseconds and the
handler makes its calls one after the other, so the benchmark also counts the DynamoDB calls
per completion and projects the rate per shard for a per-call latency of 5 and 10 ms:
``completions / (calls x latency + the aggregator's own CPU time)`` (moto's time taken
out). It does not measure Lambda's polling and invocation overhead, cold starts,
throttling, or the 2x write cost of transactions.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

BATCH_SIZE = 100
LESSONS = [f"py/lesson-{i:02d}" for i in range(40)]
RESULTS = Path(__file__).resolve().parent / "results-aggregator.md"
LATENCIES_MS = (5, 10)
LIVE = "live: each round of completions delivered as it happens"
BACKLOG = "backlog: all records at once (an aggregator catching up)"
REPLAY = "replay: all records again (every one a duplicate)"


def _environment() -> None:
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        PROGRESS_TABLE="BenchProgress",
        COUNTS_TABLE="BenchCounts",
        POWERTOOLS_METRICS_DISABLED="true",
        LOG_LEVEL="ERROR",
    )


def run(learners: int, lessons: int, seed: int = 18) -> dict[str, Any]:
    """Fill the tables, then time the handler over the stream; return the figures."""
    _environment()
    import boto3
    from moto import mock_aws

    from lex_bot.lesson_app.progress_store import dynamodb as progress
    from transitions_aggregator import counts as counts_module
    from transitions_aggregator.handler import stream_handler
    from transitions_aggregator.stream import read_shard, shard_ids

    rng = random.Random(seed)
    with mock_aws():
        client = progress.make_client("us-east-1")
        progress.create_table(client, "BenchProgress", stream=True)
        counts_module.create_table(client, "BenchCounts")
        counts_module.create_table(client, "BenchBacklogCounts")
        store = progress.DynamoDBProgressStore("BenchProgress", client=client)
        arn = client.describe_table(TableName="BenchProgress")["Table"]["LatestStreamArn"]
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        (shard,) = shard_ids(streams, arn)  # moto: one shard

        aggregator_client = progress.make_client("us-east-1")  # only its calls are counted
        calls: Counter[str] = Counter()
        in_moto = [0.0]
        make_api_call = aggregator_client._make_api_call

        def counted(operation: str, params: dict[str, Any]) -> Any:
            calls[operation] += 1
            started = time.perf_counter()
            try:
                return make_api_call(operation, params)
            finally:
                in_moto[0] += time.perf_counter() - started

        aggregator_client._make_api_call = counted

        def deliver(records: list[dict[str, Any]], table: str, totals: dict[str, Any]) -> None:
            os.environ["COUNTS_TABLE"] = table
            calls.clear()
            in_moto[0] = 0.0
            started = time.perf_counter()
            for start in range(0, len(records), BATCH_SIZE):
                batch = {"Records": records[start : start + BATCH_SIZE]}
                response = stream_handler(batch, client=aggregator_client)
                assert response == {"batchItemFailures": []}
            totals["seconds"] = totals.get("seconds", 0.0) + time.perf_counter() - started
            totals["moto_seconds"] = totals.get("moto_seconds", 0.0) + in_moto[0]
            for operation, count in calls.items():
                totals["calls"][operation] = totals["calls"].get(operation, 0) + count

        live: dict[str, Any] = {"calls": {}}
        records: list[dict[str, Any]] = []
        last: str | None = None
        paths = [rng.sample(LESSONS, lessons) for _ in range(learners)]
        for position in range(lessons):  # learners take turns, as in real traffic
            for i, path in enumerate(paths):
                store.complete_lesson(f"learner-{i}", path[position])
                if i % 10 == 0 and position == lessons // 2:
                    store.reset(f"learner-{i}")
            new = list(read_shard(streams, arn, shard, after=last))
            last = new[-1]["dynamodb"]["SequenceNumber"] if new else last
            records += new
            deliver(new, "BenchCounts", live)  # the aggregator keeps up, round by round

        backlog: dict[str, Any] = {"calls": {}}
        deliver(records, "BenchBacklogCounts", backlog)  # everything at once, fresh counts
        replay: dict[str, Any] = {"calls": {}}
        deliver(records, "BenchCounts", replay)  # again: every record a duplicate
        figures: dict[str, Any] = {
            "records": len(records),
            "learners": learners,
            "completions": learners * lessons,
            "resets": len(range(0, learners, 10)),
            LIVE: live,
            BACKLOG: backlog,
            REPLAY: replay,
        }
        return figures


def report(figures: dict[str, Any]) -> str:
    records, completions = figures["records"], figures["completions"]
    lines = [
        "# Transitions aggregator throughput (per stream shard)",
        "",
        f"Measured {date.today().isoformat()} on {platform.machine()}, Python "
        f"{platform.python_version()}, by `python -m bench.aggregator --learners "
        f"{figures['learners']}`: {completions:,} completions and {figures['resets']} resets "
        f"by {figures['learners']} learners gave {records:,} stream records (moto writes "
        f"{records / completions:.1f} per completion; DynamoDB writes one per item changed, "
        "2 per completion), delivered in batches of "
        f"{BATCH_SIZE}, one batch after the other (one shard). moto runs in-process; the "
        "module docstring says what this does and does not measure.",
        "",
        "Rates are per completion (a learner finishing a lesson), the unit that does not "
        "depend on how many records a store writes for it; on DynamoDB a completion is 2 "
        "stream records, so records per second are twice the completions per second.",
        "",
        "| delivery | measured completions/s (moto) | aggregator CPU per completion (ms) | "
        "moto per completion (ms) | DynamoDB calls per completion | "
        + " | ".join(f"projected completions/s at {ms} ms per call" for ms in LATENCIES_MS)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(LATENCIES_MS),
    ]
    for label in (LIVE, BACKLOG, REPLAY):
        run = figures[label]
        calls = sum(run["calls"].values())
        ours = run["seconds"] - run["moto_seconds"]
        projected = [completions / (calls * ms / 1000 + ours) for ms in LATENCIES_MS]
        lines.append(
            f"| {label} | {completions / run['seconds']:,.0f} | {1000 * ours / completions:.2f} "
            f"| {1000 * run['moto_seconds'] / completions:.2f} | {calls / completions:.2f} | "
            + " | ".join(f"{p:,.0f}" for p in projected)
            + " |"
        )
    lines += ["", "Calls by operation:", ""]
    for label in (LIVE, BACKLOG, REPLAY):
        detail = ", ".join(f"{k} {v:,}" for k, v in sorted(figures[label]["calls"].items()))
        lines.append(f"* {label}: {detail}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.aggregator")
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--lessons", type=int, default=5, help="completions per learner")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    text = report(run(args.learners, args.lessons))
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
