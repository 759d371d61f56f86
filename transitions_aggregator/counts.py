"""The counts table: distinct learners per transition, idempotent and consistent under resets.

What is counted
---------------
A learner's **facts** are read from their current progress (the completions of the visible
generation, oldest first, see ``lex_bot/lesson_app/progress_store/dynamodb.py``) by
:func:`learner_facts`, with the rule of ``knowledge_graph.learn_transitions``: only the first
completion of a lesson counts; each consecutive pair ``X -> Y`` is a ``next`` fact and the
last lesson is a ``last`` fact (the learner stopped there, so far). The table holds, for
every fact, the number of distinct learners who have it now. ``totals`` are not stored: they
are the sum of a lesson's ``next`` counts (``TransitionModel.from_counts``).

Table layout (one on-demand table, ``TransitionCountsTable`` in deploy/template.yaml)
-----------------------------------------------------------------------------------------
======================  ======================  ============================================
``pk``                  ``sk``                  attributes
======================  ======================  ============================================
``LEARNER#<learner>``   fact key                ``kind``, ``lesson``, ``next``, ``shard``:
                                                the **marker**: this learner has this fact
``COUNTS#<shard>``      fact key                ``kind``, ``lesson``, ``next``, ``learners``:
                                                a **counter** (one of :data:`SHARDS`)
======================  ======================  ============================================

The fact key is ``kind``, lesson and next lesson joined by U+001F (which no id contains:
the progress store refuses control characters).

**Idempotent.** Stream delivery is at least once, and the same record can come again (a
retried batch, a redrive). The aggregator does not apply events: for each learner in a batch
it :meth:`~CountsTable.reconcile`\\ s the learner's markers with the learner's facts *now*
(one strongly consistent read of the progress table). A fact gained is one transaction
putting its marker (condition: absent) and adding 1 to its counter; a fact lost deletes the
marker (condition: present) and adds -1. A counter therefore always equals the number of
markers of its fact in its shard, whatever is delivered twice, late, or out of order: a
duplicate record finds nothing to change.

**Resets and deleted progress.** A reset (a new generation) leaves the learner no visible
completions, so every fact of theirs is lost and their markers and contributions are
removed; their later completions count again as a new history. Deleting a learner's items
has the same effect. What the counts hold is exactly ``learn_transitions`` over the
surviving histories (tests/test_transitions_aggregator.py checks this, also by property).

**No hot key.** A learner's counters live in the shard ``hash(learner) % SHARDS``, so the
increments for a popular lesson are spread over :data:`SHARDS` partition keys; the snapshot
reads the counters with one ``Query`` per shard (never the markers, never a ``Scan``).
Changes of one learner go into as few transactions as possible (at most
:data:`MAX_TRANSACTION_ITEMS` items each, the DynamoDB limit: "Amazon DynamoDB service
quotas", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).

Example
-------
>>> sorted(learner_facts(["c/a", "c/b", "c/a", "c/c"]))
[Fact(kind='last', lesson='c/c', next=''), Fact(kind='next', lesson='c/a', next='c/b'), \
Fact(kind='next', lesson='c/b', next='c/c')]
>>> shard_of("ana") == shard_of("ana") and 0 <= shard_of("ana") < SHARDS
True
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, NamedTuple

from knowledge_graph import aws_clients
from knowledge_graph.aws_clients import cancellation_codes, error_code

logger = logging.getLogger(__name__)

PARTITION_KEY = "pk"
SORT_KEY = "sk"
LEARNER_PREFIX = "LEARNER#"
COUNTS_PREFIX = "COUNTS#"
#: Counter shards. Changing it needs a rebuild from scratch (docs/DEPLOY.md): the snapshot
#: reads shards 0..SHARDS-1 only.
SHARDS = 16
#: Items per ``TransactWriteItems`` (DynamoDB's limit); a fact change is two items.
MAX_TRANSACTION_ITEMS = 100
#: How often a learner is reconciled again when a concurrent change made a condition fail.
MAX_CONFLICT_ROUNDS = 5
NEXT = "next"
LAST = "last"
_SEPARATOR = "\x1f"
_CONFLICTS = frozenset({"ConditionalCheckFailed", "TransactionConflict", "None"})

KEY_SCHEMA = [
    {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
    {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
]
ATTRIBUTE_DEFINITIONS = [
    {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
    {"AttributeName": SORT_KEY, "AttributeType": "S"},
]


class Fact(NamedTuple):
    """One thing a learner's history says: ``next`` (``lesson`` then ``next``) or ``last``."""

    kind: str
    lesson: str
    next: str = ""

    @property
    def key(self) -> str:
        """The sort key of the fact's marker and counters."""
        return _SEPARATOR.join((self.kind, self.lesson, self.next))


