"""The snapshot the bot reads: counts, cut at the privacy floor, written atomically.

The snapshot step reads the counts table (one ``Query`` per counter shard, on a schedule,
never per turn), builds the model with ``TransitionModel.from_counts`` (which drops every
count of fewer than ``min_learners`` distinct learners, ``MIN_LEARNERS``, default 5) and
writes ``TransitionModel.to_json`` where the bot's ``TRANSITIONS_SNAPSHOT`` points. The
local ``python -m lex_bot transitions rebuild`` writes through :func:`write_snapshot` too.

The file is written to a temporary file in the same folder, flushed to disk and renamed over
the old one (``os.replace``, atomic on one file system, EFS included): a reader sees the
old snapshot or the new one, never half of one. The text is read back with
``TransitionModel.from_json`` before it is written, so a file the bot cannot read is never
published. A snapshot whose content (everything but ``generated_at``) did not change is not
rewritten, so warm functions do not reload it every interval.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from knowledge_graph.errors import TransitionsSnapshotError
from knowledge_graph.transitions import (
    DEFAULT_MIN_LEARNERS,
    DEFAULT_TOP,
    TransitionModel,
    load_transitions,
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


def write_snapshot(model: TransitionModel, path: str | os.PathLike[str]) -> bool:
    """Write ``model`` to ``path`` atomically; False when the file already says the same.

    Raises
    ------
    knowledge_graph.errors.TransitionsSnapshotError
        When the model's text would not read back (nothing is written).
    OSError
        When the folder cannot be created or the file written (the old file stays).
    """
    text = model.to_json()
    TransitionModel.from_json(text)  # what the bot would read; raises before any write
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        try:
            current = load_transitions(target)
        except TransitionsSnapshotError:
            current = None  # unreadable: replace it
        if current is not None and (
            dataclasses.replace(current, generated_at=model.generated_at) == model
        ):
            return False
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True
