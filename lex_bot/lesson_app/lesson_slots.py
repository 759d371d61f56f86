"""Resolve a lesson slot (LessonName, GoalLesson) against the lesson graph.

Lex's lesson slot types use original-value resolution, so whatever the learner said reaches
us. :func:`lesson_from_slot` reads the slot in this order (the slot value's members are those
of "Lambda input event format", ``Slot.value``; their meaning is in "Custom slot types",
slot value resolution, of the Lex V2 developer guide):

1. an answer to the bot's own offer: "it" / "this lesson" (the lesson under way), or, after
   a list of choices, its number, ordinal ("the second one"), key press, or "yes" to a
   single offer (``session.choices``);
2. ``resolvedValues``: Lex's own resolution against the slot type's values. One entry that
   names a lesson is the lesson; several that name lessons become the disambiguation;
3. ``interpretedValue`` (what Lex made of the answer), then ``originalValue`` (what was said),
   each looked up with ``graph.find``.

Then it decides the next step:

* confident match: the lesson (and, in the dialog code hook, a ``Delegate`` that writes the
  lesson id into the slot so the fulfilment hook gets a canonical value, unless the handler
  set ``turn.state["answer_now"]`` to answer in the dialog code hook itself);
* ambiguous: re-elicit the slot with the candidates (buttons on text, the same names read
  with their keys on voice);
* unknown: re-elicit with suggestions;
* after :data:`MAX_FAILED_ATTEMPTS` failed tries in a row at the same slot
  (:func:`count_failed_attempt`, shared by every elicited slot): give up politely. The same
  ambiguous name again (the same choices) is not counted again, and "thanks", "never
  mind", "skip" or "no" lets the question go without counting (:func:`let_go`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from knowledge_graph.text import is_only_filler
from lex_bot.lesson_app.answers import (
    choice_index,
    corrected,
    lets_question_go,
    means_this_lesson,
    score_said,
    without_score,
    yes_or_no,
)
from lex_bot.lesson_app.lists import MAX_IDS, PAGE_CHOICES, SHOW_MORE, cut, with_more
from lex_bot.lesson_app.messages import Messages
from lex_bot.lesson_app.presentation import Label, button_value, reply, speech_of, texts
from lex_bot.lesson_app.speech import SSML, SpokenMessages, spoken_for
from lex_bot.lesson_app.speech import heard as heard_part
from lex_bot.lexv2.events import Intent, IntentState, Slot, SlotShape, SlotValue
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import EndTurn, Handler, Turn

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson, LessonGraph

MAX_FAILED_ATTEMPTS = 3
#: The optional score slot of the intents that take one (CompleteLesson).
SCORE_SLOT = "Score"

logger = logging.getLogger("lessonbot")


def _log_unresolved(turn: Turn[Any], slot_name: str, raw: str, outcome: str) -> None:
    """Say in the log why a lesson slot was re-asked (the value itself stays out of the log)."""
    logger.info(
        "lesson slot not resolved",
        extra={
            "session_id": turn.session_id,
            "slot": slot_name,
            "outcome": outcome,
            "value_chars": len(raw),
            "failed_attempts": turn.session.failed_attempts,
        },
    )


def lesson_choice(lesson: Lesson, t: Messages | None = None) -> tuple[str, str]:
    """A ``(label, value)`` button for a lesson; the value resolves back to the lesson.

    The label is the title; on voice it is said in its language (``t``'s locale decides
    whether that needs marking).
    """
    s = spoken_for(t.locale if t is not None else "en_US")
    label = Label(lesson.title, lambda: s.title(lesson), offer=False)
    return label, button_value(lesson.title, lesson.id, lesson.key)


def action_label(t: Messages, action: str, lesson: Lesson) -> Label:
    """The label ``button.<action>`` for a lesson; said as ``button.<action>.spoken`` (an
    action the spoken question offers) where the catalogue has one."""
    s = spoken_for(t.locale)
    text = t(f"button.{action}", title=lesson.title)
    # Said only on voice: rendered when a voice answer first asks for them.
    if s.has(f"button.{action}.spoken"):
        return Label(
            text,
            lambda: s(f"button.{action}.spoken", title=s.title(lesson)),
            subject=lambda: s.title(lesson),
            short=lambda: s(f"button.{action}.it"),
        )
    return Label(text, lambda: s(f"button.{action}", title=s.title(lesson)), offer=False)


def action_choice(t: Messages, action: str, lesson: Lesson) -> tuple[str, str]:
    """A button for ``action`` ("start", "done", "info") on a lesson.

    The label is ``button.<action>`` (:func:`action_label`) and the value the utterance
    ``button.<action>.value``, naming the lesson by title, or by id when the title would
    make the value too long.
    """
    value = button_value(
        t(f"button.{action}.value", name=lesson.title),
        t(f"button.{action}.value", name=lesson.id),
        t(f"button.{action}.value", name=lesson.key),
    )
    return action_label(t, action, lesson), value


def slot_text(turn: Turn[Any], slot_name: str) -> str | None:
    """What the slot holds: the interpreted value, else what the learner said."""
    slot = turn.slot(slot_name)
    if slot is None:
        return None
    text = slot.interpreted or slot.original
    return text.strip() if text and text.strip() else None


def filled_slot(lesson: Lesson, original: str | None = None) -> Slot:
    """A Scalar slot whose interpreted value is the lesson's canonical id."""
    return Slot(
        shape=SlotShape.SCALAR,
        value=SlotValue(
            originalValue=original or lesson.title,
            interpretedValue=lesson.id,
            resolvedValues=[lesson.id],
        ),
    )


