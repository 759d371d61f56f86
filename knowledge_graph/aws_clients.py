"""Bounded AWS calls: the timeouts and retry budgets of every boto3 client, in one place.

Every S3 and DynamoDB client of the bot and the publisher is made by :func:`make_client`
with one of the :class:`CallBudget` values below, so no call keeps botocore's defaults
(60 s to connect, 60 s per read, legacy retries) inside a Lambda function that has 10 s.
It lives in ``knowledge_graph`` because both sides use it: the lesson sources here
(:class:`knowledge_graph.sources.S3Source`), the progress store in ``lex_bot`` and the
publisher (``knowledge_graph`` imports neither).

**Worst case of one call** (:meth:`CallBudget.worst_case_seconds`):
``max_attempts × (connect_timeout + read_timeout) + Σ backoff``. botocore's *standard*
retry mode waits ``rand(0, 1) × min(2 ** (n - 1), 20)`` seconds before retry ``n``
(``botocore/retries/standard.py``, ``ExponentialBackoff``; AWS SDKs and Tools Reference
Guide, "Retry behavior": https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html),
at most 1 s before the second attempt, 2 s before the third. ``read_timeout`` bounds each
wait for bytes from the socket, not a whole response; the responses here are small
(a DynamoDB item page, a course file, a listing), so one wait is in practice the whole
response. Standard mode also keeps a retry quota per client: in a long outage retries stop
and calls fail at their first attempt.

**What must fit in a function's timeout** (``deploy/template.yaml``; a test checks it):

* The bot (10 s). A turn whose progress store fails spends at most **two** DynamoDB budgets:
  a write whose retries are spent, then the read that checks whether it was applied anyway
  (``ProgressNotConfirmedError`` when that fails too); any other exhausted call ends the turn
  with a problem reply. A turn whose lesson bucket fails spends **one** S3 budget (a failed
  load keeps the last good graph, or answers that the course is unavailable). Either comes on
  top of :data:`BOT_TURN_WORK_SECONDS`, a cold start's own work. A turn in which every call is
  slow but finally succeeds, or in which S3 and DynamoDB fail together during a warm graph
  check, is bounded only by the function's timeout (``DurationP99Alarm`` and
  ``FunctionErrorsAlarm`` watch for it).
* The publisher (300 s): one S3 budget (a failed call ends that publish) on top of
  :data:`PUBLISHER_WORK_SECONDS`.

Example
-------
>>> DYNAMODB_TURN.worst_case_seconds()
3.0
>>> 2 * DYNAMODB_TURN.worst_case_seconds() + BOT_TURN_WORK_SECONDS <= 10
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: botocore standard mode: the first backoff is at most 1 s, doubling, capped at 20 s.
BACKOFF_BASE_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 20.0


@dataclass(frozen=True)
class CallBudget:
    """How long one AWS API call may take: timeouts in seconds, attempts including the first."""

    connect_timeout: float
    read_timeout: float
    max_attempts: int

    def worst_case_seconds(self) -> float:
        """Every attempt times out on connect and read, and every backoff is the longest.

        Example
        -------
        >>> CallBudget(connect_timeout=1, read_timeout=2, max_attempts=3).worst_case_seconds()
        12.0
        """
        backoff = sum(
            min(BACKOFF_BASE_SECONDS * 2 ** (retry - 1), MAX_BACKOFF_SECONDS)
            for retry in range(1, self.max_attempts)
        )
        return self.max_attempts * (self.connect_timeout + self.read_timeout) + backoff

    def config(self) -> Any:
        """The ``botocore.config.Config`` of this budget (imports botocore lazily)."""
        from botocore.config import Config

        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
        )


#: The progress store's DynamoDB calls in a turn: milliseconds each through the gateway
#: endpoint in the same region, so 0.3 s to connect and 0.7 s to answer are wide margins (a
#: cold container's first call included) that still let a failing call give up early. Two
#: attempts: a third would wait up to 2 s more, which two failing calls in a 10 s turn cannot
#: afford; a learner told "not saved, say it again" (writes are idempotent) is better off than
#: one whose turn times out.
DYNAMODB_TURN = CallBudget(connect_timeout=0.3, read_timeout=0.7, max_attempts=2)
#: The bot's reads of course files from S3 (``LESSON_GRAPH_PATH=s3://...``): a read is retried
#: after 2 s, as Amazon S3 advises for small objects ("Timeouts and Retries for
#: Latency-Sensitive Applications",
#: https://docs.aws.amazon.com/whitepapers/latest/s3-optimizing-performance-best-practices/timeouts-and-retries-for-latency-sensitive-applications.html).
S3_SERVING = CallBudget(connect_timeout=0.5, read_timeout=2.0, max_attempts=2)
#: The publisher's S3 calls (listing and reading the staged files, writing the report) and
#: ``make publish-graph DEST=s3://...``: nobody waits on a turn, so more patience.
S3_PUBLISHING = CallBudget(connect_timeout=1.0, read_timeout=5.0, max_attempts=4)

#: A first turn's own work besides AWS calls, in seconds: loading the graph, creating the
#: DynamoDB client and answering, about 0.4 s of CPU on a full core (docs/DEPLOY.md,
#: "Package sizes and cold starts"), so about 1.3 s at 512 MB (0.29 vCPU); rounded up. The
#: imports run before, in Lambda's Init phase, which has its own 10 s limit outside the
#: function's timeout (Lambda Developer Guide, "Understanding the Lambda execution
#: environment lifecycle",
#: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html). A warm
#: turn's work is milliseconds.
BOT_TURN_WORK_SECONDS = 2.5
#: A publish's own work besides one S3 call, in seconds: the 10 s settle wait, downloading,
#: validating, compiling and writing the course (seconds at 10,000 lessons,
#: bench/results-authoring.md), with room for a course ten times larger. An estimate.
PUBLISHER_WORK_SECONDS = 120.0


def make_client(service: str, budget: CallBudget, **kwargs: Any) -> Any:
    """A boto3 client for ``service`` with ``budget``'s timeouts and retries (imports boto3
    lazily, so importing this module costs nothing at a cold start).

    ``kwargs`` go to ``boto3.client`` (``region_name``, ``endpoint_url``...).
    """
    import boto3

    return boto3.client(service, config=budget.config(), **kwargs)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``"ThrottlingException"``), else
    the exception's class name (a timeout, a connection error).

    Example
    -------
    >>> error_code(TimeoutError())
    'TimeoutError'
    """
    response = getattr(exc, "response", None)
    response = response if isinstance(response, dict) else {}
    return response.get("Error", {}).get("Code") or type(exc).__name__


def cancellation_codes(exc: BaseException) -> set[str]:
    """The per-item codes of a cancelled DynamoDB transaction (``TransactionCanceledException``:
    ``"ConditionalCheckFailed"``, ``"None"`` for an item that did not fail, ...), or ``set()``.

    "TransactWriteItems", Errors: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
    """
    response = getattr(exc, "response", None)
    reasons = response.get("CancellationReasons") if isinstance(response, dict) else None
    return {str(r.get("Code", "None")) for r in reasons or [] if isinstance(r, dict)}


def create_table(
    client: Any,
    table: str,
    key_schema: list[dict[str, str]],
    attribute_definitions: list[dict[str, str]],
    *,
    stream: bool = False,
) -> None:
    """Create an on-demand DynamoDB table and wait until it exists (tests, benchmarks and
    local tools; deployed tables come from ``deploy/template.yaml``). ``stream`` adds the
    ``NEW_AND_OLD_IMAGES`` stream the transitions aggregator reads.

    "CreateTable": https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html
    """
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    client.create_table(
        TableName=table,
        KeySchema=key_schema,
        AttributeDefinitions=attribute_definitions,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    client.get_waiter("table_exists").wait(TableName=table)
