"""Help, Goodbye and FallbackIntent: the conversational glue."""

from __future__ import annotations

from lex_bot.lesson_app.answers import choice_index
from lex_bot.lesson_app.lesson_slots import filled_slot, help_choices
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, Intent, IntentState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()


@router.intent("Help")
def help_intent(turn: LessonTurn) -> LexResponse:
    t = turn.t
    return turn.close(turn.reply(t("help"), help_choices(turn), voice_text=turn.speech("help")))


@router.intent("Goodbye")
def goodbye(turn: LessonTurn) -> LexResponse:
    turn.session.offered_lesson = None
    return turn.close(turn.reply(turn.t("goodbye")))


@router.intent("FallbackIntent")
def fallback_intent(turn: LessonTurn) -> LexResponse:
    """Not understood; but "2" or "the second one" right after a list of recommended
    lessons picks that lesson (Lex has no intent for a bare ordinal: the list was a Close)."""
    t = turn.t
    picked = _picked_recommendation(turn)
    if picked is not None:
        return picked
    return turn.elicit_intent(
        turn.reply(t("fallback"), help_choices(turn), voice_text=turn.speech("fallback"))
    )


@router.fallback
def unregistered_intent(turn: LessonTurn) -> LexResponse:
    """An intent the bot definition does not know (for example a stale bot version)."""
    return turn.elicit_intent(turn.reply(turn.t("problem.unknown_intent"), help_choices(turn)))


def _picked_recommendation(turn: LessonTurn) -> LexResponse | None:
    """Start the recommended lesson an ordinal picks, as StartLesson would, else ``None``."""
    from lex_bot.lesson_app.intents.start_lesson import SLOT, start_or_offer

    ids = [i for i in turn.session.last_recommendations if i in turn.graph]
    index = choice_index(turn.event.input_transcript, turn.locale, len(ids)) if ids else None
    if index is None:
        return None
    lesson = turn.graph.lesson(ids[index])
    start = Intent(
        name="StartLesson",
        slots={SLOT: filled_slot(lesson)},
        state=IntentState.IN_PROGRESS,
        confirmationState=ConfirmationState.NONE,
    )
    state = turn.event.session_state.model_copy(update={"intent": start})
    turn.event = turn.event.model_copy(update={"session_state": state})
    return start_or_offer(turn, lesson)
