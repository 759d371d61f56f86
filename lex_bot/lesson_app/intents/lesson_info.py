"""LessonInfo and ShowPrerequisites (slot LessonName): what a lesson is, what it needs.

Both read the lesson's state for the learner (``turn.lesson_state``): what is mastered, what is
still to finish (the minimal path) and which one lesson to offer (``offers.offer_for``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge_graph import LessonStatus
from lex_bot.lesson_app.messages import content_locale
from lex_bot.lesson_app.offers import THRESHOLD_PERCENT, marked_title, offer_for, percent
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson, LessonGraph, LessonState
    from lex_bot.lesson_app.messages import Messages

router = Router()

SLOT = "LessonName"


def _status_sentence(t: Messages, graph: LessonGraph, state: LessonState) -> str:
    """The learner's standing with a lesson, in one sentence."""
    if state.status is LessonStatus.MASTERED:
        return t("info.mastered")
    if not state.can_start:
        return t(
            "info.locked",
            lessons=t.lessons(len(state.to_finish)),
            minutes=t.minutes(state.minutes_to_finish),
            first=t.title(graph.lesson(state.first_step or state.lesson_id)),
        )
    if state.status is LessonStatus.ATTEMPTED:
        return t(
            "info.attempted", score=percent(state.mastery, t.locale), threshold=THRESHOLD_PERCENT
        )
    return t("info.startable")


def _needs(t: Messages, graph: LessonGraph, lesson: Lesson) -> list[str]:
    """The hard prerequisites as phrases: each ``requires`` title, "one of A or B" per group."""
    prerequisites = graph.prerequisites(lesson.id)
    parts = [t.title(graph.lesson(p)) for p in prerequisites.requires]
    parts += [
        t("prereq.one_of", options=t.join([t.title(graph.lesson(m)) for m in g], "or"))
        for g in prerequisites.requires_any
    ]
    return parts


@router.intent("LessonInfo", slots=(SLOT,), dialog_hook=True)
def lesson_info(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    state = turn.lesson_state(lesson.id)

    def answer(t: Messages) -> str:
        head = t(
            "info.head",
            title=t.title(lesson),
            module=t.content(lesson.module, content_locale(lesson, "module")),
            minutes=t.minutes(lesson.minutes),
            difficulty=lesson.difficulty,
        )
        summary = (
            t.content(lesson.summary, content_locale(lesson, "summary")) if lesson.summary else ""
        )
        needs = _needs(t, graph, lesson)
        # When it is locked, the status sentence says what is still needed instead.
        needed = t("info.needs", lessons=t.join(needs)) if needs and not state.to_finish else ""
        return t.sentences(head, summary, needed, _status_sentence(t, graph, state))

    choice = offer_for(t, graph, state, turn.progress.mastery())
    return turn.close(turn.reply(answer(t), [choice], title=lesson.title, voice_text=answer))


@router.intent("ShowPrerequisites", slots=(SLOT,), dialog_hook=True)
def show_prerequisites(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    state = turn.lesson_state(lesson.id)
    prerequisites = graph.prerequisites(lesson.id)
    choice = offer_for(t, graph, state, turn.progress.mastery())

    def answer(t: Messages) -> str:
        title = t.title(lesson)
        if not (prerequisites.requires or prerequisites.requires_any or prerequisites.recommends):
            return t("prereq.none", title=title)

        def mark(lesson_id: str) -> str:
            return marked_title(t, graph, turn.lesson_state(lesson_id, with_path=False))

        lines = [mark(p) for p in prerequisites.requires]
        lines += [
            t("prereq.one_of", options=t.join([mark(m) for m in g], "or"))
            for g in prerequisites.requires_any
        ]
        needed = t.listing(t("prereq.head", title=title), lines) if lines else ""
        soft = ""
        if prerequisites.recommends:
            soft = t(
                "prereq.recommended", lessons=t.join([mark(r) for r in prerequisites.recommends])
            )
        if state.status is LessonStatus.MASTERED:
            summary = t("prereq.mastered", title=title)
        elif state.can_start:
            summary = t("prereq.ready", title=title)
        else:
            summary = t(
                "prereq.missing",
                title=title,
                lessons=t.lessons(len(state.to_finish)),
                minutes=t.minutes(state.minutes_to_finish),
                first=t.title(graph.lesson(state.first_step or lesson.id)),
            )
        return t.lines(needed, soft, summary)

    return turn.close(turn.reply(answer(t), [choice], voice_text=answer))
