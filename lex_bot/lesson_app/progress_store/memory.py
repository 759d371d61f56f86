"""An in-memory progress store, for tests and benchmarks (``PROGRESS_STORE=memory://``)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from lex_bot.lesson_app.progress_store.base import HeadFields
from lex_bot.lesson_app.progress_store.model import (
    RECENT_REQUESTS,
    CompletedLesson,
    CompletionResult,
    LearnerProgress,
    check_key,
    check_mastery,
    operation_id,
    utc_now,
)


@dataclass
class _Learner:
    completed: dict[str, CompletedLesson] = field(default_factory=dict)
    current_lesson: str | None = None
    goal: str | None = None
    version: int = 0
    # Identities of applied completions (-> whether they were new); erased by a reset, like
    # the completions they describe.
    completion_ops: dict[str, bool] = field(default_factory=dict)
    # Identities of the last applied changes of current lesson, goal and reset.
    head_ops: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def remember_head_op(self, op: str) -> None:
        self.head_ops[op] = None
        while len(self.head_ops) > RECENT_REQUESTS:
            self.head_ops.popitem(last=False)


class MemoryProgressStore(HeadFields):
    """Progress in a dict guarded by a lock; lost when the process ends.

    Example
    -------
    >>> store = MemoryProgressStore()
    >>> store.complete_lesson("ana", "py/loops", 0.8).newly_completed
    True
    >>> dict(store.complete_lesson("ana", "py/loops", 0.5).progress.mastery())
    {'py/loops': 0.8}
    """

    def __init__(self, clock: Callable[[], str] = utc_now) -> None:
        self._learners: dict[str, _Learner] = {}
        # Immutable snapshots handed out until the learner's next change (each carries its
        # own cached mastery view, so repeated turns do not rebuild it).
        self._snapshots: dict[str, LearnerProgress] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _snapshot(self, learner_id: str) -> LearnerProgress:
        cached = self._snapshots.get(learner_id)
        if cached is not None:
            return cached
        learner = self._learners.get(learner_id)
        if learner is None:
            return LearnerProgress(learner_id)
        snapshot = LearnerProgress(
            learner_id,
            MappingProxyType(dict(learner.completed)),
            learner.current_lesson,
            learner.goal,
            learner.version,
        )
        self._snapshots[learner_id] = snapshot
        return snapshot

    def get(self, learner_id: str) -> LearnerProgress:
        check_key("learner id", learner_id)
        with self._lock:
            return self._snapshot(learner_id)

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
        with self._lock:
            learner = self._learners.setdefault(learner_id, _Learner())
            if op in learner.completion_ops:
                return CompletionResult(self._snapshot(learner_id), learner.completion_ops[op])
            self._snapshots.pop(learner_id, None)
            before = learner.completed.get(lesson_id)
            if before is None:
                learner.completed[lesson_id] = CompletedLesson(lesson_id, mastery, self._clock())
                learner.version += 1
            elif mastery > before.mastery:
                learner.completed[lesson_id] = replace(before, mastery=mastery)
                learner.version += 1
            learner.completion_ops[op] = before is None
            return CompletionResult(self._snapshot(learner_id), newly_completed=before is None)

    def _set(
        self, learner_id: str, field_name: str, lesson_id: str | None, request_token: str | None
    ) -> LearnerProgress:
        check_key("learner id", learner_id)
        if lesson_id is not None:
            check_key("lesson id", lesson_id)
        op = operation_id(request_token, f"set_{field_name}", learner_id, lesson_id)
        with self._lock:
            learner = self._learners.setdefault(learner_id, _Learner())
            if op not in learner.head_ops:
                self._snapshots.pop(learner_id, None)
                setattr(learner, field_name, lesson_id)
                learner.version += 1
                learner.remember_head_op(op)
            return self._snapshot(learner_id)

    def reset(self, learner_id: str, *, request_token: str | None = None) -> None:
        check_key("learner id", learner_id)
        op = operation_id(request_token, "reset", learner_id)
        with self._lock:
            learner = self._learners.setdefault(learner_id, _Learner())
            if op in learner.head_ops:
                return
            self._snapshots.pop(learner_id, None)
            learner.completed.clear()
            learner.completion_ops.clear()
            learner.current_lesson = learner.goal = None
            learner.version += 1
            learner.remember_head_op(op)
