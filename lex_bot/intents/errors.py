"""Turn expected failures (no graph, storage trouble) into polite answers.

The router logs each one with the session id and request id; anything not listed here is
still caught by the router's own error boundary.
"""

from __future__ import annotations

from knowledge_graph.errors import GraphError, UnknownLessonError
from lex_bot.app import app
from lex_bot.events import IntentState
from lex_bot.presentation import reply, texts
from lex_bot.progress_store import ProgressNotSavedError, ProgressUnavailableError
from lex_bot.responses import LexResponse
from lex_bot.router import Turn
from lex_bot.session import LessonSession


@app.exception_handler(ProgressNotSavedError)
def progress_not_saved(turn: Turn[LessonSession], exc: Exception) -> LexResponse:
    """The learner must know their progress was not saved, so they can say it again."""
    return turn.close(reply(turn, texts(turn)("problem.not_saved")), state=IntentState.FAILED)


@app.exception_handler(ProgressUnavailableError)
def progress_unavailable(turn: Turn[LessonSession], exc: Exception) -> LexResponse:
    return turn.close(
        reply(turn, texts(turn)("problem.progress_unavailable")), state=IntentState.FAILED
    )


@app.exception_handler(UnknownLessonError)
def unknown_lesson(turn: Turn[LessonSession], exc: Exception) -> LexResponse:
    """A stored lesson id vanished from the graph (an author removed it)."""
    return turn.close(reply(turn, texts(turn)("problem.lesson_gone")), state=IntentState.FAILED)


@app.exception_handler(GraphError)
def graph_unavailable(turn: Turn[LessonSession], exc: Exception) -> LexResponse:
    return turn.close(reply(turn, texts(turn)("problem.no_graph")), state=IntentState.FAILED)
