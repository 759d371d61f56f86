"""BrowseModules (optional slot Module): the course's modules, or the lessons of one.

The list of modules ends with "Which one would you like?", so it is a real question: an
ElicitSlot for Module, which the module's name, its number or ordinal on the page shown ("the
second one") or a key press answers. It is shown a card's worth (5) at a time, so the text
names exactly the card's modules; "more" shows the next ones. A partial name that fits
several modules ("testing": Tools and Testing, Testing in Depth) is asked about, never
settled on the first; an unknown module counts against the slot's retry budget, a number
past the list says there is no such choice, "skip" or "no thanks" lets the question go, and
"show me the modules" (the Browse modules button) shows the list again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge_graph import LessonStatus
from knowledge_graph.text import fold_text
from lex_bot.lesson_app.answers import choice_index, lets_question_go
from lex_bot.lesson_app.lesson_slots import (
    count_failed_attempt,
    forget_failed_attempts,
    give_up,
    let_go,
    slot_text,
)
from lex_bot.lesson_app.lists import PAGE_CHOICES, cut, with_more
from lex_bot.lesson_app.offers import marked_title, startable_choice
from lex_bot.lesson_app.presentation import button_value
from lex_bot.lesson_app.speech import heard as heard_part
from lex_bot.lesson_app.speech import module_name
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import Slot, SlotValue
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Module
    from lex_bot.lesson_app.messages import Messages

router = Router()

SLOT = "Module"
LESSON_LINES = 12


@router.intent("BrowseModules", slots=(SLOT,), dialog_hook=True)
def browse_modules(turn: LessonTurn) -> LexResponse:
    graph = turn.graph
    modules = graph.modules()
    wanted = slot_text(turn, SLOT)
    if wanted is None:
        return modules_page(turn, 0)
    key = fold_text(wanted)  # the module's name in the learner's locale, or its own name
    module = next((m for m in modules if key in (fold_text(m.name), fold_text(m.key))), None)
    by_key = {m.key: m for m in modules}
    offered = [by_key[k] for k in turn.session.choices if k in by_key]
    answering = turn.session.asked == f"{turn.intent.name}.{SLOT}"
    if module is None and offered and answering:
        index = choice_index(wanted, turn.locale, len(offered))
        module = offered[index] if index is not None else None
    if module is None and answering:
        if lets_question_go(wanted, turn.locale):  # "skip", "no thanks": no failure
            return let_go(turn)
        if key == fold_text(turn.t("button.modules.value")):  # the list asked for again
            forget_failed_attempts(turn)
            return modules_page(turn, 0)
    partial = [m for m in modules if key and (key in fold_text(m.name) or key in fold_text(m.key))]
    if module is None and len(partial) == 1:
        module = partial[0]
    if module is None:
        # An unknown name, or a partial one that fits several modules equally: ask, offering
        # the modules it fits (else all of them), one page at a time.
        if count_failed_attempt(turn, SLOT):
            return give_up(turn, "modules.give_up")
        if wanted.strip().isdigit() and offered:  # a key or number past the list
            number = {"number": wanted.strip(), "count": len(offered)}
            return modules_page(turn, 0, note=("modules.no_choice", number))
        return modules_page(turn, 0, heard=wanted, among=partial)
    if turn.is_dialog_hook:
        return turn.delegate(slots={**turn.intent.slots, SLOT: _module_slot(module.name)})
    return module_page(turn, module.key, 0)


def modules_page(
    turn: LessonTurn,
    offset: int,
    *,
    heard: str | None = None,
    among: list[Module] | None = None,
    note: tuple[str, dict[str, object]] | None = None,
) -> LexResponse:
    """The course's modules (or ``among``) from ``offset`` on, a page at a time, as a question
    for the Module slot: the text names exactly the page's modules and the card holds one
    button each; a cut list is kept for "more" (``lists``, kind ``modules``).

    Parameters:
        heard: a module name that matched no module, or several (said in the question).
        note: a message key and its values said in place of the list's heading, when
            something else must be said first ("There is no choice 9").
    """
    t, graph = turn.t, turn.graph
    modules = graph.modules()
    listed = among or modules
    key = "|".join(m.key for m in among) if among else ""
    page = cut(turn, listed, offset, PAGE_CHOICES, "modules", key)
    turn.session.choices = [m.key for m in page.items]
    choices = [
        (m.name, button_value(t("button.module.value", name=m.name), m.name)) for m in page.items
    ]

    def answer(t: Messages, said: str | None, *, spoken: bool = False) -> str:
        """The page in ``t``'s rendering; spoken, a name not found (or fitting several)
        names the page's modules inside its question (``spoken.modules.unknown``)."""
        lines = [
            t("modules.line", module=module_name(t, graph, m), lessons=t.lessons(len(m.lesson_ids)))
            for m in page.items
        ]
        names = t.join([module_name(t, graph, m) for m in page.items], "or")
        if note is not None:  # something to say first, in place of the list's heading
            head = t(note[0], **note[1])
        elif said is not None:
            asked = "modules.ambiguous" if among else "modules.unknown"
            head = t(asked, heard=said, options=names)
        elif page.offset:
            head = t("modules.rest")
        else:
            head = t("modules.head", modules=t.plural("count.modules", len(modules)))
        named_in_head = spoken and said is not None
        return with_more(t, head if named_in_head else t.listing(head, lines), page)

    s = turn.speech
    said_back = None if heard is None else heard_part(heard, turn.locale)
    spoken = answer(s, said_back, spoken=True)
    if heard is None:  # the list's question (an unknown or partial name asks its own)
        spoken = s.sentences(spoken, s("modules.ask"))
    return turn.elicit_slot(
        SLOT,
        turn.reply(answer(t, heard), choices, voice_text=spoken, keys=True),
        slots={**turn.intent.slots, SLOT: None},
    )


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
    cut_page = cut(turn, states, offset, LESSON_LINES, "module", module.key)
    page = cut_page.items
    mastered = sum(state.status is LessonStatus.MASTERED for state in states)
    choices = [c for state in page if (c := startable_choice(t, graph, state))][:5]

    def answer(t: Messages) -> str:
        lines = [marked_title(t, graph, state) for state in page]
        head = t(
            "modules.lessons" if mastered else "modules.lessons_none",
            module=module_name(t, graph, module),
            lessons=t.lessons(len(lessons)),
            done=mastered,
        )
        return with_more(t, t.listing(head, lines), cut_page)

    return turn.close(turn.reply(answer(t), choices, voice_text=answer))


def _module_slot(name: str) -> Slot:
    """The Module slot holding the module's name (so the fulfilment hook finds it)."""
    return Slot(value=SlotValue(originalValue=name, interpretedValue=name, resolvedValues=[name]))
