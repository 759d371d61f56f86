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
from lex_bot.lesson_app.answers import choice_index, yes_or_no
from lex_bot.lesson_app.lesson_slots import (
    count_failed_attempt,
    forget_failed_attempts,
    give_up,
    yes_no_choices,
)
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, Slot, SlotShape
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson

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


def _not_found(turn: LessonTurn, heard: str) -> str:
    """A name that is no one lesson, said back with the lessons it may mean ("loop" (For
    Loops or While Loops?)): a partial name that fits several lessons is asked about."""
    t, graph = turn.t, turn.graph
    near = [graph.lesson(m.lesson_id).title for m in graph.find(heard, limit=3).matches]
    if not near:
        return f'"{heard}"'
    return t("known.maybe", heard=heard, options=t.join(near, "or"))


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
                missing.append(_not_found(turn, item.original))
        elif lesson not in lessons:
            lessons.append(lesson)
    if not lessons:
        if missing and count_failed_attempt(turn, SLOT):
            return give_up(turn)
        head = t("known.not_found", names=t.join(missing, "or")) if missing else ""
        text = f"{head} {t('prompt.known_lessons')}".strip()
        heard = [i.original for i in _items(turn.slot(SLOT)) if i.original]
        if len(heard) == 1:  # "yes" / "the second one" then answers the suggestion
            turn.session.choices = [m.lesson_id for m in graph.find(heard[0], limit=3).matches]
        return turn.elicit_slot(SLOT, turn.reply(text), slots={**turn.intent.slots, SLOT: None})
    forget_failed_attempts(turn)
    turn.session.known = ["named", *[lesson.id for lesson in lessons]]
    titles = t.join_some([lesson.title for lesson in lessons], TITLES_NAMED)
    text = t.plural("known.confirm", len(lessons), titles=titles)
    if missing:
        text = f"{t('known.not_found', names=t.join(missing, 'or'))} {text}"
    slot = turn.slot(SLOT)
    left_out = len(slot.values) - MAX_KNOWN if slot is not None and slot.values else 0
    if left_out > 0:  # said, never dropped silently
        text = f"{t('known.too_many', limit=MAX_KNOWN, rest=t.lessons(left_out))} {text}"
    return turn.confirm_intent(turn.reply(text, yes_no_choices(t), keys=True))


def _record(turn: LessonTurn, stage: str, ids: list[str]) -> LexResponse:
    """Record ``ids`` as finished; after the named lessons, offer what they build on."""
    t, graph = turn.t, turn.graph
    progress = turn.progress
    for lesson_id in ids:
        progress = turn.store.complete_lesson(turn.learner_id, lesson_id, 1.0).progress
    mastery = progress.mastery()
    done = sum(1 for i, m in mastery.items() if m >= MASTERY_THRESHOLD and i in graph)
    titles = t.join_some([graph.lesson(i).title for i in ids], TITLES_NAMED)
    head = t.plural("known.done", len(ids), titles=titles, done=done, lessons=t.lessons(len(graph)))
    implied: list[str] = []
    groups: list[str] = []
    if stage == "named":
        implied, groups = _built_on(turn, ids, mastery)
    note = " ".join(groups)
    if not implied:
        return turn.close(turn.reply(f"{head} {note}".strip()))
    if len(implied) > MAX_IMPLIED:  # too many to hold for one "yes": said, not offered
        names = t.join_some([graph.lesson(i).title for i in implied], TITLES_NAMED)
        many = t("known.implied_many", lessons=t.lessons(len(implied)), missing=names)
        return turn.close(turn.reply(" ".join(part for part in (head, note, many) if part)))
    turn.session.known = ["implied", *implied]
    # The count of any lessons not named is said ("and 5 more"); "yes" records them all.
    names = t.join_some([graph.lesson(i).title for i in implied], TITLES_NAMED)
    named = len(ids)
    offer = t.plural("known.offer_implied", named, missing=names)
    text = " ".join(part for part in (head, note, offer) if part)
    return turn.confirm_intent(turn.reply(text, yes_no_choices(t), keys=True))


def _built_on(
    turn: LessonTurn, ids: list[str], mastery: dict[str, float]
) -> tuple[list[str], list[str]]:
    """What the named lessons ``ids`` build on that the learner has not mastered: the lessons
    they surely need (offered to mark), and a sentence for each "one of" group none of whose
    lessons is mastered (said, never marked: which one the learner knows is theirs to say).

    Each named lesson's minimal path is the one state rule's (``LessonGraph.state``), with
    the OTHER named lessons counted as mastered (For Loops, named, settles Defining
    Functions' "For Loops or While Loops"). A lesson of that path is surely needed only when
    it is reached through ``requires`` alone; one reached through a ``requires_any`` group
    is the planner's cheaper choice, not something the learner said.
    """
    t, graph = turn.t, turn.graph

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
    groups: list[str] = []
    for holder in [*ids, *implied]:
        for group in graph.prerequisites(holder).requires_any:
            if any(mastered(i) or i in needed for i in group):
                continue
            sentence = t(
                "known.one_of",
                title=graph.lesson(holder).title,
                options=t.join([graph.lesson(i).title for i in group], "or"),
            )
            if sentence not in groups:
                groups.append(sentence)
    return implied, groups
