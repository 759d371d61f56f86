"""What the store keeps per learner, independent of where it is kept."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from lex_bot.lesson_app.progress_store.errors import InvalidProgressKeyError

#: Longest learner id or lesson id the stores accept (DynamoDB sort keys allow 1,024 bytes).
MAX_KEY_CHARS = 256
#: How many of a learner's last changes of current lesson, goal or reset each store
#: remembers by request identity (completions are remembered with the completion itself).
RECENT_REQUESTS = 10


@dataclass(frozen=True)
class CompletedLesson:
    """One completed lesson: how well (``mastery`` in [0, 1]) and when (ISO 8601, UTC)."""

    lesson_id: str
    mastery: float
    completed_at: str


@dataclass(frozen=True)
class LearnerProgress:
    """A learner's saved progress.

    ``completed`` maps lesson id to :class:`CompletedLesson`, in completion order (oldest
    first). ``version`` counts the changes ever applied (a reset is one change and does not
    start the count again), so a reader can tell two states apart.

    Example
    -------
    >>> p = LearnerProgress("ana", {"py/loops": CompletedLesson("py/loops", 0.9, "2026-01-01")})
    >>> dict(p.mastery()), p.recent()
    ({'py/loops': 0.9}, ['py/loops'])
    """

    learner_id: str
    completed: Mapping[str, CompletedLesson] = field(default_factory=dict)
    current_lesson: str | None = None
    goal: str | None = None
    version: int = 0

    def mastery(self) -> Mapping[str, float]:
        """Lesson id -> mastery, the recommender's view of this learner (read-only, cached)."""
        cached = self.__dict__.get("_mastery")
        if cached is None:
            cached = MappingProxyType(
                {lesson_id: done.mastery for lesson_id, done in self.completed.items()}
            )
            object.__setattr__(self, "_mastery", cached)  # frozen: cache, not state
        return cached

    def recent(self, n: int | None = None) -> list[str]:
        """The last ``n`` completed lesson ids (all when ``n`` is None), most recent last."""
        ids = list(self.completed)
        return ids if n is None else ids[-n:] if n > 0 else []


@dataclass(frozen=True)
class CompletionResult:
    """The outcome of ``complete_lesson``: the progress after it, and whether it was new.

    ``newly_completed`` is decided by the *first application* of the request: True when
    that application created the completion, also when it is reported again for a retried
    call whose answer was lost or for a duplicate delivery carrying the same request token.
    It is False when the lesson was already complete before the request (a repeated "I
    finished X" in a later turn): nothing but perhaps a higher mastery changed.
    """

    progress: LearnerProgress
    newly_completed: bool


def ordered_completions(items: list[CompletedLesson]) -> dict[str, CompletedLesson]:
    """Completions keyed by lesson id, oldest first (ties broken by lesson id)."""
    return {c.lesson_id: c for c in sorted(items, key=lambda c: (c.completed_at, c.lesson_id))}


def new_request_token() -> str:
    """A fresh random request token, for a call whose caller gave none."""
    return uuid.uuid4().hex


def operation_id(request_token: str | None, operation: str, *arguments: object) -> str:
    """The identity of one write: its request token, the operation and its arguments.

    Stores remember the identities of the writes they applied, so the same identity seen
    again (a retry whose answer was lost, or a duplicate delivery of the same request) is
    answered from its first application instead of being applied twice. The arguments are
    part of the identity, so a token reused for a *different* write is a different write.

    Example
    -------
    >>> operation_id("req-1", "complete", "py/loops", 1.0) == operation_id(
    ...     "req-1", "complete", "py/loops", 1.0)
    True
    >>> operation_id("req-1", "complete", "py/loops", 1.0) == operation_id(
    ...     "req-1", "complete", "py/loops", 0.5)
    False
    """
    token = request_token if request_token else new_request_token()
    text = "\x1f".join([token, operation, *(repr(a) for a in arguments)])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def utc_now() -> str:
    """The current time as a sortable ISO 8601 UTC string with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def check_key(kind: str, value: object) -> str:
    """Return ``value`` if it is a usable learner or lesson id, else raise.

    Example
    -------
    >>> check_key("learner id", "session-1")
    'session-1'
    """
    if not isinstance(value, str) or not value or len(value) > MAX_KEY_CHARS:
        raise InvalidProgressKeyError(f"{kind} must be a string of 1-{MAX_KEY_CHARS} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidProgressKeyError(f"{kind} must not contain control characters")
    return value


def check_mastery(value: object) -> float:
    """Return ``value`` as a float in [0, 1], else raise ``InvalidProgressKeyError``.

    Example
    -------
    >>> check_mastery(1)
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidProgressKeyError("mastery must be a number")
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise InvalidProgressKeyError("mastery must be between 0 and 1")
    return number
