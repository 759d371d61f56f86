"""StartLesson (slot LessonName): start a lesson, or offer the first step toward it.

A lesson is started only when its state allows it (``turn.lesson_state``): startable, in progress,
attempted below the mastery threshold (a retake) or mastered (a review). A locked lesson is
not started: the bot names the lessons still to master (the minimal path) and asks
(ConfirmIntent) whether to start the first of them, which can always be started, so one
"yes" starts something. "No" leaves things as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge_graph import LessonStatus
from lex_bot.lesson_app.lesson_slots import action_choice, filled_slot, yes_no_choices
from lex_bot.lesson_app.lists import some
from lex_bot.lesson_app.offers import THRESHOLD_PERCENT, percent
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, IntentState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson

router = Router()

SLOT = "LessonName"
MISSING_NAMED = 4


@router.intent("StartLesson", slots=(SLOT,), dialog_hook=True)
def start_lesson(turn: LessonTurn) -> LexResponse:
    answer = turn.confirmation_state
    if answer is not ConfirmationState.NONE and turn.session.offered_lesson:
        offered = turn.session.offered_lesson
        turn.session.offered_lesson = None
        if answer is ConfirmationState.CONFIRMED and offered in turn.graph:
            return start_or_offer(turn, turn.graph.lesson(offered))
        return turn.close(turn.reply(turn.t("start.declined")))
    return start_or_offer(turn, turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name"))


def start_or_offer(turn: LessonTurn, lesson: Lesson) -> LexResponse:
    """Start ``lesson`` if its state allows, else offer the first step of the path to it.

    The offered lesson comes back through session attributes, which a client can forge, so
    a confirmed offer goes through this same check again.
    """
    graph, t = turn.graph, turn.t
    state = turn.lesson_state(lesson.id)
    if state.status is LessonStatus.MASTERED or state.can_start:
        return _start(turn, lesson)
    first = graph.lesson(state.first_step or lesson.id)
    turn.session.offered_lesson = first.id
    ids = list(state.to_finish)
    names = [graph.lesson(i).title for i in ids]
    count, minutes = t.lessons(len(names)), t.minutes(state.minutes_to_finish)
    return turn.confirm_intent(
        turn.reply(
            t(
                "start.locked",
                title=lesson.title,
                missing=some(turn, t, ids, names, MISSING_NAMED),
                lessons=count,
                minutes=minutes,
                first=first.title,
            ),
            yes_no_choices(t),
            voice_text=t(
                "start.locked.voice", title=lesson.title, lessons=count, first=first.title
            ),
            keys=True,
        )
    )


def _start(turn: LessonTurn, lesson: Lesson) -> LexResponse:
    t = turn.t
    state = turn.lesson_state(lesson.id)
    minutes = t.minutes(lesson.minutes)
    if state.status is LessonStatus.MASTERED:
        head = t("start.review", title=lesson.title, minutes=minutes)
    elif state.status is LessonStatus.ATTEMPTED:
        head = t(
            "start.retake",
            title=lesson.title,
            score=percent(state.mastery, t.locale),
            threshold=THRESHOLD_PERCENT,
            minutes=minutes,
        )
    else:
        head = t("start.ok", title=lesson.title, minutes=minutes)
    turn.store.set_current_lesson(turn.learner_id, lesson.id)
    text = f"{head} {lesson.summary}" if lesson.summary else head
    if lesson.url and not turn.is_voice:
        text = f"{text}\n{t('start.link', url=lesson.url)}"
    started = turn.intent.model_copy(
        update={"slots": {**turn.intent.slots, SLOT: filled_slot(lesson)}}
    )
    return turn.close(
        turn.reply(text, [action_choice(t, "done", lesson)], voice_text=head),
        state=IntentState.FULFILLED,
        intent=started,
    )
