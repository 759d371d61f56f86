"""BrowseModules (optional slot Module): the course's modules, or the lessons of one.

The list of modules ends with "Which one would you like?", so it is a real question: an
ElicitSlot for Module, which the module's name, its number or ordinal ("the second one") or
a key press answers; an unknown module counts against the slot's retry budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge_graph import LessonStatus
from knowledge_graph.text import fold_text
from lex_bot.lesson_app.answers import choice_index
from lex_bot.lesson_app.lesson_slots import count_failed_attempt, give_up, slot_text
from lex_bot.lesson_app.offers import marked_title, startable_choice
from lex_bot.lesson_app.presentation import button_value
from lex_bot.lesson_app.speech import heard, module_name
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import Slot, SlotValue
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from lex_bot.lesson_app.messages import Messages

router = Router()

SLOT = "Module"
LESSON_LINES = 12


@router.intent("BrowseModules", slots=(SLOT,), dialog_hook=True)
def browse_modules(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    modules = graph.modules()
    wanted = slot_text(turn, SLOT)
    if wanted is None:
        choices = [
            (m.name, button_value(t("button.module.value", name=m.name), m.name)) for m in modules
        ]

        def answer(t: Messages) -> str:
            count = t.plural("count.modules", len(modules))
            lines = [
                t(
                    "modules.line",
                    module=module_name(t, graph, m),
                    lessons=t.lessons(len(m.lesson_ids)),
                )
                for m in modules
            ]
            return t.listing(t("modules.head", modules=count), lines)

        s = turn.speech
        spoken = s.sentences(answer(s), s("modules.ask"))
        return turn.elicit_slot(SLOT, turn.reply(answer(t), choices, voice_text=spoken, keys=True))
    key = fold_text(wanted)  # the module's name in the learner's locale, or its own name
    module = next((m for m in modules if key in (fold_text(m.name), fold_text(m.key))), None)
    if module is None:
        module = next((m for m in modules if key and key in fold_text(m.name)), None)
    if module is None and turn.session.asked == f"{turn.intent.name}.{SLOT}":
        index = choice_index(wanted, turn.locale, len(modules))
        module = modules[index] if index is not None else None
    if module is None:
        if count_failed_attempt(turn, SLOT):
            return give_up(turn)
        choices = [(m.name, button_value(m.name)) for m in modules]
        s = turn.speech
        names = s.join([module_name(s, graph, m) for m in modules], "or")
        spoken = s("modules.unknown", heard=heard(wanted, turn.locale), options=names)
        return turn.elicit_slot(
            SLOT,
            turn.reply(t("modules.unknown", heard=wanted), choices, voice_text=spoken, keys=True),
            slots={**turn.intent.slots, SLOT: None},
        )
    if turn.is_dialog_hook:
        return turn.delegate(slots={**turn.intent.slots, SLOT: _module_slot(module.name)})
    return module_page(turn, module.key, 0)


def module_page(turn: LessonTurn, key: str, offset: int) -> LexResponse:
    """The lessons of the module whose ``Module.key`` (its name in the course's own locale,
    the same in every locale) is ``key``, from ``offset`` on, :data:`LESSON_LINES` at a
    time; a cut list ends with "say more" and leaves ``session.more`` to continue it."""
    graph, t = turn.graph, turn.t
    module = next((m for m in graph.modules() if m.key == key), None)
    if module is None:
        return turn.close(turn.reply(t("more.none")))
    lessons = [graph.lesson(i) for i in module.lesson_ids]
    states = [turn.lesson_state(lesson.id, with_path=False) for lesson in lessons]
    offset = min(max(offset, 0), max(len(states) - 1, 0))
    page = states[offset : offset + LESSON_LINES]
    rest = len(states) - offset - len(page)
    if rest > 0:
        turn.session.more = ["module", module.key, str(offset + len(page))]
    mastered = sum(state.status is LessonStatus.MASTERED for state in states)
    choices = [c for state in page if (c := startable_choice(t, graph, state))][:5]

    def answer(t: Messages) -> str:
        lines = [marked_title(t, graph, state) for state in page]
        head = t(
            "modules.lessons",
            module=module_name(t, graph, module),
            lessons=t.lessons(len(lessons)),
            done=mastered,
        )
        more = t("path.more", count=rest) if rest > 0 else ""
        return t.lines(t.listing(head, lines), more)

    return turn.close(turn.reply(answer(t), choices, voice_text=answer(turn.speech)))


def _module_slot(name: str) -> Slot:
    """The Module slot holding the module's name (so the fulfilment hook finds it)."""
    return Slot(value=SlotValue(originalValue=name, interpretedValue=name, resolvedValues=[name]))
