"""Help, Goodbye and FallbackIntent: the conversational glue."""

from __future__ import annotations

from lex_bot.app import app
from lex_bot.lesson_slots import help_choices
from lex_bot.presentation import reply, texts
from lex_bot.responses import LexResponse
from lex_bot.router import Turn
from lex_bot.session import LessonSession


@app.intent("Help")
def help_intent(turn: Turn[LessonSession]) -> LexResponse:
    t = texts(turn)
    return turn.close(reply(turn, t("help"), help_choices(turn), voice_text=t("help.voice")))


@app.intent("Goodbye")
def goodbye(turn: Turn[LessonSession]) -> LexResponse:
    turn.session.offered_lesson = None
    return turn.close(reply(turn, texts(turn)("goodbye")))


@app.intent("FallbackIntent")
def fallback_intent(turn: Turn[LessonSession]) -> LexResponse:
    t = texts(turn)
    return turn.elicit_intent(
        reply(turn, t("fallback"), help_choices(turn), voice_text=t("fallback.voice"))
    )


@app.fallback
def unregistered_intent(turn: Turn[LessonSession]) -> LexResponse:
    """An intent the bot definition does not know (for example a stale bot version)."""
    t = texts(turn)
    return turn.elicit_intent(reply(turn, t("problem.unknown_intent"), help_choices(turn)))
