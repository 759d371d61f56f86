"""AlreadyKnow (List slot KnownLessons): "I already know A, B and C".

One confirmation names every lesson heard ("Mark Variables and Assignment, For Loops and
Defining Functions as finished?"); "yes" records them all (mastery 1.0, as "I finished" does).
The prerequisites they build on that the learner has not finished are then *offered*, in a
second question, never assumed. Names that match no lesson are said, not dropped silently.

The pending lessons ride in ``session.known`` (``[stage, id, ...]``, stage ``named`` or
``implied``); a confirmed answer re-reads them from the graph, so a forged id does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge_graph import MASTERY_THRESHOLD
from lex_bot.lesson_app.answers import choice_index, lets_question_go, yes_or_no
from lex_bot.lesson_app.lesson_slots import (
    count_failed_attempt,
    forget_failed_attempts,
    give_up,
    let_go,
    yes_no_choices,
)
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, Slot, SlotShape
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson, LessonGraph
    from lex_bot.lesson_app.messages import Messages

router = Router()

SLOT = "KnownLessons"
#: Lessons one answer may name (and one confirmation may list).
MAX_KNOWN = 10
#: Lessons one "yes" may mark as what the named ones build on (``session.known`` holds them).
MAX_IMPLIED = 40
#: Titles a confirmation names; the count of the rest is said ("and 5 more").
TITLES_NAMED = MAX_KNOWN


def _items(slot: Slot | None) -> list[Slot]:
    """The slot's items: each value of a List slot, or the slot itself (Scalar)."""
    if slot is None:
        return []
    if slot.shape is SlotShape.LIST and slot.values:
        return list(slot.values[:MAX_KNOWN])
    return [slot]


def _lesson(turn: LessonTurn, item: Slot) -> Lesson | None:
    """An item's lesson, read in the order of ``lesson_slots``: resolvedValues first (one
    lesson; several that name different lessons are not settled on the first), then
    interpretedValue, then originalValue."""
    graph = turn.graph
    value = item.value
    if value is None:
        return None
    resolved = []
    for text in value.resolved_values[:10]:
        found = graph.find(text)
        if found.is_confident and found.best is not None and found.best.lesson_id not in resolved:
            resolved.append(found.best.lesson_id)
    if len(resolved) == 1:
        return graph.lesson(resolved[0])
    if resolved:
        return None  # several lessons: said back as not found, never one of them guessed
    for text in [value.interpreted_value, value.original_value]:
        if text and (found := graph.find(text)).is_confident and found.best is not None:
            return graph.lesson(found.best.lesson_id)
    return None


def _suggestion_taken(turn: LessonTurn, suggested: list[str], item: Slot) -> Lesson | None:
    """The lesson of the bot's own suggestion ("maybe X?") that ``item`` takes: "yes" to a
    single one, or its number or ordinal ("the second one") among several (docs/DIALOG.md)."""
    said = item.original
    if not suggested or not said:
        return None
    index = choice_index(said, turn.locale, len(suggested))
    if index is not None:
        return turn.graph.lesson(suggested[index])
    if len(suggested) == 1 and yes_or_no(said, turn.locale) is True:
        return turn.graph.lesson(suggested[0])
    return None


def _not_found(t: Messages, graph: LessonGraph, heard: str) -> str:
    """A name that is no one lesson, said back (as ``t`` renders it) with the lessons it may
    mean ("loop" (maybe For Loops or While Loops?)): a partial name that fits several
    lessons is asked about."""
    near = [graph.lesson(m.lesson_id) for m in graph.find(heard, limit=3).matches]
    if not near:
        return t.quoted(heard)
    options = t.join([t.title(lesson) for lesson in near], "or")
    return t("known.maybe", heard=t.quoted(heard), options=options)


@router.intent("AlreadyKnow", slots=(SLOT,), dialog_hook=True)
def already_know(turn: LessonTurn) -> LexResponse:
    t, graph = turn.t, turn.graph
    answer, pending = turn.confirmation_state, turn.session.known
    if answer is not ConfirmationState.NONE and pending:
        stage, ids = pending[0], [i for i in pending[1:] if i in graph]
        turn.session.known = []
        if answer is ConfirmationState.DENIED or not ids:
            return turn.close(turn.reply(t("known.declined")))
        return _record(turn, stage, ids)
    lessons: list[Lesson] = []
    missing: list[str] = []
    suggested = [i for i in turn.session.choices if i in graph]
    turn.session.choices = []
    for item in _items(turn.slot(SLOT)):
        lesson = _suggestion_taken(turn, suggested, item) or _lesson(turn, item)
        if lesson is None:
            if item.original:
                missing.append(item.original)
        elif lesson not in lessons:
            lessons.append(lesson)

    def not_found(t: Messages) -> str:
        if not missing:
            return ""
        names = [_not_found(t, graph, n) for n in missing]
        return t("known.not_found", names=t.join(names, "or"))

    if not lessons:
        if lets_question_go(turn.event.input_transcript, turn.locale):  # "skip", "no"
            return let_go(turn)
        if missing and count_failed_attempt(turn, SLOT):
            return give_up(turn)

        def ask(t: Messages) -> str:
            return t.sentences(not_found(t), t("prompt.known_lessons"))

        heard = [i.original for i in _items(turn.slot(SLOT)) if i.original]
        if len(heard) == 1:  # "yes" / "the second one" then answers the suggestion
            turn.session.choices = [m.lesson_id for m in graph.find(heard[0], limit=3).matches]
        return turn.elicit_slot(
            SLOT,
            turn.reply(ask(t), voice_text=ask),
            slots={**turn.intent.slots, SLOT: None},
        )
    forget_failed_attempts(turn)
    turn.session.known = ["named", *[lesson.id for lesson in lessons]]
    slot = turn.slot(SLOT)
    left_out = len(slot.values) - MAX_KNOWN if slot is not None and slot.values else 0

    def confirm(t: Messages) -> str:
        titles = t.join_some([t.title(lesson) for lesson in lessons], TITLES_NAMED)
        # Names beyond MAX_KNOWN are said, never dropped silently.
        too_many = (
            t("known.too_many", limit=MAX_KNOWN, rest=t.lessons(left_out)) if left_out > 0 else ""
        )
        asked = t.plural("known.confirm", len(lessons), titles=titles)
        return t.sentences(too_many, not_found(t), asked)

    return turn.confirm_intent(
        turn.reply(confirm(t), yes_no_choices(t), voice_text=confirm, keys=True)
    )


