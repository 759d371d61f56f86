"""Progress in DynamoDB (``PROGRESS_STORE=dynamodb://TableName``).

Table layout (one partition per learner, see ``deploy/template.yaml``):

========================  ===========================  ==================================
``pk``                    ``sk``                       attributes
========================  ===========================  ==================================
learner id                ``PROFILE`` (the head)       ``current_lesson``, ``goal``,
                                                       ``version`` (changes ever applied),
                                                       ``generation``, ``head_seq``,
                                                       ``recent`` (request identities)
learner id                ``LESSON#<lesson id>``       ``lesson_id``, ``mastery``,
                                                       ``completed_at``, ``generation``,
                                                       ``created_by`` (request identity)
========================  ===========================  ==================================

**Idempotent writes.** Newness and success are decided by the first application of a
request, not by the last attempt of a call. Each write carries the identity of its request
(``model.operation_id``: the request token, the operation and its arguments) and stores it
with the item in the same atomic write: a completion records it as ``created_by`` on the
lesson item; a change of current lesson, goal or a reset keeps the last
``RECENT_REQUESTS`` identities in the head's ``recent`` list. Before writing, the store
reads; when the identity is already there, the earlier application was this request (a
botocore retry whose answer was lost, or Lambda delivering the request twice) and it is
answered as that application was, without writing again. When a write fails after
botocore's retries, the store reads back before answering: a write that was applied although
its last answer was lost is reported as saved; only a write that is verifiably absent is
reported as not saved (``ProgressNotConfirmedError`` when even the read fails). We chose
identities stored with the item over Powertools' Idempotency utility, which records whole
Lambda invocations in a separate table (one more table, item, and round trip per turn, and
it would replay a cached answer rather than the store's state), and over transaction client
request tokens alone, which last 10 minutes and do not say whether the first application
created the completion.

**Atomic reset.** The head carries a ``generation``. Lesson items are visible only while
their ``generation`` equals the head's (an item without one belongs to generation 0, so
tables written before this layout read unchanged). A reset is one conditional
``UpdateItem`` of the head: generation + 1, current lesson and goal removed, version + 1.
All or nothing, for any number of completions; older items become invisible at once and are
deleted lazily (right after the reset, and by later reads, best effort). A completion is one
``TransactWriteItems`` of two updates, the lesson item and the head (``version + 1``,
conditional on the generation it read), so a completion racing a reset lands either before
it (and is erased) or after it (and is kept), never half. Changes of the head other than
completions are serialised by a compare-and-set on ``head_seq``.

Reads are one strongly consistent ``Query``. The boto3 client is created on first use (not
at import: cold starts stay short), with botocore's *standard* retry mode (exponential
backoff with jitter on throttling, timeouts and 5xx) and short timeouts, because a Lex turn
waits on us: ``knowledge_graph.aws_clients.DYNAMODB_TURN``, which says why two failing
calls of a turn fit in the function's timeout. Transactions need no IAM action of their
own: DynamoDB checks ``UpdateItem`` for each update inside (Amazon DynamoDB Developer
Guide, "Using IAM with DynamoDB transactions", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from knowledge_graph import aws_clients
from knowledge_graph.aws_clients import cancellation_codes, error_code
from lex_bot.lesson_app.progress_store.base import HeadFields
from lex_bot.lesson_app.progress_store.errors import (
    ProgressNotConfirmedError,
    ProgressNotSavedError,
    ProgressUnavailableError,
)
from lex_bot.lesson_app.progress_store.model import (
    RECENT_REQUESTS,
    CompletedLesson,
    CompletionResult,
    LearnerProgress,
    check_key,
    check_mastery,
    operation_id,
    ordered_completions,
    utc_now,
)

logger = logging.getLogger(__name__)

PARTITION_KEY = "pk"
SORT_KEY = "sk"
PROFILE = "PROFILE"
LESSON_PREFIX = "LESSON#"

#: How often a write is decided again when a concurrent change of the same learner made its
#: condition fail (each round reads the learner again).
MAX_CONFLICT_ROUNDS = 8
#: Stale items (older generations) deleted per read, at most, so a read stays short.
CLEANUP_PER_READ = 25

#: Key schema and attribute definitions, for ``create_table`` (tests, local DynamoDB).
KEY_SCHEMA = [
    {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
    {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
]
ATTRIBUTE_DEFINITIONS = [
    {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
    {"AttributeName": SORT_KEY, "AttributeType": "S"},
]
#: Cancellation reasons of a transaction that mean "the learner changed meanwhile".
_CONFLICTS = frozenset({"ConditionalCheckFailed", "TransactionConflict", "None"})


def make_client(region: str | None = None) -> Any:
    """A DynamoDB client with the turn's timeouts and standard retries
    (``knowledge_graph.aws_clients.DYNAMODB_TURN``; imports boto3 lazily)."""
    return aws_clients.make_client("dynamodb", aws_clients.DYNAMODB_TURN, region_name=region)


def create_table(client: Any, table: str, *, stream: bool = False) -> None:
    """Create the progress table (on-demand billing; ``stream``: with the stream the
    transitions aggregator reads) and wait until it exists (tests, tools)."""
    aws_clients.create_table(client, table, KEY_SCHEMA, ATTRIBUTE_DEFINITIONS, stream=stream)


def _key(learner_id: str, sort_key: str) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": learner_id}, SORT_KEY: {"S": sort_key}}


def _lesson_key(learner_id: str, lesson_id: str) -> dict[str, Any]:
    return _key(learner_id, LESSON_PREFIX + lesson_id)


def _profile_key(learner_id: str) -> dict[str, Any]:
    return _key(learner_id, PROFILE)


def _number(value: float) -> str:
    """A float as a DynamoDB number string (exact decimal of its repr)."""
    return str(Decimal(repr(float(value))))


def _int(item: dict[str, Any], name: str) -> int:
    try:
        return int(item[name]["N"])
    except (KeyError, TypeError, ValueError):
        return 0


@dataclass
class _Lesson:
    """A lesson item as read: its completion, and the request that created it."""

    completion: CompletedLesson
    created_by: str | None


@dataclass
class _State:
    """One consistent read of a learner's partition."""

    learner_id: str
    generation: int = 0
    head_seq: int = 0
    version: int = 0
    current_lesson: str | None = None
    goal: str | None = None
    recent: list[str] = field(default_factory=list)
    lessons: dict[str, _Lesson] = field(default_factory=dict)
    stale: list[dict[str, Any]] = field(default_factory=list)

    def progress(self) -> LearnerProgress:
        completions = [lesson.completion for lesson in self.lessons.values()]
        return LearnerProgress(
            self.learner_id,
            ordered_completions(completions),
            self.current_lesson,
            self.goal,
            self.version,
        )


