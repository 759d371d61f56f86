"""The one interface every progress store implements, and a view bound to one request."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from lex_bot.lesson_app.progress_store.model import CompletionResult, LearnerProgress


@runtime_checkable
class ProgressStore(Protocol):
    """Durable learner progress.

    Every method is safe to call concurrently for the same learner from several sessions
    (or Lambda containers): updates are applied atomically, none is lost. Writes raise
    ``ProgressNotSavedError`` when they were not applied (``ProgressNotConfirmedError``, a
    subclass, when it cannot be known), reads ``ProgressUnavailableError``.

    Writes are idempotent per request: ``request_token`` names the request a write belongs
    to (a Lex turn; see ``LessonTurn.request_token``). The same write with the same token,
    whether botocore retried it after its answer was lost or Lambda delivered the request
    twice, is applied once and answered as its first application was. Without a token each
    call is its own request (retries inside the call are still recognised).
    """

    def get(self, learner_id: str) -> LearnerProgress:
        """The learner's progress (empty progress for a learner never seen)."""
        ...

    def complete_lesson(
        self,
        learner_id: str,
        lesson_id: str,
        mastery: float = 1.0,
        *,
        request_token: str | None = None,
    ) -> CompletionResult:
        """Mark a lesson complete; idempotent.

        Completing an already completed lesson keeps its first completion time and the
        higher mastery, and reports ``newly_completed=False``, unless the earlier completion
        was this very request (then it reports what the first application did).
        """
        ...

    def set_current_lesson(
        self, learner_id: str, lesson_id: str | None, *, request_token: str | None = None
    ) -> LearnerProgress:
        """Remember the lesson the learner is working on (``None`` clears it)."""
        ...

    def set_goal(
        self, learner_id: str, lesson_id: str | None, *, request_token: str | None = None
    ) -> LearnerProgress:
        """Remember the lesson the learner works toward (``None`` clears it)."""
        ...

    def reset(self, learner_id: str, *, request_token: str | None = None) -> None:
        """Forget the learner's completions, current lesson and goal, all at once.

        All or nothing, whatever the number of completions; a completion racing the reset
        lands either before it (and is erased) or after it (and is kept). ``version`` keeps
        counting (a reset is one more change).
        """
        ...


class HeadFields:
    """``set_current_lesson`` and ``set_goal`` of a store, both written by its own
    ``_set(learner_id, field, lesson_id, request_token)`` (field: ``"current_lesson"`` or
    ``"goal"``), so the three stores share one definition of the two."""

    def _set(
        self, learner_id: str, field: str, lesson_id: str | None, request_token: str | None
    ) -> LearnerProgress:
        raise NotImplementedError

    def set_current_lesson(
        self, learner_id: str, lesson_id: str | None, *, request_token: str | None = None
    ) -> LearnerProgress:
        """Remember the lesson the learner is working on (``None`` clears it)."""
        return self._set(learner_id, "current_lesson", lesson_id, request_token)

    def set_goal(
        self, learner_id: str, lesson_id: str | None, *, request_token: str | None = None
    ) -> LearnerProgress:
        """Remember the lesson the learner works toward (``None`` clears it)."""
        return self._set(learner_id, "goal", lesson_id, request_token)


class RequestBoundStore:
    """A store whose writes all carry one request token (what a handler's turn uses).

    Handlers call ``turn.store.complete_lesson(learner, lesson)`` without thinking about
    retries; the turn binds its request token here, so a duplicate delivery of the same Lex
    request is recognised by the store.

    Example
    -------
    >>> from lex_bot.lesson_app.progress_store import open_progress_store
    >>> store = open_progress_store("memory://")
    >>> first = RequestBoundStore(store, "req-1").complete_lesson("ana", "py/loops")
    >>> again = RequestBoundStore(store, "req-1").complete_lesson("ana", "py/loops")
    >>> later = RequestBoundStore(store, "req-2").complete_lesson("ana", "py/loops")
    >>> first.newly_completed, again.newly_completed, later.newly_completed
    (True, True, False)
    >>> store.get("ana").version
    1
    """

    def __init__(self, store: ProgressStore, request_token: str) -> None:
        self.store = store
        self.request_token = request_token

    def get(self, learner_id: str) -> LearnerProgress:
        return self.store.get(learner_id)

    def complete_lesson(
        self,
        learner_id: str,
        lesson_id: str,
        mastery: float = 1.0,
        *,
        request_token: str | None = None,
    ) -> CompletionResult:
        return self.store.complete_lesson(
            learner_id, lesson_id, mastery, request_token=request_token or self.request_token
        )

    def set_current_lesson(
        self, learner_id: str, lesson_id: str | None, *, request_token: str | None = None
    ) -> LearnerProgress:
        return self.store.set_current_lesson(
            learner_id, lesson_id, request_token=request_token or self.request_token
        )

    def set_goal(
        self, learner_id: str, lesson_id: str | None, *, request_token: str | None = None
    ) -> LearnerProgress:
        return self.store.set_goal(
            learner_id, lesson_id, request_token=request_token or self.request_token
        )

    def reset(self, learner_id: str, *, request_token: str | None = None) -> None:
        self.store.reset(learner_id, request_token=request_token or self.request_token)