def learner_facts(sequence: Sequence[str]) -> frozenset[Fact]:
    """The facts of one history (lesson ids, oldest first), by ``learn_transitions``' rule."""
    path = list(dict.fromkeys(sequence))
    facts = {Fact(NEXT, before, after) for before, after in pairwise(path)}
    if path:
        facts.add(Fact(LAST, path[-1]))
    return frozenset(facts)


def shard_of(learner_id: str) -> int:
    """The counter shard of a learner (stable across processes: SHA-256, not ``hash``)."""
    digest = hashlib.sha256(learner_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:4], "big") % SHARDS


def create_table(client: Any, table: str) -> None:
    """Create a counts table (on-demand billing) and wait until it exists (tests, tools)."""
    aws_clients.create_table(client, table, KEY_SCHEMA, ATTRIBUTE_DEFINITIONS)


@dataclass
class Counts:
    """Distinct learners per ``next`` pair and per ``last`` lesson, before any floor."""

    pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    stopped: dict[str, int] = field(default_factory=dict)

    def add(self, fact: Fact, learners: int) -> None:
        if learners <= 0:
            return
        if fact.kind == NEXT:
            pair = (fact.lesson, fact.next)
            self.pairs[pair] = self.pairs.get(pair, 0) + learners
        elif fact.kind == LAST:
            self.stopped[fact.lesson] = self.stopped.get(fact.lesson, 0) + learners

    @classmethod
    def of_histories(cls, histories: Iterable[Sequence[str]]) -> Counts:
        """The counts of these histories (one per learner), as the table would hold them."""
        counts = cls()
        for history in histories:
            for fact in learner_facts(history):
                counts.add(fact, 1)
        return counts


@dataclass
class Reconciled:
    """What reconciling one learner changed: facts gained and lost, and conflicts met."""

    added: int = 0
    removed: int = 0
    conflicts: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def _fact_of(item: dict[str, Any]) -> Fact:
    return Fact(item["kind"]["S"], item["lesson"]["S"], item.get("next", {}).get("S", ""))


def _fact_attributes(fact: Fact) -> dict[str, Any]:
    attributes = {"kind": {"S": fact.kind}, "lesson": {"S": fact.lesson}}
    if fact.next:
        attributes["next"] = {"S": fact.next}
    return attributes


