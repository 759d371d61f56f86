"""Turn expected failures (no graph, storage trouble) into polite answers.

The router logs each one with the session id and request id; anything not listed here is
still caught by the router's own error boundary.
"""

from __future__ import annotations

from knowledge_graph.errors import GraphError, UnknownLessonError
from lex_bot.lesson_app.progress_store import (
    ProgressNotConfirmedError,
    ProgressNotSavedError,
    ProgressUnavailableError,
)
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import IntentState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()


def _failed(turn: LessonTurn, key: str) -> LexResponse:
    return turn.close(turn.reply(turn.t(key)), state=IntentState.FAILED)


@router.exception_handler(ProgressNotConfirmedError)
def progress_not_confirmed(turn: LessonTurn, exc: Exception) -> LexResponse:
    """Neither saved nor lost for sure: say so, and that saying it again is safe.

    Registered before ``ProgressNotSavedError`` (its base class): handlers match in order.
    """
    return _failed(turn, "problem.not_confirmed")


@router.exception_handler(ProgressNotSavedError)
def progress_not_saved(turn: LessonTurn, exc: Exception) -> LexResponse:
    """The learner must know their progress was not saved, so they can say it again."""
    return _failed(turn, "problem.not_saved")


@router.exception_handler(ProgressUnavailableError)
def progress_unavailable(turn: LessonTurn, exc: Exception) -> LexResponse:
    return _failed(turn, "problem.progress_unavailable")


@router.exception_handler(UnknownLessonError)
def unknown_lesson(turn: LessonTurn, exc: Exception) -> LexResponse:
    """A stored lesson id vanished from the graph (an author removed it)."""
    return _failed(turn, "problem.lesson_gone")


@router.exception_handler(GraphError)
def graph_unavailable(turn: LessonTurn, exc: Exception) -> LexResponse:
    return _failed(turn, "problem.no_graph")