def yes_no_choices(t: Messages) -> list[tuple[str, str]]:
    """ "Yes" and "No" buttons for a yes/no question (ConfirmIntent); on voice the question
    itself is asked, and only their keys are read (on DTMF)."""
    s = spoken_for(t.locale)
    return [
        (Label(t("button.yes"), lambda: s("button.yes"), offer=False), t("button.yes.value")),
        (Label(t("button.no"), lambda: s("button.no"), offer=False), t("button.no.value")),
    ]


def help_choices(turn: Turn[Any]) -> list[tuple[str, str]]:
    """The buttons of every "what now?" answer: what to learn next, the modules, help (on
    voice, offered as a question)."""
    t, s = texts(turn), speech_of(turn)
    return [
        (Label(t(f"button.{name}"), _said(s, f"button.{name}.spoken")), t(f"button.{name}.value"))
        for name in ("next", "modules", "help")
    ]


def _said(s: SpokenMessages, key: str) -> Callable[[], SSML]:
    """``s(key)``, rendered when a voice answer first asks for it."""
    return lambda: s(key)


def help_reply(turn: Turn[Any], text: str, *, voice_text: SSML | None = None) -> list[Any]:
    """``text`` with the help buttons, the text naming each of them ("You can pick “Help”"),
    so that text and card name the same choices. On voice the buttons are offered as one
    question (``presentation.reply``) after ``voice_text``, the spoken form of ``text``
    (default: ``text`` made speakable)."""
    t = texts(turn)
    choices = help_choices(turn)
    named = t.join([t("choices.quote", label=label) for label, _ in choices], "or")
    separator = "\n" if "\n" in text else " "
    return reply(
        turn,
        f"{text}{separator}{t('choices.pick', options=named)}",
        choices,
        voice_text=voice_text or text,
    )


def forget_failed_attempts(turn: Turn[Any]) -> None:
    """Start counting failed answers afresh (and forget the choices offered)."""
    turn.session.retrying, turn.session.failed_attempts = None, 0
    turn.session.choices = []


def count_failed_attempt(turn: Turn[Any], slot_name: str) -> bool:
    """Count one failed answer to ``slot_name`` of this intent; ``True`` when the budget
    (:data:`MAX_FAILED_ATTEMPTS` in a row at the same slot) is spent, and the count is reset.

    Every elicited slot counts the same way, through this function.
    """
    retrying = f"{turn.intent.name}.{slot_name}"
    if turn.session.retrying != retrying:
        turn.session.retrying, turn.session.failed_attempts = retrying, 0
    turn.session.failed_attempts += 1
    if turn.session.failed_attempts >= MAX_FAILED_ATTEMPTS:
        forget_failed_attempts(turn)
        return True
    return False


def give_up(turn: Turn[Any], message_key: str = "lesson.give_up") -> LexResponse:
    """The polite end of a slot question whose retry budget is spent; ``message_key`` names
    what was asked for ("lesson.give_up", "modules.give_up")."""
    t = texts(turn)
    return turn.close(help_reply(turn, t(message_key)), state=IntentState.FAILED)


def let_go(turn: Turn[Any]) -> LexResponse:
    """The polite end of a slot question the learner declined ("skip", "no", "never mind"):
    nothing changed, and no failed answer is counted."""
    forget_failed_attempts(turn)
    return turn.close(reply(turn, texts(turn)("start.declined")), state=IntentState.FAILED)


def forget_abandoned_retries(turn: Turn[Any], call_next: Handler) -> LexResponse:
    """Middleware: a turn of another intent ends the tries "in a row" at a lesson slot.

    Without it, a learner who gave up on a lesson name, asked something else and later
    named an unknown lesson again would be one try closer to the bot giving up.
    """
    retrying = turn.session.retrying
    continuing = turn.intent.name == SHOW_MORE  # "more": the same question, its next page
    if retrying is not None and retrying.partition(".")[0] != turn.intent.name and not continuing:
        forget_failed_attempts(turn)
    return call_next(turn)


