"""Help, Goodbye and FallbackIntent: the conversational glue."""

from __future__ import annotations

from lex_bot.lesson_app.answers import lets_question_go
from lex_bot.lesson_app.lesson_slots import help_reply, let_go
from lex_bot.lesson_app.picks import CONFIRM_MARK, accepted_offer, picked_intent, sole_offer
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router, SwitchIntent

router = Router()


@router.intent("Help")
def help_intent(turn: LessonTurn) -> LexResponse:
    t = turn.t
    return turn.close(help_reply(turn, t("help"), voice_text=turn.speech("help")))


@router.intent("Goodbye")
def goodbye(turn: LessonTurn) -> LexResponse:
    turn.session.offered_lesson = None
    return turn.close(turn.reply(turn.t("goodbye")))


@router.intent("FallbackIntent")
def fallback_intent(turn: LessonTurn) -> LexResponse:
    """Not understood; but "2", "the second one" or a key press right after a card picks
    that button, and the turn is answered as the intent the button asks for (``picks``)."""
    t = turn.t
    picked = picked_intent(turn) or accepted_offer(turn)  # "2", a key, or "yes" to one offer
    if picked is not None:
        raise SwitchIntent(picked)
    asked = turn.session.asked or ""
    pending = asked.endswith(CONFIRM_MARK) or sole_offer(turn) is not None
    if pending and lets_question_go(turn.event.input_transcript, turn.locale):
        return let_go(turn)  # "skip" / "never mind" to a question or offer: nothing changed
    return turn.elicit_intent(help_reply(turn, t("fallback"), voice_text=turn.speech("fallback")))


@router.fallback
def unregistered_intent(turn: LessonTurn) -> LexResponse:
    """An intent the bot definition does not know (for example a stale bot version)."""
    return turn.elicit_intent(help_reply(turn, turn.t("problem.unknown_intent")))