def _record(turn: LessonTurn, stage: str, ids: list[str]) -> LexResponse:
    """Record ``ids`` as finished; after the named lessons, offer what they build on."""
    t, graph = turn.t, turn.graph
    progress = turn.progress
    for lesson_id in ids:
        progress = turn.store.complete_lesson(turn.learner_id, lesson_id, 1.0).progress
    mastery = progress.mastery()
    done = sum(1 for i, m in mastery.items() if m >= MASTERY_THRESHOLD and i in graph)

    def head(t: Messages) -> str:
        titles = t.join_some([t.title(graph.lesson(i)) for i in ids], TITLES_NAMED)
        count = t.lessons(len(graph))
        return t.plural("known.done", len(ids), titles=titles, done=done, lessons=count)

    implied: list[str] = []
    groups: list[tuple[str, tuple[str, ...]]] = []
    if stage == "named":
        implied, groups = _built_on(turn, ids, mastery)

    def said(t: Messages) -> str:
        """What was recorded, and each "one of" group left for the learner to name."""
        notes = [
            t(
                "known.one_of",
                title=t.title(graph.lesson(holder)),
                options=t.join([t.title(graph.lesson(i)) for i in group], "or"),
            )
            for holder, group in groups
        ]
        return t.sentences(head(t), *notes)

    if not implied:
        return turn.close(turn.reply(said(t), voice_text=said))
    if len(implied) > MAX_IMPLIED:  # too many to hold for one "yes": said, not offered

        def many(t: Messages) -> str:
            names = t.join_some([t.title(graph.lesson(i)) for i in implied], TITLES_NAMED)
            return t.sentences(
                said(t), t("known.implied_many", lessons=t.lessons(len(implied)), missing=names)
            )

        return turn.close(turn.reply(many(t), voice_text=many))
    turn.session.known = ["implied", *implied]

    def offer(t: Messages) -> str:
        # The count of any lessons not named is said ("and 5 more"); "yes" records them all.
        names = t.join_some([t.title(graph.lesson(i)) for i in implied], TITLES_NAMED)
        built_on = t.plural("known.offer_implied", len(ids), missing=names)
        return t.sentences(said(t), built_on, t.plural("known.offer_implied_ask", len(implied)))

    return turn.confirm_intent(turn.reply(offer(t), yes_no_choices(t), voice_text=offer, keys=True))


def _built_on(
    turn: LessonTurn, ids: list[str], mastery: dict[str, float]
) -> tuple[list[str], list[tuple[str, tuple[str, ...]]]]:
    """What the named lessons ``ids`` build on that the learner has not mastered: the lessons
    they surely need (offered to mark), and each "one of" group none of whose lessons is
    mastered, as ``(holder, group)`` (said, never marked: which one the learner knows is
    theirs to say).

    Each named lesson's minimal path is the one state rule's (``LessonGraph.state``), with
    the OTHER named lessons counted as mastered (For Loops, named, settles Defining
    Functions' "For Loops or While Loops"). A lesson of that path is surely needed only when
    it is reached through ``requires`` alone; one reached through a ``requires_any`` group
    is the planner's cheaper choice, not something the learner said.
    """
    graph = turn.graph

    def mastered(lesson_id: str) -> bool:
        return mastery.get(lesson_id, 0.0) >= MASTERY_THRESHOLD

    implied: list[str] = []
    needed: set[str] = set()  # reached from a named lesson through unmet ``requires`` only
    for lesson_id in ids:
        others = {i: m for i, m in mastery.items() if i != lesson_id}
        path = graph.state(lesson_id, others).to_finish
        stack = [lesson_id]
        while stack:
            for required in graph.prerequisites(stack.pop()).requires:
                if required not in needed and not mastered(required):
                    needed.add(required)
                    stack.append(required)
        implied += [i for i in path if i in needed and i not in implied]
    groups: list[tuple[str, tuple[str, ...]]] = []
    for holder in [*ids, *implied]:
        for group in graph.prerequisites(holder).requires_any:
            if any(mastered(i) or i in needed for i in group):
                continue
            if all(tuple(group) != g for _, g in groups):
                groups.append((holder, tuple(group)))
    return implied, groups