def _lesson_of(graph: LessonGraph, text: str | None) -> Lesson | None:
    if not text or not text.strip():
        return None
    result = graph.find(text)
    if result.is_confident and result.best is not None:
        return graph.lesson(result.best.lesson_id)
    return None


def _offered_answer(turn: Turn[Any], graph: LessonGraph, raw: str) -> Lesson | None:
    """The lesson an answer to the bot's own offer means ("it", "2", "yes"), else ``None``."""
    locale = turn.locale
    if means_this_lesson(raw, locale):
        current = _current_lesson(turn)
        if current is not None and current in graph:
            return graph.lesson(current)
    choices = [c for c in turn.session.choices if c in graph]
    if not choices:
        return None
    index = choice_index(raw, locale, len(choices))
    if index is not None:
        return graph.lesson(choices[index])
    if len(choices) == 1 and yes_or_no(raw, locale) is True:
        return graph.lesson(choices[0])
    return None


def _lesson_with_score(turn: Turn[Any], graph: LessonGraph, raw: str) -> Lesson | None:
    """The lesson of "the repl with 40" (a score said after the name, which Lex may leave in
    the slot); the score goes to the intent's empty Score slot, never lost."""
    name = without_score(raw, turn.locale)
    if name == raw or not name:
        return None
    lesson = _lesson_of(graph, name)
    slots = turn.intent.slots
    # A turn that answers the score question (a "skip" included) has the score it gives:
    # the one the name once carried was read when it was said.
    answering = getattr(turn.session, "asked", None) == f"{turn.intent.name}.{SCORE_SLOT}"
    if lesson is not None and SCORE_SLOT in slots and slots[SCORE_SLOT] is None and not answering:
        said = score_said(raw, turn.locale)
        slots[SCORE_SLOT] = score_slot(said if said is not None else raw)  # checked later
    return lesson


def score_slot(score: str) -> Slot:
    """A Score slot holding ``score`` as the bot read it ("80" for "8/10")."""
    return Slot(value=SlotValue(originalValue=score, interpretedValue=score, resolvedValues=[]))


def _current_lesson(turn: Turn[Any]) -> str | None:
    progress = getattr(turn, "progress", None)
    return getattr(progress, "current_lesson", None)


def _resolved_lessons(graph: LessonGraph, slot: Slot | None) -> list[Lesson]:
    """The distinct lessons of Lex's ``resolvedValues`` (order kept)."""
    if slot is None or slot.value is None:
        return []
    found: list[Lesson] = []
    for value in slot.value.resolved_values[:10]:
        lesson = _lesson_of(graph, value)
        if lesson is not None and lesson not in found:
            found.append(lesson)
    return found


