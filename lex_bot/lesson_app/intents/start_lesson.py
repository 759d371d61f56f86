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
from lex_bot.lesson_app.answers import corrected, means_this_lesson
from lex_bot.lesson_app.lesson_slots import action_choice, filled_slot, slot_text, yes_no_choices
from lex_bot.lesson_app.lists import some
from lex_bot.lesson_app.messages import content_locale
from lex_bot.lesson_app.offers import THRESHOLD_PERCENT, percent
from lex_bot.lesson_app.picks import offered_lesson_meant
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, IntentState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router, SwitchIntent

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson
    from lex_bot.lesson_app.messages import Messages

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
        meant = corrected(turn.event.input_transcript, turn.locale)
        found = turn.graph.find(meant) if meant else None
        if found is not None and found.is_confident and found.best is not None:
            # "no, I meant installing python": that lesson, as if it had been asked for
            return start_or_offer(turn, turn.graph.lesson(found.best.lesson_id))
        return turn.close(turn.reply(turn.t("start.declined")))
    said = slot_text(turn, SLOT)
    if said and means_this_lesson(said, turn.locale) and not turn.progress.current_lesson:
        offered = offered_lesson_meant(turn)  # "start it" after "Shall we start it?"
        if offered is not None:
            raise SwitchIntent(offered)
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
    missing = [graph.lesson(i) for i in state.to_finish]
    ids = [m.id for m in missing]

    def ask(t: Messages) -> str:
        return t(
            "start.locked",
            title=t.title(lesson),
            missing=some(turn, t, ids, [t.title(m) for m in missing], MISSING_NAMED),
            lessons=t.lessons(len(missing)),
            minutes=t.minutes(state.minutes_to_finish),
            first=t.title(first),
        )

    return turn.confirm_intent(turn.reply(ask(t), yes_no_choices(t), voice_text=ask, keys=True))


def _start(turn: LessonTurn, lesson: Lesson) -> LexResponse:
    state = turn.lesson_state(lesson.id)

    def answer(t: Messages) -> str:
        values = {"title": t.title(lesson), "minutes": t.minutes(lesson.minutes)}
        if state.status is LessonStatus.MASTERED:
            head = t("start.review", **values)
        elif state.status is LessonStatus.ATTEMPTED:
            score = percent(state.mastery, t.locale)
            head = t("start.retake", score=score, threshold=THRESHOLD_PERCENT, **values)
        else:
            head = t("start.ok", **values)
        summary = (
            t.content(lesson.summary, content_locale(lesson, "summary")) if lesson.summary else ""
        )
        return t.sentences(head, summary)

    t = turn.t
    turn.store.set_current_lesson(turn.learner_id, lesson.id)
    text = answer(t)
    if lesson.url:  # a link is for reading: text only
        text = f"{text}\n{t('start.link', url=lesson.url)}"
    s = turn.speech
    spoken = s.lines(answer(s), s("start.when_done", title=s.title(lesson)))
    started = turn.intent.model_copy(
        update={"slots": {**turn.intent.slots, SLOT: filled_slot(lesson)}}
    )
    return turn.close(
        turn.reply(text, [action_choice(t, "done", lesson)], voice_text=spoken),
        state=IntentState.FULFILLED,
        intent=started,
    )
