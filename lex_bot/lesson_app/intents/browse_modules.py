"""BrowseModules (optional slot Module): the course's modules, or the lessons of one."""

from __future__ import annotations

from knowledge_graph.text import fold_text
from lex_bot.lesson_app.lesson_slots import slot_text, start_choice
from lex_bot.lesson_app.presentation import bullet_list, button_value
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()

SLOT = "Module"
LESSON_LINES = 12


@router.intent("BrowseModules", slots=(SLOT,), dialog_hook=True)
def browse_modules(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    modules = graph.modules()
    wanted = slot_text(turn, SLOT)
    if wanted is None:
        if turn.is_dialog_hook:
            return turn.delegate()
        lines = [t("modules.line", module=m.name, count=len(m.lesson_ids)) for m in modules]
        choices = [
            (m.name, button_value(t("button.module.value", name=m.name), m.name)) for m in modules
        ]
        names = t.join([m.name for m in modules], "and")
        return turn.close(
            turn.reply(
                f"{t('modules.head', count=len(modules))}\n{bullet_list(lines)}",
                choices,
                voice_text=t("modules.voice", count=len(modules), names=names),
            )
        )
    key = fold_text(wanted)
    module = next((m for m in modules if fold_text(m.name) == key), None)
    if module is None:
        module = next((m for m in modules if key and key in fold_text(m.name)), None)
    if module is None:
        choices = [(m.name, button_value(m.name)) for m in modules]
        return turn.elicit_slot(
            SLOT,
            turn.reply(t("modules.unknown", heard=wanted), choices),
            slots={**turn.intent.slots, SLOT: None},
        )
    if turn.is_dialog_hook:
        return turn.delegate()
    done = set(turn.progress.completed)
    lessons = [graph.lesson(i) for i in module.lesson_ids]
    lines = [
        t("prereq.done_mark", title=lesson.title) if lesson.id in done else lesson.title
        for lesson in lessons[:LESSON_LINES]
    ]
    if len(lessons) > LESSON_LINES:
        lines.append(t("path.more", count=len(lessons) - LESSON_LINES))
    todo = [lesson for lesson in lessons if lesson.id not in done]
    head = t(
        "modules.lessons", module=module.name, count=len(lessons), done=len(lessons) - len(todo)
    )
    choices = [start_choice(t, lesson) for lesson in todo[:5]]
    return turn.close(turn.reply(f"{head}\n{bullet_list(lines)}", choices, voice_text=head))
