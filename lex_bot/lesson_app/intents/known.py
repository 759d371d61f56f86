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
from lex_bot.lesson_app.answers import lets_question_go
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
    from knowledge_graph import Lesson

router = Router()

SLOT = "KnownLessons"
#: Lessons one answer may name (and one confirmation may list).
MAX_KNOWN = 10
#: A confirmation names every lesson it would mark (never "and N more").
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
    for item in _items(turn.slot(SLOT)):
        lesson = _lesson(turn, item)
        if lesson is None:
            if item.original:
                missing.append(_not_found(turn, item.original))
        elif lesson not in lessons:
            lessons.append(lesson)
    if not lessons:
        if lets_question_go(turn.event.input_transcript, turn.locale):  # "skip", "no"
            return let_go(turn)
        if missing and count_failed_attempt(turn, SLOT):
            return give_up(turn)
        head = t("known.not_found", names=t.join(missing, "or")) if missing else ""
        text = f"{head} {t('prompt.known_lessons')}".strip()
        return turn.elicit_slot(SLOT, turn.reply(text), slots={**turn.intent.slots, SLOT: None})
    forget_failed_attempts(turn)
    turn.session.known = ["named", *[lesson.id for lesson in lessons]]
    titles = t.join_some([lesson.title for lesson in lessons], TITLES_NAMED)
    text = t.plural("known.confirm", len(lessons), titles=titles)
    if missing:
        text = f"{t('known.not_found', names=t.join(missing, 'or'))} {text}"
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
    if stage == "named":
        # What each named lesson builds on, as if it were not finished yet.
        before = {i: m for i, m in mastery.items() if i not in ids}
        for lesson_id in ids:
            for step in graph.state(lesson_id, before).to_finish:
                if step not in implied and step not in ids:
                    implied.append(step)
    if not implied:
        return turn.close(turn.reply(head))
    implied = implied[:MAX_KNOWN]
    turn.session.known = ["implied", *implied]
    names = t.join_some([graph.lesson(i).title for i in implied], TITLES_NAMED)
    named = len(ids)
    text = f"{head} {t.plural('known.offer_implied', named, missing=names)}"
    return turn.confirm_intent(turn.reply(text, yes_no_choices(t), keys=True))
