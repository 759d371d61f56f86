"""Progress in DynamoDB (``PROGRESS_STORE=dynamodb://TableName``).

Table layout (one partition per learner, see ``deploy/template.yaml``):

========================  ===========================  ==================================
``pk``                    ``sk``                       attributes
========================  ===========================  ==================================
learner id                ``PROFILE``                  ``current_lesson``, ``goal``,
                                                       ``version`` (a counter)
learner id                ``LESSON#<lesson id>``       ``lesson_id``, ``mastery``,
                                                       ``completed_at``
========================  ===========================  ==================================

Every write is one atomic ``UpdateItem`` on one item, never a read-modify-write of the
learner's whole record: two sessions of the same learner completing different lessons at
the same moment both land, and completing the same lesson twice (a Lambda retry) keeps the
first completion time and the higher mastery. Reads are one strongly consistent ``Query``.

The boto3 client is created on first use (not at import: cold starts stay short), with
botocore's *standard* retry mode (exponential backoff with jitter on throttling, timeouts
and 5xx) and short timeouts, because a Lex turn waits on us. When the retries are spent the
store raises ``ProgressNotSavedError`` (writes) or ``ProgressUnavailableError`` (reads).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from lex_bot.lesson_app.progress_store.errors import ProgressNotSavedError, ProgressUnavailableError
from lex_bot.lesson_app.progress_store.model import (
    CompletedLesson,
    CompletionResult,
    LearnerProgress,
    check_key,
    check_mastery,
    ordered_completions,
    utc_now,
)

logger = logging.getLogger(__name__)

PARTITION_KEY = "pk"
SORT_KEY = "sk"
PROFILE = "PROFILE"
LESSON_PREFIX = "LESSON#"

#: botocore retry settings: attempts include the first call.
MAX_ATTEMPTS = 4
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0

#: Key schema and attribute definitions, for ``create_table`` (tests, local DynamoDB).
KEY_SCHEMA = [
    {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
    {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
]
ATTRIBUTE_DEFINITIONS = [
    {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
    {"AttributeName": SORT_KEY, "AttributeType": "S"},
]


def make_client(region: str | None = None) -> Any:
    """A DynamoDB client with standard retries and short timeouts (imports boto3 lazily)."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    return boto3.client("dynamodb", region_name=region, config=config)


def create_table(client: Any, table: str) -> None:
    """Create the progress table (on-demand billing) and wait until it exists."""
    client.create_table(
        TableName=table,
        KeySchema=KEY_SCHEMA,
        AttributeDefinitions=ATTRIBUTE_DEFINITIONS,
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table)


def _lesson_key(learner_id: str, lesson_id: str) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": learner_id}, SORT_KEY: {"S": LESSON_PREFIX + lesson_id}}


def _profile_key(learner_id: str) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": learner_id}, SORT_KEY: {"S": PROFILE}}


def _number(value: float) -> str:
    """A float as a DynamoDB number string (exact decimal of its repr)."""
    return str(Decimal(repr(float(value))))


def _completion(lesson_id: str, item: dict[str, Any]) -> CompletedLesson | None:
    """The completion an item records, or None for an item that is not one (logged)."""
    try:
        mastery = float(item["mastery"]["N"])
        completed_at = item["completed_at"]["S"]
    except (KeyError, TypeError, ValueError):
        logger.warning("skipping malformed progress item", extra={"lesson_id": lesson_id})
        return None
    return CompletedLesson(lesson_id, mastery, completed_at)