def _visible(generation: int) -> str:
    """Condition: the item belongs to ``generation`` (items without one are generation 0)."""
    if generation == 0:
        return "(attribute_not_exists(#gen) OR #gen = :gen)"
    return "#gen = :gen"


def _seq_condition(head_seq: int) -> str:
    return "attribute_not_exists(#seq)" if head_seq == 0 else "#seq = :seq"


class DynamoDBProgressStore(HeadFields):
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

    def _items(self, learner_id: str, sort_key: str | None = None) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": learner_id}},
            "ConsistentRead": True,
        }
        if sort_key is not None:
            kwargs["KeyConditionExpression"] = "#pk = :pk AND #sk = :sk"
            kwargs["ExpressionAttributeNames"]["#sk"] = SORT_KEY
            kwargs["ExpressionAttributeValues"][":sk"] = {"S": sort_key}
        while True:
            page = self.client.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _state(self, learner_id: str, only: tuple[str, ...] | None = None) -> _State:
        """Read the learner's partition, or only the items with the sort keys ``only``
        (one small ``Query`` each: a write decides on the head and its own item)."""
        state = _State(learner_id)
        lessons: list[tuple[str, dict[str, Any]]] = []
        if only is None:
            items: Iterator[dict[str, Any]] = self._items(learner_id)
        else:
            items = (item for sort_key in only for item in self._items(learner_id, sort_key))
        for item in items:
            sort_key = item[SORT_KEY]["S"]
            if sort_key == PROFILE:
                state.current_lesson = item.get("current_lesson", {}).get("S")
                state.goal = item.get("goal", {}).get("S")
                state.version = _int(item, "version")
                state.generation = _int(item, "generation")
                state.head_seq = _int(item, "head_seq")
                state.recent = [
                    v["S"] for v in item.get("recent", {}).get("L", []) if isinstance(v, dict)
                ]
            elif sort_key.startswith(LESSON_PREFIX):
                lessons.append((sort_key.removeprefix(LESSON_PREFIX), item))
        for lesson_id, item in lessons:
            if _int(item, "generation") != state.generation:
                state.stale.append({PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]})
                continue
            try:
                completion = CompletedLesson(
                    lesson_id, float(item["mastery"]["N"]), item["completed_at"]["S"]
                )
            except (KeyError, TypeError, ValueError):
                logger.warning("skipping malformed progress item", extra={"lesson_id": lesson_id})
                continue
            state.lessons[lesson_id] = _Lesson(completion, item.get("created_by", {}).get("S"))
        return state

    def get(self, learner_id: str) -> LearnerProgress:
        check_key("learner id", learner_id)
        try:
            state = self._state(learner_id)
        except Exception as exc:
            raise self._failure(ProgressUnavailableError, "get", exc) from exc
        if state.stale:
            self._clean(state.stale[:CLEANUP_PER_READ], state.generation)
        return state.progress()

    def read(self, learner_id: str) -> LearnerProgress:
        """The learner's progress, read only: :meth:`get` without deleting the stale items
        of older generations (they stay invisible). For readers granted ``dynamodb:Query``
        alone, such as the transitions aggregator (``transitions_aggregator/``).

        Raises
        ------
        ProgressUnavailableError
            When the table cannot be read (after botocore's retries).
        """
        check_key("learner id", learner_id)
        try:
            return self._state(learner_id).progress()
        except Exception as exc:
            raise self._failure(ProgressUnavailableError, "read", exc) from exc

    def _clean(self, keys: list[dict[str, Any]], generation: int) -> None:
        """Delete items of generations before ``generation`` (best effort, never raises)."""
        for key in keys:
            try:
                self.client.delete_item(
                    TableName=self.table,
                    Key=key,
                    ConditionExpression="attribute_not_exists(#gen) OR #gen < :gen",
                    ExpressionAttributeNames={"#gen": "generation"},
                    ExpressionAttributeValues={":gen": {"N": str(generation)}},
                )
            except Exception as exc:  # stale items stay invisible; a later read retries
                logger.info(
                    "stale progress item not cleaned yet",
                    extra={
                        "store": "dynamodb",
                        "table": self.table,
                        "error_code": error_code(exc),
                    },
                )
                return

    # ------------------------------------------------------------------ failures

    def _failure(self, kind: type[Exception], operation: str, exc: BaseException) -> Exception:
        """Log a failed call (retries already spent) and return the store error to raise."""
        response = getattr(exc, "response", None)
        response = response if isinstance(response, dict) else {}
        attempts = response.get("ResponseMetadata", {}).get("RetryAttempts")
        code = error_code(exc)
        logger.error(
            "progress unavailable" if kind is ProgressUnavailableError else "progress not saved",
            extra={
                "store": "dynamodb",
                "table": self.table,
                "operation": operation,
                "error_code": code,
                "retry_attempts": attempts,
            },
        )
        return kind(f"{operation} on {self.table} failed: {code}")

    def _read_for_write(
        self, learner_id: str, operation: str, only: tuple[str, ...] | None = None
    ) -> _State:
        """The state a write decides on; a failed read means nothing was written."""
        try:
            return self._state(learner_id, only)
        except Exception as exc:
            raise self._failure(ProgressNotSavedError, operation, exc) from exc

    def _verify(
        self,
        learner_id: str,
        operation: str,
        exc: BaseException,
        applied: Callable[[_State], bool],
    ) -> _State:
        """After a write failed: the state if the write is there after all, else raise.

        botocore may have spent its retries on attempts whose answers were lost although
        DynamoDB applied one of them; only a read can tell.
        """
        try:
            state = self._state(learner_id)
        except Exception as read_exc:
            self._failure(ProgressNotConfirmedError, operation, exc)
            raise ProgressNotConfirmedError(
                f"{operation} on {self.table}: outcome unknown ({error_code(read_exc)})"
            ) from exc
        if applied(state):
            logger.warning(
                "progress saved although the answer to the write was lost",
                extra={
                    "store": "dynamodb",
                    "table": self.table,
                    "operation": operation,
                    "error_code": error_code(exc),
                },
            )
            return state
        raise self._failure(ProgressNotSavedError, operation, exc) from exc

    @staticmethod
    def _pause(round_number: int) -> None:
        """A short jittered pause before deciding a contended write again."""
        time.sleep(random.uniform(0, 0.005 * (2**round_number)))

    # ------------------------------------------------------------------ completions

    def _completion_transaction(
        self, state: _State, lesson_id: str, mastery: float, op: str, now: str
    ) -> list[dict[str, Any]]:
        generation = {":gen": {"N": str(state.generation)}}
        existing = state.lessons.get(lesson_id)
        if existing is None:
            lesson_condition = "attribute_not_exists(#mastery)"
            if state.generation:
                lesson_condition += " OR attribute_not_exists(#gen) OR #gen < :gen"
            lesson_update = {
                "UpdateExpression": (
                    "SET #mastery = :mastery, #lesson = :lesson, #at = :now, #gen = :gen, #by = :op"
                ),
                "ConditionExpression": lesson_condition,
                "ExpressionAttributeNames": {
                    "#mastery": "mastery",
                    "#lesson": "lesson_id",
                    "#at": "completed_at",
                    "#gen": "generation",
                    "#by": "created_by",
                },
                "ExpressionAttributeValues": {
                    ":mastery": {"N": _number(mastery)},
                    ":lesson": {"S": lesson_id},
                    ":now": {"S": now},
                    ":op": {"S": op},
                    **generation,
                },
            }
        else:
            lesson_update = {
                "UpdateExpression": "SET #mastery = :mastery, #gen = :gen",
                "ConditionExpression": f"#mastery < :mastery AND {_visible(state.generation)}",
                "ExpressionAttributeNames": {"#mastery": "mastery", "#gen": "generation"},
                "ExpressionAttributeValues": {":mastery": {"N": _number(mastery)}, **generation},
            }
        head_update = {
            "UpdateExpression": "ADD #version :one",
            "ConditionExpression": _visible(state.generation),
            "ExpressionAttributeNames": {"#version": "version", "#gen": "generation"},
            "ExpressionAttributeValues": {":one": {"N": "1"}, **generation},
        }
        return [
            {"Update": {"TableName": self.table, "Key": _lesson_key(state.learner_id, lesson_id),
                        **lesson_update}},
            {"Update": {"TableName": self.table, "Key": _profile_key(state.learner_id),
                        **head_update}},
        ]  # fmt: skip

    def complete_lesson(
        self,
        learner_id: str,
        lesson_id: str,
        mastery: float = 1.0,
        *,
        request_token: str | None = None,
    ) -> CompletionResult:
        check_key("learner id", learner_id)
        check_key("lesson id", lesson_id)
        mastery = check_mastery(mastery)
        op = operation_id(request_token, "complete_lesson", learner_id, lesson_id, mastery)
        from botocore.exceptions import ClientError

        def ours(state: _State) -> bool:
            lesson = state.lessons.get(lesson_id)
            return lesson is not None and lesson.completion.mastery >= mastery

        for round_number in range(MAX_CONFLICT_ROUNDS):
            state = self._read_for_write(
                learner_id, "complete_lesson", (PROFILE, LESSON_PREFIX + lesson_id)
            )
            existing = state.lessons.get(lesson_id)
            if existing is not None and (
                existing.created_by == op or existing.completion.mastery >= mastery
            ):
                # Nothing to write: this request's first application, or an earlier one.
                return CompletionResult(
                    self.get(learner_id), newly_completed=existing.created_by == op
                )
            items = self._completion_transaction(state, lesson_id, mastery, op, self._clock())
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as exc:
                if error_code(exc) == "TransactionCanceledException" and (
                    cancellation_codes(exc) <= _CONFLICTS
                ):
                    self._pause(round_number)
                    continue  # the learner changed meanwhile: decide again
                after = self._verify(learner_id, "complete_lesson", exc, ours)
                created = after.lessons[lesson_id].created_by == op
                return CompletionResult(after.progress(), newly_completed=created)
            except Exception as exc:
                after = self._verify(learner_id, "complete_lesson", exc, ours)
                created = after.lessons[lesson_id].created_by == op
                return CompletionResult(after.progress(), newly_completed=created)
            return CompletionResult(
                self._progress_after(state, lesson_id, mastery), newly_completed=existing is None
            )
        raise self._failure(
            ProgressNotSavedError, "complete_lesson", RuntimeError("too many concurrent changes")
        )

    def _progress_after(self, state: _State, lesson_id: str, mastery: float) -> LearnerProgress:
        """The progress after a completion: read again (if that fails, a completion that is
        saved is still reported saved: the head and item read before, plus the write)."""
        try:
            return self._state(state.learner_id).progress()
        except Exception as exc:
            logger.warning(
                "progress re-read failed after a saved completion",
                extra={"store": "dynamodb", "table": self.table, "error_code": error_code(exc)},
            )
        existing = state.lessons.get(lesson_id)
        at = existing.completion.completed_at if existing else self._clock()
        state.lessons[lesson_id] = _Lesson(CompletedLesson(lesson_id, mastery, at), None)
        state.version += 1
        return state.progress()

    # ------------------------------------------------------------------ head changes

    def _change_head(
        self,
        learner_id: str,
        operation: str,
        op: str,
        update: Callable[[_State], tuple[str, dict[str, str], dict[str, Any]]],
        *,
        full_read: bool = False,
    ) -> tuple[_State, bool]:
        """Apply one change of the head item, compare-and-set on ``head_seq``, once per ``op``.

        ``update(state)`` gives the SET/REMOVE clauses of the change with their names and
        values. Returns ``(state, True)`` with the state read just before this call applied
        the change, or ``(state, False)`` with a state read after an earlier application of
        the same request (a retry or a duplicate delivery).
        """
        from botocore.exceptions import ClientError

        for round_number in range(MAX_CONFLICT_ROUNDS):
            state = self._read_for_write(learner_id, operation, None if full_read else (PROFILE,))
            if op in state.recent:
                return state, False
            clauses, names, values = update(state)
            recent = [op, *state.recent][:RECENT_REQUESTS]
            expression = f"SET {clauses['SET']}#recent = :recent, #seq = :seq_next"
            if clauses.get("REMOVE"):
                expression += f" REMOVE {clauses['REMOVE']}"
            expression += " ADD #version :one"
            names = {**names, "#recent": "recent", "#seq": "head_seq", "#version": "version"}
            values = {
                **values,
                ":recent": {"L": [{"S": token} for token in recent]},
                ":seq_next": {"N": str(state.head_seq + 1)},
                ":one": {"N": "1"},
            }
            if state.head_seq:
                values[":seq"] = {"N": str(state.head_seq)}
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=_profile_key(learner_id),
                    UpdateExpression=expression,
                    ConditionExpression=_seq_condition(state.head_seq),
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    self._pause(round_number)
                    continue
                return self._verify(learner_id, operation, exc, lambda s: op in s.recent), False
            except Exception as exc:
                return self._verify(learner_id, operation, exc, lambda s: op in s.recent), False
            return state, True
        raise self._failure(
            ProgressNotSavedError, operation, RuntimeError("too many concurrent changes")
        )

    def _set(
        self, learner_id: str, attribute: str, lesson_id: str | None, request_token: str | None
    ) -> LearnerProgress:
        check_key("learner id", learner_id)
        if lesson_id is not None:
            check_key("lesson id", lesson_id)
        op = operation_id(request_token, f"set_{attribute}", learner_id, lesson_id)

        def update(state: _State) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
            if lesson_id is None:
                return {"SET": "", "REMOVE": "#field"}, {"#field": attribute}, {}
            return {"SET": "#field = :value, "}, {"#field": attribute}, {":value": {"S": lesson_id}}

        self._change_head(learner_id, f"set_{attribute}", op, update)  # type: ignore[arg-type]
        return self.get(learner_id)

    def reset(self, learner_id: str, *, request_token: str | None = None) -> None:
        check_key("learner id", learner_id)
        op = operation_id(request_token, "reset", learner_id)

        def update(state: _State) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
            return (
                {"SET": "#gen = :gen_next, ", "REMOVE": "#current, #goal"},
                {"#gen": "generation", "#current": "current_lesson", "#goal": "goal"},
                {":gen_next": {"N": str(state.generation + 1)}},
            )

        state, applied_now = self._change_head(
            learner_id,
            "reset",
            op,
            update,
            full_read=True,  # type: ignore[arg-type]
        )
        if applied_now:
            # Everything of the old generation is invisible now; delete it (best effort).
            old = [_lesson_key(learner_id, lesson_id) for lesson_id in state.lessons]
            self._clean(old + state.stale, state.generation + 1)
        elif state.stale:
            self._clean(state.stale, state.generation)
