"""LessonInfo and ShowPrerequisites (slot LessonName): what a lesson is, what it needs."""

from __future__ import annotations

from lex_bot.app import app
from lex_bot.lesson_slots import lesson_from_slot, start_choice
from lex_bot.presentation import bullet_list, reply, texts
from lex_bot.responses import LexResponse
from lex_bot.router import Turn
from lex_bot.services import get_services, learner_id
from lex_bot.session import LessonSession

SLOT = "LessonName"


@app.intent("LessonInfo")
def lesson_info(turn: Turn[LessonSession]) -> LexResponse:
    graph = get_services().graph()
    t = texts(turn)
    found = lesson_from_slot(turn, graph, SLOT, prompt_key="prompt.lesson_name")
    if isinstance(found, LexResponse):
        return found
    lesson = found
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
        reply(turn, text, [start_choice(t, lesson)], title=lesson.title, voice_text=head)
    )


@app.intent("ShowPrerequisites")
def show_prerequisites(turn: Turn[LessonSession]) -> LexResponse:
    services = get_services()
    graph = services.graph()
    t = texts(turn)
    found = lesson_from_slot(turn, graph, SLOT, prompt_key="prompt.lesson_name")
    if isinstance(found, LexResponse):
        return found
    lesson = found
    prerequisites = graph.prerequisites(lesson.id)
    if not (prerequisites.requires or prerequisites.requires_any or prerequisites.recommends):
        return turn.close(
            reply(turn, t("prereq.none", title=lesson.title), [start_choice(t, lesson)])
        )
    progress = services.progress_store().get(learner_id(turn))
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
    return turn.close(reply(turn, f"{text}\n{summary}", choices, voice_text=voice))