class DynamoDBProgressStore:
    """Learner progress in a DynamoDB table.

    Parameters
    ----------
    table : str
        The table name (its key schema is :data:`KEY_SCHEMA`).
    client : botocore client, optional
        A DynamoDB client; by default one from :func:`make_client`, created on first use.
    region : str, optional
        The region for the default client (else the environment's).

    Example
    -------
    >>> store = DynamoDBProgressStore("LessonProgress")  # no AWS call until first use
    >>> store.table
    'LessonProgress'
    """

    def __init__(
        self,
        table: str,
        client: Any = None,
        region: str | None = None,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.table = table
        self._client = client
        self._region = region
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The DynamoDB client, created once on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_client(self._region)
        return self._client

    # ------------------------------------------------------------------ reads

    def _items(self, learner_id: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": learner_id}},
            "ConsistentRead": True,
        }
        while True:
            page = self.client.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _read(self, learner_id: str) -> LearnerProgress:
        completions: list[CompletedLesson] = []
        current = goal = None
        version = 0
        for item in self._items(learner_id):
            sort_key = item[SORT_KEY]["S"]
            if sort_key == PROFILE:
                current = item.get("current_lesson", {}).get("S")
                goal = item.get("goal", {}).get("S")
                version = int(item.get("version", {}).get("N", "0"))
            elif sort_key.startswith(LESSON_PREFIX):
                completion = _completion(sort_key.removeprefix(LESSON_PREFIX), item)
                if completion is not None:
                    completions.append(completion)
        return LearnerProgress(learner_id, ordered_completions(completions), current, goal, version)

    def get(self, learner_id: str) -> LearnerProgress:
        check_key("learner id", learner_id)
        try:
            return self._read(learner_id)
        except Exception as exc:
            raise self._failure(ProgressUnavailableError, "get", exc) from exc

    # ------------------------------------------------------------------ writes

    def _failure(self, kind: type[Exception], operation: str, exc: Exception) -> Exception:
        """Log a failed call (retries already spent) and return the store error to raise."""
        response = getattr(exc, "response", None)
        response = response if isinstance(response, dict) else {}
        code = response.get("Error", {}).get("Code") or type(exc).__name__
        attempts = response.get("ResponseMetadata", {}).get("RetryAttempts")
        logger.error(
            "progress not saved" if kind is ProgressNotSavedError else "progress unavailable",
            extra={
                "store": "dynamodb",
                "table": self.table,
                "operation": operation,
                "error_code": code,
                "retry_attempts": attempts,
            },
        )
        return kind(f"{operation} on {self.table} failed: {code}")

    def _bump_profile(self, learner_id: str) -> None:
        """Count one change on the learner's profile item (creating it if needed)."""
        self.client.update_item(
            TableName=self.table,
            Key=_profile_key(learner_id),
            UpdateExpression="ADD #version :one",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    def complete_lesson(
        self, learner_id: str, lesson_id: str, mastery: float = 1.0
    ) -> CompletionResult:
        check_key("learner id", learner_id)
        check_key("lesson id", lesson_id)
        mastery = check_mastery(mastery)
        from botocore.exceptions import ClientError

        try:
            # One atomic write: create the completion, or raise its mastery; the first
            # completion time is never overwritten. A lower or equal mastery fails the
            # condition and changes nothing (a repeat, or a duplicate delivery).
            response = self.client.update_item(
                TableName=self.table,
                Key=_lesson_key(learner_id, lesson_id),
                UpdateExpression=(
                    "SET #mastery = :mastery, #lesson = :lesson, #at = if_not_exists(#at, :now)"
                ),
                ConditionExpression="attribute_not_exists(#mastery) OR #mastery < :mastery",
                ExpressionAttributeNames={
                    "#mastery": "mastery",
                    "#lesson": "lesson_id",
                    "#at": "completed_at",
                },
                ExpressionAttributeValues={
                    ":mastery": {"N": _number(mastery)},
                    ":lesson": {"S": lesson_id},
                    ":now": {"S": self._clock()},
                },
                ReturnValues="ALL_OLD",
            )
            newly = "completed_at" not in response.get("Attributes", {})
            changed = True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise self._failure(ProgressNotSavedError, "complete_lesson", exc) from exc
            newly, changed = False, False
        except Exception as exc:
            raise self._failure(ProgressNotSavedError, "complete_lesson", exc) from exc
        if changed:
            try:
                self._bump_profile(learner_id)
            except Exception as exc:
                # The completion itself is durable; only the change counter lags.
                logger.warning(
                    "progress version not bumped",
                    extra={"store": "dynamodb", "table": self.table, "error": str(exc)},
                )
        return CompletionResult(self.get(learner_id), newly_completed=newly)

    def _set(self, learner_id: str, attribute: str, lesson_id: str | None) -> LearnerProgress:
        check_key("learner id", learner_id)
        names = {"#field": attribute, "#version": "version"}
        values: dict[str, Any] = {":one": {"N": "1"}}
        if lesson_id is None:
            expression = "REMOVE #field ADD #version :one"
        else:
            check_key("lesson id", lesson_id)
            expression = "SET #field = :value ADD #version :one"
            values[":value"] = {"S": lesson_id}
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_profile_key(learner_id),
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except Exception as exc:
            raise self._failure(ProgressNotSavedError, f"set_{attribute}", exc) from exc
        return self.get(learner_id)

    def set_current_lesson(self, learner_id: str, lesson_id: str | None) -> LearnerProgress:
        return self._set(learner_id, "current_lesson", lesson_id)

    def set_goal(self, learner_id: str, lesson_id: str | None) -> LearnerProgress:
        return self._set(learner_id, "goal", lesson_id)

    def reset(self, learner_id: str) -> None:
        check_key("learner id", learner_id)
        try:
            keys = [
                {PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]}
                for item in self._items(learner_id)
            ]
            for key in keys:
                self.client.delete_item(TableName=self.table, Key=key)
        except Exception as exc:
            raise self._failure(ProgressNotSavedError, "reset", exc) from exc
