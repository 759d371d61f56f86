"""The one interface every progress store implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from lex_bot.lesson_app.progress_store.model import CompletionResult, LearnerProgress


@runtime_checkable
class ProgressStore(Protocol):
    """Durable learner progress.

    Every method is safe to call concurrently for the same learner from several sessions
    (or Lambda containers): updates are applied atomically, none is lost. Writes raise
    ``ProgressNotSavedError`` when they were not applied, reads ``ProgressUnavailableError``.
    """

    def get(self, learner_id: str) -> LearnerProgress:
        """The learner's progress (empty progress for a learner never seen)."""
        ...

    def complete_lesson(
        self, learner_id: str, lesson_id: str, mastery: float = 1.0
    ) -> CompletionResult:
        """Mark a lesson complete; idempotent.

        Completing an already completed lesson keeps its first completion time and the
        higher mastery, and reports ``newly_completed=False``.
        """
        ...

    def set_current_lesson(self, learner_id: str, lesson_id: str | None) -> LearnerProgress:
        """Remember the lesson the learner is working on (``None`` clears it)."""
        ...

    def set_goal(self, learner_id: str, lesson_id: str | None) -> LearnerProgress:
        """Remember the lesson the learner works toward (``None`` clears it)."""
        ...

    def reset(self, learner_id: str) -> None:
        """Forget everything about the learner."""
        ...
