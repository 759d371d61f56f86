"""Resolve a lesson slot (LessonName, GoalLesson) against the lesson graph.

Lex's lesson slot types use original-value resolution, so whatever the learner said reaches
us; :func:`lesson_from_slot` resolves it with ``graph.find`` and decides the next step:

* confident match: the lesson (and, in the dialog code hook, a ``Delegate`` that writes the
  lesson id into the slot so the fulfilment hook gets a canonical value);
* ambiguous: re-elicit the slot with the candidates (buttons on text, a short list on voice);
* unknown: re-elicit with suggestions;
* after three failed tries in a row: give up politely and offer help.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lex_bot.lesson_app.messages import Messages
from lex_bot.lesson_app.presentation import button_value, reply, texts
from lex_bot.lexv2.events import IntentState, Slot, SlotShape, SlotValue
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import EndTurn, Handler, Turn

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson, LessonGraph

MAX_FAILED_ATTEMPTS = 3

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


def lesson_choice(lesson: Lesson) -> tuple[str, str]:
    """A ``(label, value)`` button for a lesson; the value resolves back to the lesson."""
    return lesson.title, button_value(lesson.title, lesson.id, lesson.key)


def action_choice(t: Messages, action: str, lesson: Lesson) -> tuple[str, str]:
    """A button for ``action`` ("start", "done", "info") on a lesson.

    The label is ``button.<action>`` and the value the utterance ``button.<action>.value``,
    naming the lesson by title, or by id when the title would make the value too long.
    """
    value = button_value(
        t(f"button.{action}.value", name=lesson.title),
        t(f"button.{action}.value", name=lesson.id),
        t(f"button.{action}.value", name=lesson.key),
    )
    return t(f"button.{action}", title=lesson.title), value


def start_choice(t: Messages, lesson: Lesson) -> tuple[str, str]:
    """A "Start <lesson>" button whose value is an utterance that starts the lesson."""
    return action_choice(t, "start", lesson)


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
    """ "Yes" and "No" buttons for a yes/no question (ConfirmIntent)."""
    return [(t("button.yes"), t("button.yes.value")), (t("button.no"), t("button.no.value"))]


def help_choices(turn: Turn[Any]) -> list[tuple[str, str]]:
    t = texts(turn)
    return [
        (t("button.next"), t("button.next.value")),
        (t("button.modules"), t("button.modules.value")),
        (t("button.help"), t("button.help.value")),
    ]


def forget_failed_attempts(turn: Turn[Any]) -> None:
    """Start counting failed lesson names afresh."""
    turn.session.retrying, turn.session.failed_attempts = None, 0


def forget_abandoned_retries(turn: Turn[Any], call_next: Handler) -> LexResponse:
    """Middleware: a turn of another intent ends the tries "in a row" at a lesson slot.

    Without it, a learner who gave up on a lesson name, asked something else and later
    named an unknown lesson again would be one try closer to the bot giving up.
    """
    retrying = turn.session.retrying
    if retrying is not None and retrying.partition(".")[0] != turn.intent.name:
        forget_failed_attempts(turn)
    return call_next(turn)


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
    raw = slot_text(turn, slot_name)
    if raw is None:
        raise EndTurn(turn.elicit_slot(slot_name, reply(turn, t(prompt_key))))
    result = graph.find(raw)
    if result.is_confident and result.best is not None:
        forget_failed_attempts(turn)
        lesson = graph.lesson(result.best.lesson_id)
        if turn.is_dialog_hook:
            slot = turn.slot(slot_name)
            original = slot.original if slot else None
            raise EndTurn(
                turn.delegate(slots={**turn.intent.slots, slot_name: filled_slot(lesson, original)})
            )
        return lesson

    retrying = f"{turn.intent.name}.{slot_name}"
    if turn.session.retrying != retrying:
        turn.session.retrying, turn.session.failed_attempts = retrying, 0
    turn.session.failed_attempts += 1
    if turn.session.failed_attempts >= MAX_FAILED_ATTEMPTS:
        _log_unresolved(turn, slot_name, raw, "gave_up")
        forget_failed_attempts(turn)
        raise EndTurn(
            turn.close(
                reply(turn, t("lesson.give_up"), help_choices(turn)), state=IntentState.FAILED
            )
        )
    cleared = {**turn.intent.slots, slot_name: None}
    candidates = [graph.lesson(m.lesson_id) for m in result.matches[:5]]
    if candidates:
        key = "lesson.ambiguous" if result.ambiguous else "lesson.did_you_mean"
        _log_unresolved(turn, slot_name, raw, "ambiguous" if result.ambiguous else "not_confident")
        names = t.join([c.title for c in candidates[:3]], "or")
        raise EndTurn(
            turn.elicit_slot(
                slot_name,
                reply(
                    turn,
                    t(key, heard=raw, options=names),
                    [lesson_choice(c) for c in candidates],
                    voice_text=t(f"{key}.voice", heard=raw),
                ),
                slots=cleared,
            )
        )
    _log_unresolved(turn, slot_name, raw, "unknown")
    suggestions = [graph.lesson(r.lesson_id) for r in graph.recommend((), k=3)]
    raise EndTurn(
        turn.elicit_slot(
            slot_name,
            reply(
                turn,
                t("lesson.unknown", heard=raw),
                [lesson_choice(s) for s in suggestions],
                voice_text=t("lesson.unknown.voice", heard=raw),
            ),
            slots=cleared,
        )
    )
