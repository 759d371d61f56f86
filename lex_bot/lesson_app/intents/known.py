"""AlreadyKnow (List slot KnownLessons): "I already know A, B and C".

One confirmation names every lesson heard ("Mark Variables and Assignment, For Loops and
Defining Functions as finished?"); "yes" records them all (mastery 1.0, as "I finished" does).
The prerequisites they build on that the learner has not finished are then *offered*, in a
second question, never assumed; the "one of" groups still open are asked last ("tell me which
you know"), a question the lesson's name answers. Names that match no lesson are said, not
dropped silently. Answers stay short enough to say (docs/DIALOG.md, "Several lessons at once").

The pending lessons ride in ``session.known`` (``[stage, id, ...]``, stage ``named`` or
``implied``; an offer adds :data:`NAMED_MARK` and the lessons named, whose groups are asked
after it); a confirmed answer re-reads them from the graph, so a forged id does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
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
from lex_bot.lesson_app.lists import MAX_IDS, some
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
#: Lessons one "yes" may mark as what the named ones build on (``session.known`` holds them);
#: no more than a cut list can carry for "more" (``lists.MAX_IDS``), so "more" names them all.
MAX_IMPLIED = MAX_IDS
#: Titles the offer of what they build on names; "and N more" is said, and "more" names the
#: rest with the question asked again (``intents/more.py``). Few, so that the answer after
#: "yes" stays well under the 30 s a spoken answer may take (``devtools/speech_lint``).
IMPLIED_NAMED = 3
#: Recorded lessons named again after "yes" (all were named in the confirmation just
#: before); the others are counted ("and the other 7 lessons").
DONE_NAMED = 3
#: Names beyond :data:`MAX_KNOWN` said back ("tell me these again later: A, B"); the
#: count of any others is said.
LEFT_NAMED = 2
#: "One of" groups said in one answer; the count of the rest is said.
GROUPS_SAID = 2
#: In ``session.known`` of the offer, the mark after which the named lessons follow (whose
#: "one of" groups are said once the offer is answered). Lesson ids are slugs: never "+".
NAMED_MARK = "+"


def pending_lessons(known: list[str], graph: object) -> tuple[str, list[str], list[str]]:
    """``session.known`` read back: ``(stage, ids to mark, ids named)``; ids the graph does
    not hold are left out (a forged id does nothing).

    Example:
        >>> pending_lessons(["implied", "a", "b", NAMED_MARK, "c"], {"a", "c"})
        ('implied', ['a'], ['c'])
    """
    stage, *rest = known or [""]
    marked, _, named = (
        (rest[: rest.index(NAMED_MARK)], NAMED_MARK, rest[rest.index(NAMED_MARK) + 1 :])
        if NAMED_MARK in rest
        else (rest, "", [])
    )
    return stage, [i for i in marked if i in graph], [i for i in named if i in graph]


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


def _suggestions(graph: LessonGraph, names: list[str]) -> list[str]:
    """The lessons the question suggests for ``names`` (each name's near matches, as
    :func:`_not_found` says them), in order, at most a card's worth (``session.choices``)."""
    out: list[str] = []
    for name in names:
        out += [m.lesson_id for m in graph.find(name, limit=3).matches if m.lesson_id not in out]
    return out[:5]


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
        stage, ids, named = pending_lessons(pending, graph)
        turn.session.known = []
        if answer is ConfirmationState.DENIED and stage == "implied":
            mastery = turn.progress.mastery()
            return _ask_groups(turn, lambda t: t("known.declined_implied"), named, mastery)
        if answer is ConfirmationState.DENIED or not ids:
            return turn.close(turn.reply(t("known.declined")))
        return _record(turn, stage, ids, named)
    lessons: list[Lesson] = []
    missing: list[str] = []
    answering = turn.session.asked == f"{turn.intent.name}.{SLOT}"
    suggested = [i for i in turn.session.choices if i in graph] if answering else []
    if not answering:  # a fresh "I already know ...", not an answer to the question: no retry
        forget_failed_attempts(turn)
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
        # What the names may mean, as the question says them ("maybe Dictionaries?"): "yes"
        # then takes a single suggestion, "the second one" one of several.
        suggestions = _suggestions(graph, missing)
        if missing and count_failed_attempt(turn, SLOT) and set(suggestions) <= set(suggested):
            return give_up(turn)  # spent, and nothing new to suggest

        def ask(t: Messages) -> str:
            return t.sentences(not_found(t), t("prompt.known_lessons"))

        turn.session.choices = suggestions
        return turn.elicit_slot(
            SLOT,
            turn.reply(ask(t), voice_text=ask),
            slots={**turn.intent.slots, SLOT: None},
        )
    forget_failed_attempts(turn)
    turn.session.known = ["named", *[lesson.id for lesson in lessons]]
    slot = turn.slot(SLOT)
    left_out = list(slot.values[MAX_KNOWN:]) if slot is not None and slot.values else []

    def left(t: Messages, item: Slot) -> str:
        lesson = _lesson(turn, item)
        return t.title(lesson) if lesson is not None else t.quoted(item.original or "")

    def confirm(t: Messages) -> str:
        titles = t.join([t.title(lesson) for lesson in lessons])
        # Names beyond MAX_KNOWN are said, each of them: never dropped silently.
        rest = [left(t, item) for item in left_out[:LEFT_NAMED]]
        if len(left_out) > LEFT_NAMED:  # the count of any others, to keep the answer short
            rest.append(t.plural("known.others_left", len(left_out) - LEFT_NAMED))
        too_many = t("known.too_many", limit=MAX_KNOWN, rest=t.join(rest)) if left_out else ""
        asked = t.plural("known.confirm", len(lessons), titles=titles)
        return t.sentences(too_many, not_found(t), asked)

    return turn.confirm_intent(
        turn.reply(confirm(t), yes_no_choices(t), voice_text=confirm, keys=True)
    )


