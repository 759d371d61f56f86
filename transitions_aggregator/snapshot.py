"""The snapshot the bot reads: counts, cut at the privacy floor, written atomically.

The snapshot step reads the counts table (one ``Query`` per counter shard, on a schedule,
never per turn), builds the model with ``TransitionModel.from_counts`` (which drops every
count of fewer than ``min_learners`` distinct learners, ``MIN_LEARNERS``, default 5) and
writes it with ``TransitionModel.write`` into the folder the bot's ``TRANSITIONS_SNAPSHOT``
names (the binary, memory-mapped snapshot; the local ``python -m lex_bot transitions
rebuild`` writes the same way). ``write`` stages a new version, reads it back with the bot's
own reader (a snapshot the bot would refuse is never published), then replaces ``CURRENT``
atomically (a reader sees the old snapshot or the new one, whole), and publishes nothing
when the counts did not change, so warm functions do not reload them every interval.
"""

from __future__ import annotations

from datetime import UTC, datetime

from knowledge_graph.transitions import (
    DEFAULT_MIN_LEARNERS,
    DEFAULT_TOP,
    TransitionModel,
)
from transitions_aggregator.counts import Counts


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds (a snapshot's ``generated_at``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def model_of(
    counts: Counts,
    *,
    min_learners: int = DEFAULT_MIN_LEARNERS,
    top: int = DEFAULT_TOP,
    generated_at: str | None = None,
) -> TransitionModel:
    """The model of the counts table's sums, cut at ``min_learners`` and ``top``."""
    return TransitionModel.from_counts(
        counts.pairs,
        min_learners=min_learners,
        top=top,
        stopped=counts.stopped,
        generated_at=generated_at,
    )