class CountsTable:
    """The counts table (:data:`KEY_SCHEMA`) through a boto3 DynamoDB client.

    Calls ``Query``, ``TransactWriteItems`` (its ``Put``, ``Update`` and ``Delete`` items
    need ``PutItem``, ``UpdateItem`` and ``DeleteItem``: "Using IAM with DynamoDB
    transactions", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html)
    and, for :meth:`learners` only (a rebuild, run by an operator), ``Scan``.
    """

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def _query(self, partition: str, *, consistent: bool) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ConsistentRead": consistent,
        }
        while True:
            page = self.client.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def markers(self, learner_id: str) -> dict[Fact, int]:
        """The learner's facts as counted now, each with the shard of its counter."""
        return {
            _fact_of(item): int(item["shard"]["N"])
            for item in self._query(LEARNER_PREFIX + learner_id, consistent=True)
        }

    def read_counts(self) -> Counts:
        """Sum every counter over the shards: one paginated ``Query`` per shard."""
        counts = Counts()
        for shard in range(SHARDS):
            for item in self._query(f"{COUNTS_PREFIX}{shard:02d}", consistent=False):
                counts.add(_fact_of(item), int(item.get("learners", {}).get("N", "0")))
        return counts

    def learners(self) -> Iterator[str]:
        """Every learner with a marker (a ``Scan``; for rebuilds, never per event)."""
        paginator = self.client.get_paginator("scan")
        seen: set[str] = set()
        for page in paginator.paginate(
            TableName=self.table,
            ProjectionExpression="#pk",
            FilterExpression="begins_with(#pk, :prefix)",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues={":prefix": {"S": LEARNER_PREFIX}},
        ):
            for item in page.get("Items", []):
                learner = item[PARTITION_KEY]["S"].removeprefix(LEARNER_PREFIX)
                if learner not in seen:
                    seen.add(learner)
                    yield learner

    # ------------------------------------------------------------------ changes

    def _gain(self, learner_id: str, fact: Fact, shard: int) -> list[dict[str, Any]]:
        marker = {
            PARTITION_KEY: {"S": LEARNER_PREFIX + learner_id},
            SORT_KEY: {"S": fact.key},
            "shard": {"N": str(shard)},
            **_fact_attributes(fact),
        }
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": marker,
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                }
            },
            self._counter_update(fact, shard, +1),
        ]

    def _loss(self, learner_id: str, fact: Fact, shard: int) -> list[dict[str, Any]]:
        return [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": {
                        PARTITION_KEY: {"S": LEARNER_PREFIX + learner_id},
                        SORT_KEY: {"S": fact.key},
                    },
                    "ConditionExpression": "attribute_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                }
            },
            self._counter_update(fact, shard, -1),
        ]

    def _counter_update(self, fact: Fact, shard: int, delta: int) -> dict[str, Any]:
        attributes = _fact_attributes(fact)
        names = {f"#{name}": name for name in attributes}
        values = {f":{name}": value for name, value in attributes.items()}
        assignments = ", ".join(f"#{name} = :{name}" for name in attributes)
        return {
            "Update": {
                "TableName": self.table,
                "Key": {
                    PARTITION_KEY: {"S": f"{COUNTS_PREFIX}{shard:02d}"},
                    SORT_KEY: {"S": fact.key},
                },
                "UpdateExpression": f"SET {assignments} ADD #learners :delta",
                "ExpressionAttributeNames": {**names, "#learners": "learners"},
                "ExpressionAttributeValues": {**values, ":delta": {"N": str(delta)}},
            }
        }

    def reconcile(self, learner_id: str, facts: frozenset[Fact]) -> Reconciled:
        """Make the learner's markers (and so the counters) equal ``facts``.

        Each transaction keeps every counter equal to its markers; when a condition fails
        (another invocation reconciled the same learner meanwhile), the markers are read
        again and the remaining difference applied, up to :data:`MAX_CONFLICT_ROUNDS` times.

        Raises
        ------
        botocore.exceptions.ClientError
            A DynamoDB failure after botocore's retries.
        RuntimeError
            Conflicts in every round.
        Either way the counts stay consistent (transactions are all or nothing) and the
        stream record is retried.
        """
        from botocore.exceptions import ClientError

        result = Reconciled()
        shard = shard_of(learner_id)
        for _ in range(MAX_CONFLICT_ROUNDS):
            counted = self.markers(learner_id)
            items: list[dict[str, Any]] = []
            gained = sorted(facts - counted.keys())
            lost = sorted(counted.keys() - facts)
            for fact in lost:
                items += self._loss(learner_id, fact, counted[fact])
            for fact in gained:
                items += self._gain(learner_id, fact, shard)
            if not items:
                return result
            try:
                for start in range(0, len(items), MAX_TRANSACTION_ITEMS):
                    chunk = items[start : start + MAX_TRANSACTION_ITEMS]
                    self.client.transact_write_items(TransactItems=chunk)
                    changes = [item for item in chunk if "Put" in item or "Delete" in item]
                    result.added += sum("Put" in item for item in changes)
                    result.removed += sum("Delete" in item for item in changes)
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException" or not (
                    cancellation_codes(exc) <= _CONFLICTS
                ):
                    raise
                result.conflicts += 1
                continue
            return result
        raise RuntimeError(f"counts of a learner kept changing ({MAX_CONFLICT_ROUNDS} rounds)")
