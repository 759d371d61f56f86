"""Help, Goodbye and FallbackIntent: the conversational glue."""

from __future__ import annotations

from lex_bot.lesson_app.lesson_slots import help_choices
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()


@router.intent("Help")
def help_intent(turn: LessonTurn) -> LexResponse:
    t = turn.t
    return turn.close(turn.reply(t("help"), help_choices(turn), voice_text=t("help.voice")))


@router.intent("Goodbye")
def goodbye(turn: LessonTurn) -> LexResponse:
    turn.session.offered_lesson = None
    return turn.close(turn.reply(turn.t("goodbye")))


@router.intent("FallbackIntent")
def fallback_intent(turn: LessonTurn) -> LexResponse:
    t = turn.t
    return turn.elicit_intent(
        turn.reply(t("fallback"), help_choices(turn), voice_text=t("fallback.voice"))
    )


@router.fallback
def unregistered_intent(turn: LessonTurn) -> LexResponse:
    """An intent the bot definition does not know (for example a stale bot version)."""
    return turn.elicit_intent(turn.reply(turn.t("problem.unknown_intent"), help_choices(turn)))