def lesson_from_slot(
    turn: Turn[Any], graph: LessonGraph, slot_name: str, *, prompt_key: str
) -> Lesson:
    """Resolve ``slot_name`` to a lesson, or end the turn with the response that asks again.

    Parameters:
        prompt_key: the catalogue key that asks for the slot when it is empty.
    Returns:
        The lesson.
    Raises:
        EndTurn: with the response to send instead (the slot asked again, a ``Delegate``
            carrying the resolved lesson in the dialog code hook, or a polite give-up).
    """

    t = texts(turn)
    slot = turn.slot(slot_name)
    raw = slot_text(turn, slot_name)
    if raw is None:
        raise EndTurn(turn.elicit_slot(slot_name, reply(turn, t(prompt_key))))
    meant = corrected(raw, turn.locale)  # "no, I meant loops": the name is what follows
    if meant is not None:
        raw, slot = meant, None
    lesson = _offered_answer(turn, graph, slot.original or raw if slot else raw)
    resolved = [] if lesson is not None else _resolved_lessons(graph, slot)
    if lesson is None and len(resolved) == 1:
        lesson = resolved[0]
    if lesson is None and not resolved:
        lesson = _lesson_of(graph, raw)
        if lesson is None and slot is not None and slot.original not in (None, raw):
            lesson = _lesson_of(graph, slot.original)
        if lesson is None:
            lesson = _lesson_with_score(turn, graph, raw)
    if lesson is not None:
        forget_failed_attempts(turn)
        if turn.is_dialog_hook and not turn.state.get("answer_now"):
            original = slot.original if slot else None
            raise EndTurn(
                turn.delegate(slots={**turn.intent.slots, slot_name: filled_slot(lesson, original)})
            )
        return lesson

    if means_this_lesson(slot.original or raw if slot else raw, turn.locale):
        # "I finished it" with no lesson under way: say so and ask, without counting a failure.
        turn.session.choices = []
        raise EndTurn(
            turn.elicit_slot(
                slot_name,
                reply(turn, t("lesson.no_current")),
                slots={**turn.intent.slots, slot_name: None},
            )
        )
    score = score_said(slot.original or raw if slot else raw, turn.locale)
    if score is not None and _lesson_of(graph, raw) is None:
        # "I scored 70" names no lesson: it answers the intent's Score slot if it has one
        # (kept, and the lesson asked again), else the bot says what it heard; no failure.
        has_score = SCORE_SLOT in turn.intent.slots
        slots: dict[str, Slot | None] = {**turn.intent.slots, slot_name: None}
        if has_score:
            slots[SCORE_SLOT] = score_slot(score)
        key = "lesson.score_kept" if has_score else "lesson.score_not_lesson"
        raise EndTurn(turn.elicit_slot(slot_name, reply(turn, t(key, score=score)), slots=slots))
    if lets_question_go(raw, turn.locale):  # "never mind", "skip", "no": let it go
        raise EndTurn(let_go(turn))
    if not resolved and is_only_filler(raw):
        # "I finished a lesson" names none: asked which, not counted as a failure.
        raise EndTurn(
            turn.elicit_slot(
                slot_name, reply(turn, t(prompt_key)), slots={**turn.intent.slots, slot_name: None}
            )
        )
    result = graph.find(raw, limit=MAX_IDS)
    candidates = resolved[:MAX_IDS] or [graph.lesson(m.lesson_id) for m in result.matches]
    repeated = bool(candidates) and {c.id for c in candidates[:PAGE_CHOICES]} == set(
        turn.session.choices
    )
    if not repeated and count_failed_attempt(turn, slot_name):
        _log_unresolved(turn, slot_name, raw, "gave_up")
        raise EndTurn(give_up(turn))
    ambiguous = len(resolved) > 1 or result.ambiguous
    if candidates:
        key = "lesson.ambiguous" if ambiguous else "lesson.did_you_mean"
        _log_unresolved(turn, slot_name, raw, "ambiguous" if ambiguous else "not_confident")
    else:
        _log_unresolved(turn, slot_name, raw, "unknown")
        # This learner's own next lessons: startable for them, never one they mastered.
        progress = getattr(turn, "progress", None)
        mastery = progress.mastery() if progress is not None else ()
        key = "lesson.unknown"
        transitions = getattr(turn, "transitions", None)
        ranked = graph.recommend(mastery, k=MAX_IDS, transitions=transitions)
        candidates = [graph.lesson(r.lesson_id) for r in ranked]
    raise EndTurn(offer_lessons(turn, slot_name, key, raw, [c.id for c in candidates], 0, graph))


def offer_lessons(
    turn: Turn[Any],
    slot_name: str,
    message_key: str,
    heard: str,
    ids: list[str],
    offset: int,
    graph: LessonGraph,
    *,
    intent: Intent | None = None,
    lead: str | None = None,
) -> LexResponse:
    """Ask ``slot_name`` again, offering one page of the candidate lessons ``ids`` from
    ``offset``: the text names exactly the page's lessons, the card holds one button each
    (read with their keys on voice), ``session.choices`` keeps them for "2", "the second one"
    or a key press, and a cut list is kept for "more" (``lists``, kind ``choices``).

    Parameters:
        message_key: ``lesson.ambiguous``, ``lesson.did_you_mean``, ``lesson.unknown`` or
            ``lesson.which`` (the choices again, nothing heard).
        intent: the intent whose slot is asked (default: the turn's).
        lead: a message key said first ("That was the whole list.").
    """
    t, sp = texts(turn), speech_of(turn)
    lessons = [graph.lesson(i) for i in ids if i in graph]
    asked = f"{(intent or turn.intent).name}.{slot_name}"
    page = cut(
        turn,
        lessons,
        offset,
        PAGE_CHOICES,
        "choices",
        f"{asked} {message_key} {heard}",
        ids=[c.id for c in lessons],
    )
    turn.session.choices = [c.id for c in page.items]
    said_back = heard_part(heard, turn.locale)
    if page.items:
        names = t.join([c.title for c in page.items], "or")
        text = with_more(t, t(message_key, heard=heard, options=names), page)
        spoken_names = sp.join([sp.title(c) for c in page.items], "or")
        said = with_more(sp, sp(message_key, heard=said_back, options=spoken_names), page)
    else:  # nothing to suggest (every lesson mastered): just ask again
        text = t("lesson.unknown.none", heard=heard)
        said = sp("lesson.unknown.none", heard=said_back)
    if lead is not None:
        text, said = t.lines(t(lead), text), sp.sentences(sp(lead), said)
    pending = intent or turn.intent
    return turn.elicit_slot(
        slot_name,
        reply(
            turn,
            text,
            [lesson_choice(c, t) for c in page.items],
            voice_text=said,
            keys=True,
        ),
        slots={**pending.slots, slot_name: None},
        intent=pending,
    )
