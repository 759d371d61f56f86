"""StartLesson (slot LessonName): start a lesson, or offer its first missing prerequisite.

A lesson whose hard prerequisites are unmet is not started: the bot names what is missing
and asks (ConfirmIntent) whether to start the first missing one instead. "Yes" starts that
one; "no" leaves things as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lex_bot.app import app
from lex_bot.events import ConfirmationState, IntentState
from lex_bot.lesson_slots import action_choice, lesson_from_slot, start_choice
from lex_bot.presentation import reply, texts
from lex_bot.responses import LexResponse
from lex_bot.router import Turn
from lex_bot.services import get_services, learner_id
from lex_bot.session import LessonSession

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson

SLOT = "LessonName"


@app.intent("StartLesson")
def start_lesson(turn: Turn[LessonSession]) -> LexResponse:
    services = get_services()
    graph = services.graph()
    t = texts(turn)
    answer = turn.confirmation_state
    if answer is not ConfirmationState.NONE and turn.session.offered_lesson:
        offered = turn.session.offered_lesson
        turn.session.offered_lesson = None
        if answer is ConfirmationState.CONFIRMED and offered in graph:
            return _start_or_offer(turn, graph.lesson(offered))
        return turn.close(reply(turn, t("start.declined")))

    found = lesson_from_slot(turn, graph, SLOT, prompt_key="prompt.lesson_name")
    if isinstance(found, LexResponse):
        return found
    return _start_or_offer(turn, found)


def _start_or_offer(turn: Turn[LessonSession], lesson: Lesson) -> LexResponse:
    """Start ``lesson`` if its prerequisites are met, else offer the first missing one.

    The offered lesson comes back through session attributes, which a client can forge, so
    a confirmed offer goes through this same check again.
    """
    services = get_services()
    graph = services.graph()
    t = texts(turn)
    progress = services.progress_store().get(learner_id(turn))
    if lesson.id in progress.completed:
        return turn.close(
            reply(turn, t("start.already_done", title=lesson.title), [start_choice(t, lesson)])
        )
    missing = graph.missing_prerequisites(lesson.id, progress.mastery())
    if missing:
        first = graph.lesson(missing[0])
        turn.session.offered_lesson = first.id
        names = t.join([graph.lesson(m).title for m in missing[:4]], "and")
        return turn.confirm_intent(
            reply(
                turn,
                t("start.locked", title=lesson.title, missing=names, first=first.title),
                [(t("button.yes"), t("button.yes.value")), (t("button.no"), t("button.no.value"))],
                voice_text=t("start.locked.voice", title=lesson.title, first=first.title),
            )
        )
    return _start(turn, lesson)


def _start(turn: Turn[LessonSession], lesson: Lesson) -> LexResponse:
    t = texts(turn)
    get_services().progress_store().set_current_lesson(learner_id(turn), lesson.id)
    text = t("start.ok", title=lesson.title, minutes=lesson.minutes)
    if lesson.summary:
        text = f"{text} {lesson.summary}"
    if lesson.url and not turn.is_voice:
        text = f"{text}\n{t('start.link', url=lesson.url)}"
    return turn.close(
        reply(
            turn,
            text,
            [action_choice(t, "done", lesson)],
            voice_text=t("start.ok", title=lesson.title, minutes=lesson.minutes),
        ),
        state=IntentState.FULFILLED,
    )
