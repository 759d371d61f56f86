"""The lesson bot application: one resolver joining the routers of the intent modules.

``lambda_function.lambda_handler`` calls :func:`handle`; the local chat and the tests call it
the same way. Adding an intent is one module under ``intents/`` with its own ``router`` and
one ``include_router`` line here.
"""

from __future__ import annotations

from typing import Any

from lex_bot.lesson_app.answers import DIALOG_POLICY
from lex_bot.lesson_app.intents import (
    browse_modules,
    complete_lesson,
    conversation,
    errors,
    goals,
    greeting,
    known,
    lesson_info,
    more,
    progress,
    recommend,
    start_lesson,
)
from lex_bot.lesson_app.lesson_slots import forget_abandoned_retries
from lex_bot.lesson_app.messages import messages_for
from lex_bot.lesson_app.session import LessonSession
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.observability import share_logger_config
from lex_bot.lexv2.recording import Recorder
from lex_bot.lexv2.router import IntentRouter, ProblemKind

# The progress store, the lesson graph loader and the rest log with standard-library
# loggers: give them the same JSON lines as the router's.
share_logger_config("lex_bot", "knowledge_graph")


def localized_problem_replies(locale: str, kind: ProblemKind) -> str:
    """The polite answer to a problem, from the locale's message catalogue."""
    return messages_for(locale)(f"problem.{kind.value}")


app: IntentRouter[LessonSession] = IntentRouter(
    LessonSession,
    turn_class=LessonTurn,
    problem_replies=localized_problem_replies,
    dialog_policy=DIALOG_POLICY,
)
app.include_router(greeting.router)
app.include_router(recommend.router)
app.include_router(start_lesson.router)
app.include_router(complete_lesson.router)
app.include_router(lesson_info.router)
app.include_router(goals.router)
app.include_router(progress.router)
app.include_router(browse_modules.router)
app.include_router(known.router)
app.include_router(more.router)
app.include_router(conversation.router)
app.include_router(errors.router)

app.use(forget_abandoned_retries)
app.use(more.forget_finished_lists)

_recorder = Recorder.from_env()
if _recorder is not None:
    app.observe(_recorder)


def handle(event: Any, context: Any = None) -> dict[str, Any]:
    """Answer one Lex V2 event (what ``lambda_handler`` does)."""
    return app.resolve(event, context)