def _record(turn: LessonTurn, stage: str, ids: list[str], named: list[str]) -> LexResponse:
    """Record ``ids`` as finished. After the named lessons, offer what they build on; the
    "one of" groups the lessons still need are said once nothing else is asked, as the
    question "tell me which you know" (after the offer's answer when there is an offer, so
    that one spoken answer never says both). ``named``: the lessons the learner named, when
    ``ids`` are what they build on."""
    t, graph = turn.t, turn.graph
    progress = turn.progress
    for lesson_id in ids:
        progress = turn.store.complete_lesson(turn.learner_id, lesson_id, 1.0).progress
    mastery = progress.mastery()
    done = sum(1 for i, m in mastery.items() if m >= MASTERY_THRESHOLD and i in graph)

    def head(t: Messages) -> str:
        titles = [t.title(graph.lesson(i)) for i in ids]
        if len(titles) > DONE_NAMED + 1:  # all were named in the question just answered
            others = t.plural("known.others", len(titles) - DONE_NAMED)
            titles = [*titles[:DONE_NAMED], others]
        count = t.lessons(len(graph))
        return t.plural("known.done", len(ids), titles=t.join(titles), done=done, lessons=count)

    if stage != "named":
        return _ask_groups(turn, head, [*named, *ids], mastery)
    implied = _built_on(turn, ids, mastery)
    if not implied:
        return _ask_groups(turn, head, ids, mastery)
    subject = graph.lesson(ids[0]) if len(ids) == 1 else None
    if len(implied) > MAX_IMPLIED:  # too many to hold for one "yes": said, not offered

        def many(t: Messages) -> str:
            # The first of them on the way (path order), never "and N more" with no way on.
            names = t.join([t.title(graph.lesson(i)) for i in implied[:IMPLIED_NAMED]])
            return t.sentences(
                head(t),
                t.plural(
                    "known.implied_many",
                    len(ids),
                    title=t.title(subject) if subject else "",
                    lessons=t.lessons(len(implied)),
                    missing=names,
                ),
            )

        return _ask_groups(turn, many, ids, mastery)
    turn.session.known = ["implied", *implied, NAMED_MARK, *ids]

    def offer(t: Messages) -> str:
        # The count of any lessons not named is said ("and 5 more"), "more" names them (the
        # cut list is kept, ``lists.some``), and "yes" records them all.
        titles = [t.title(graph.lesson(i)) for i in implied]
        names = some(turn, t, implied, titles, IMPLIED_NAMED)
        built_on = t.plural(
            "known.offer_implied",
            len(ids),
            title=t.title(subject) if subject else "",
            missing=names,
        )
        return t.sentences(head(t), built_on, t.plural("known.offer_implied_ask", len(implied)))

    return turn.confirm_intent(turn.reply(offer(t), yes_no_choices(t), voice_text=offer, keys=True))


def _ask_groups(
    turn: LessonTurn,
    said: Callable[[Messages], str],
    holders: list[str],
    mastery: dict[str, float],
) -> LexResponse:
    """``said``, then each "one of" group of ``holders`` none of whose lessons is mastered
    (:data:`GROUPS_SAID` of them; the count of the rest) as the question "tell me which you
    know", which the lesson's name answers (the slot is asked again, its choices the
    groups' lessons); with no group, the answer closes."""
    graph = turn.graph
    groups = _open_groups(graph, holders, mastery)

    def answer(t: Messages) -> str:
        notes = [
            t(
                "known.one_of",
                title=t.title(graph.lesson(holder)),
                options=t.join([t.title(graph.lesson(i)) for i in group], "or"),
            )
            for holder, group in groups[:GROUPS_SAID]
        ]
        rest = len(groups) - GROUPS_SAID
        more = t.plural("known.more_groups", rest) if rest > 0 else ""
        return t.sentences(said(t), *notes, more)

    reply = turn.reply(answer(turn.t), voice_text=answer)
    if not groups:
        return turn.close(reply)
    turn.session.choices = [i for _, group in groups[:GROUPS_SAID] for i in group][:5]
    return turn.elicit_slot(SLOT, reply, slots={**turn.intent.slots, SLOT: None})


def _open_groups(
    graph: LessonGraph, holders: list[str], mastery: dict[str, float]
) -> list[tuple[str, tuple[str, ...]]]:
    """Each ``requires_any`` group of ``holders`` none of whose lessons is mastered, as
    ``(holder, group)``, each group once (said, never marked: which one the learner knows
    is theirs to say)."""
    groups: list[tuple[str, tuple[str, ...]]] = []
    for holder in holders:
        if holder not in graph:
            continue
        for group in graph.prerequisites(holder).requires_any:
            if any(mastery.get(i, 0.0) >= MASTERY_THRESHOLD for i in group):
                continue
            if all(tuple(group) != g for _, g in groups):
                groups.append((holder, tuple(group)))
    return groups


def _built_on(turn: LessonTurn, ids: list[str], mastery: dict[str, float]) -> list[str]:
    """What the named lessons ``ids`` build on that the learner has not mastered: the lessons
    they surely need (offered to mark), in path order.

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
    return implied
