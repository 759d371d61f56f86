"""LessonInfo and ShowPrerequisites (slot LessonName): what a lesson is, what it needs."""

from __future__ import annotations

from lex_bot.lesson_app.lesson_slots import start_choice
from lex_bot.lesson_app.presentation import bullet_list
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()

SLOT = "LessonName"


@router.intent("LessonInfo", slots=(SLOT,), dialog_hook=True)
def lesson_info(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    head = t(
        "info.head",
        title=lesson.title,
        module=lesson.module,
        minutes=lesson.minutes,
        difficulty=lesson.difficulty,
    )
    text = f"{head} {lesson.summary}" if lesson.summary else head
    needs = graph.prerequisites(lesson.id).requires
    if needs:
        titles = t.join([graph.lesson(n).title for n in needs], "and")
        text = f"{text} {t('info.needs', lessons=titles)}"
    return turn.close(
        turn.reply(text, [start_choice(t, lesson)], title=lesson.title, voice_text=head)
    )


@router.intent("ShowPrerequisites", slots=(SLOT,), dialog_hook=True)
def show_prerequisites(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    prerequisites = graph.prerequisites(lesson.id)
    if not (prerequisites.requires or prerequisites.requires_any or prerequisites.recommends):
        return turn.close(
            turn.reply(t("prereq.none", title=lesson.title), [start_choice(t, lesson)])
        )
    progress = turn.progress
    done = set(progress.completed)

    def mark(lesson_id: str) -> str:
        title = graph.lesson(lesson_id).title
        return t("prereq.done_mark", title=title) if lesson_id in done else title

    lines = [mark(p) for p in prerequisites.requires]
    lines += [
        t("prereq.one_of", options=t.join([mark(m) for m in g], "or"))
        for g in prerequisites.requires_any
    ]
    text = f"{t('prereq.head', title=lesson.title)}\n{bullet_list(lines)}" if lines else ""
    if prerequisites.recommends:
        soft = t(
            "prereq.recommended", lessons=t.join([mark(r) for r in prerequisites.recommends], "and")
        )
        text = f"{text}\n{soft}" if text else soft
    missing = graph.missing_prerequisites(lesson.id, progress.mastery())
    if missing:
        first = graph.lesson(missing[0])
        summary = t("prereq.missing", count=len(missing), first=first.title)
        choices = [start_choice(t, first)]
    else:
        summary = t("prereq.ready", title=lesson.title)
        choices = [start_choice(t, lesson)]
    voice = summary
    if lines:
        voice = f"{t('prereq.head', title=lesson.title)} {t.join(lines[:3], 'and')}. {summary}"
    return turn.close(turn.reply(f"{text}\n{summary}", choices, voice_text=voice))
