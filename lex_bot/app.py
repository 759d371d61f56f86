"""The lesson bot application: one router, the intent modules registered on it.

``lambda_function.lambda_handler`` calls :data:`app`; the local chat and the tests call it
the same way. Importing this module registers every intent of ``INTENT_MODULES``.
"""

from __future__ import annotations

import importlib
from typing import Any

from lex_bot.lesson_slots import forget_abandoned_retries
from lex_bot.messages import messages_for
from lex_bot.recording import Recorder
from lex_bot.router import IntentRouter, ProblemKind
from lex_bot.session import LessonSession


def localized_problem_replies(locale: str, kind: ProblemKind) -> str:
    """The polite answer to a problem, from the locale's message catalogue."""
    return messages_for(locale)(f"problem.{kind.value}")


app: IntentRouter[LessonSession] = IntentRouter(
    LessonSession, problem_replies=localized_problem_replies
)

# One module per intent or small family of intents; each registers itself on `app`.
INTENT_MODULES = (
    "greeting",
    "recommend",
    "start_lesson",
    "complete_lesson",
    "lesson_info",
    "goals",
    "progress",
    "browse_modules",
    "conversation",
    "errors",
)

for _name in INTENT_MODULES:
    importlib.import_module(f"lex_bot.intents.{_name}")

app.use(forget_abandoned_retries)

_recorder = Recorder.from_env()
if _recorder is not None:
    app.observe(_recorder)


def handle(event: Any, context: Any = None) -> dict[str, Any]:
    """Answer one Lex V2 event (what ``lambda_handler`` does)."""
    return app.resolve(event, context)
