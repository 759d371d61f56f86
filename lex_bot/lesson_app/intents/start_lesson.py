"""StartLesson (slot LessonName): start a lesson, or offer its first missing prerequisite.

A lesson whose hard prerequisites are unmet is not started: the bot names what is missing
and asks (ConfirmIntent) whether to start the first missing one instead. "Yes" starts that
one; "no" leaves things as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lex_bot.lesson_app.lesson_slots import action_choice, start_choice, yes_no_choices
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, IntentState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson

router = Router()

SLOT = "LessonName"


@router.intent("StartLesson", slots=(SLOT,), dialog_hook=True)
def start_lesson(turn: LessonTurn) -> LexResponse:
    answer = turn.confirmation_state
    if answer is not ConfirmationState.NONE and turn.session.offered_lesson:
        offered = turn.session.offered_lesson
        turn.session.offered_lesson = None
        if answer is ConfirmationState.CONFIRMED and offered in turn.graph:
            return _start_or_offer(turn, turn.graph.lesson(offered))
        return turn.close(turn.reply(turn.t("start.declined")))
    return _start_or_offer(turn, turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name"))


def _start_or_offer(turn: LessonTurn, lesson: Lesson) -> LexResponse:
    """Start ``lesson`` if its prerequisites are met, else offer the first missing one.

    The offered lesson comes back through session attributes, which a client can forge, so
    a confirmed offer goes through this same check again.
    """
    graph, t, progress = turn.graph, turn.t, turn.progress
    if lesson.id in progress.completed:
        return turn.close(
            turn.reply(t("start.already_done", title=lesson.title), [start_choice(t, lesson)])
        )
    missing = graph.missing_prerequisites(lesson.id, progress.mastery())
    if missing:
        first = graph.lesson(missing[0])
        turn.session.offered_lesson = first.id
        names = t.join([graph.lesson(m).title for m in missing[:4]], "and")
        return turn.confirm_intent(
            turn.reply(
                t("start.locked", title=lesson.title, missing=names, first=first.title),
                yes_no_choices(t),
                voice_text=t("start.locked.voice", title=lesson.title, first=first.title),
            )
        )
    return _start(turn, lesson)


def _start(turn: LessonTurn, lesson: Lesson) -> LexResponse:
    t = turn.t
    turn.store.set_current_lesson(turn.learner_id, lesson.id)
    text = t("start.ok", title=lesson.title, minutes=lesson.minutes)
    if lesson.summary:
        text = f"{text} {lesson.summary}"
    if lesson.url and not turn.is_voice:
        text = f"{text}\n{t('start.link', url=lesson.url)}"
    return turn.close(
        turn.reply(
            text,
            [action_choice(t, "done", lesson)],
            voice_text=t("start.ok", title=lesson.title, minutes=lesson.minutes),
        ),
        state=IntentState.FULFILLED,
    )
