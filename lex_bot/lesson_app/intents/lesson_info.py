"""LessonInfo and ShowPrerequisites (slot LessonName): what a lesson is, what it needs.

Both read the lesson's state for the learner (``turn.lesson_state``): what is mastered, what is
still to finish (the minimal path) and which one lesson to offer (``offers.offer_for``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge_graph import LessonStatus
from lex_bot.lesson_app.offers import THRESHOLD_PERCENT, marked_title, offer_for, percent
from lex_bot.lesson_app.presentation import bullet_list
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson, LessonState

router = Router()

SLOT = "LessonName"


def _status_sentence(turn: LessonTurn, state: LessonState) -> str:
    """The learner's standing with a lesson, in one sentence."""
    t, graph = turn.t, turn.graph
    if state.status is LessonStatus.MASTERED:
        return t("info.mastered")
    if not state.can_start:
        return t(
            "info.locked",
            lessons=t.lessons(len(state.to_finish)),
            minutes=t.minutes(state.minutes_to_finish),
            first=graph.lesson(state.first_step or state.lesson_id).title,
        )
    if state.status is LessonStatus.ATTEMPTED:
        return t(
            "info.attempted", score=percent(state.mastery, t.locale), threshold=THRESHOLD_PERCENT
        )
    return t("info.startable")


def _needs(turn: LessonTurn, lesson: Lesson) -> list[str]:
    """The hard prerequisites as phrases: each ``requires`` title, "one of A or B" per group."""
    t, graph = turn.t, turn.graph
    prerequisites = graph.prerequisites(lesson.id)
    parts = [graph.lesson(p).title for p in prerequisites.requires]
    parts += [
        t("prereq.one_of", options=t.join([graph.lesson(m).title for m in g], "or"))
        for g in prerequisites.requires_any
    ]
    return parts


@router.intent("LessonInfo", slots=(SLOT,), dialog_hook=True)
def lesson_info(turn: LessonTurn) -> LexResponse:
    t = turn.t
    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    state = turn.lesson_state(lesson.id)
    head = t(
        "info.head",
        title=lesson.title,
        module=lesson.module,
        minutes=t.minutes(lesson.minutes),
        difficulty=lesson.difficulty,
    )
    text = f"{head} {lesson.summary}" if lesson.summary else head
    needs = _needs(turn, lesson)
    if needs:
        text = f"{text} {t('info.needs', lessons=t.join(needs))}"
    status = _status_sentence(turn, state)
    choice = offer_for(t, turn.graph, state, turn.progress.mastery())
    return turn.close(
        turn.reply(f"{text} {status}", [choice], title=lesson.title, voice_text=f"{head} {status}")
    )


@router.intent("ShowPrerequisites", slots=(SLOT,), dialog_hook=True)
def show_prerequisites(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    state = turn.lesson_state(lesson.id)
    prerequisites = graph.prerequisites(lesson.id)
    choice = offer_for(t, graph, state, turn.progress.mastery())
    if not (prerequisites.requires or prerequisites.requires_any or prerequisites.recommends):
        none = t("prereq.none", title=lesson.title)
        return turn.close(turn.reply(none, [choice]))

    def mark(lesson_id: str) -> str:
        return marked_title(t, graph, turn.lesson_state(lesson_id, with_path=False))

    lines = [mark(p) for p in prerequisites.requires]
    lines += [
        t("prereq.one_of", options=t.join([mark(m) for m in g], "or"))
        for g in prerequisites.requires_any
    ]
    text = f"{t('prereq.head', title=lesson.title)}\n{bullet_list(lines)}" if lines else ""
    if prerequisites.recommends:
        soft = t("prereq.recommended", lessons=t.join([mark(r) for r in prerequisites.recommends]))
        text = f"{text}\n{soft}" if text else soft
    if state.status is LessonStatus.MASTERED:
        summary = t("prereq.mastered", title=lesson.title)
    elif state.can_start:
        summary = t("prereq.ready", title=lesson.title)
    else:
        summary = t(
            "prereq.missing",
            title=lesson.title,
            lessons=t.lessons(len(state.to_finish)),
            minutes=t.minutes(state.minutes_to_finish),
            first=graph.lesson(state.first_step or lesson.id).title,
        )
    voice = summary
    if lines:
        voice = f"{t('prereq.head', title=lesson.title)} {t.join(lines[:3])}. {summary}"
    return turn.close(turn.reply(f"{text}\n{summary}", [choice], voice_text=voice))
