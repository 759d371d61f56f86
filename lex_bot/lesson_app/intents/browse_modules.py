"""BrowseModules (optional slot Module): the course's modules, or the lessons of one."""

from __future__ import annotations

from knowledge_graph import LessonStatus
from knowledge_graph.text import fold_text
from lex_bot.lesson_app.lesson_slots import slot_text
from lex_bot.lesson_app.offers import marked_title, startable_choice
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
        lines = [
            t("modules.line", module=m.name, lessons=t.lessons(len(m.lesson_ids))) for m in modules
        ]
        choices = [
            (m.name, button_value(t("button.module.value", name=m.name), m.name)) for m in modules
        ]
        names = t.join([m.name for m in modules])
        count = t.plural("count.modules", len(modules))
        return turn.close(
            turn.reply(
                f"{t('modules.head', modules=count)}\n{bullet_list(lines)}",
                choices,
                voice_text=t("modules.voice", modules=count, names=names),
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
    lessons = [graph.lesson(i) for i in module.lesson_ids]
    states = [turn.lesson_state(lesson.id, with_path=False) for lesson in lessons]
    lines = [marked_title(t, graph, state) for state in states[:LESSON_LINES]]
    if len(lessons) > LESSON_LINES:
        lines.append(t("path.more", count=len(lessons) - LESSON_LINES))
    mastered = sum(state.status is LessonStatus.MASTERED for state in states)
    head = t("modules.lessons", module=module.name, lessons=t.lessons(len(lessons)), done=mastered)
    choices = [c for state in states if (c := startable_choice(t, graph, state))][:5]
    return turn.close(turn.reply(f"{head}\n{bullet_list(lines)}", choices, voice_text=head))
