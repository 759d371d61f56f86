"""The buttons the last reply showed, and what each one asks for: "the second one" after a card.

A button sends its value as if the learner had typed it. When no question is pending (the
card came with a ``Close``, such as the help card or a list of recommendations), Lex has no
intent for a bare ordinal, so "2", "the second one" or a key press reaches
``FallbackIntent``; this module reads which button it picks and the intent that button's
utterance asks for, so the fallback can answer as that intent
(``lex_bot.lexv2.router.SwitchIntent``). Every reply with buttons keeps their values in the
session (``session.offered``, set by ``presentation.reply``); slot questions read their own
choices first (``lesson_slots``).

Button values are the catalogue's own utterances (``button.*.value``), so they are read back
exactly, never guessed: the fixed ones (what to learn next, the modules, help, yes, no), and
the templates naming a lesson or a module ("start {name}", "I finished {name}", "show module
{name}").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lex_bot.lesson_app.answers import choice_index, yes_or_no
from lex_bot.lesson_app.lesson_slots import filled_slot
from lex_bot.lexv2.events import ConfirmationState, Intent, IntentState, Slot, SlotValue

if TYPE_CHECKING:  # pragma: no cover
    from lex_bot.lesson_app.turn import LessonTurn

CONFIRM_MARK = "?"
#: ``turn.state`` key: the buttons of the reply before this turn, kept by the middleware
#: that forgets them (``more.forget_finished_lists``) for "start it" after a lone offer.
LAST_OFFERED = "last_offered"
#: The catalogue's fixed button utterances and the intent each asks for.
FIXED = {"next": "RecommendNextLesson", "modules": "BrowseModules", "help": "Help"}
#: Button templates naming one thing: (catalogue action, intent, slot). "I finished X" is
#: left out on purpose: a completion is recorded only from words that say the learner
#: finished (docs/DIALOG.md), never from "1" or "the first one".
TEMPLATES = (
    ("start", "StartLesson", "LessonName"),
    ("module", "BrowseModules", "Module"),
)


def picked_intent(turn: LessonTurn) -> Intent | None:
    """The intent of the button this turn's ordinal, number or key picks, else ``None``."""
    offered = list(turn.session.offered)
    index = choice_index(turn.event.input_transcript, turn.locale, len(offered))
    return None if index is None else intent_of_button(turn, offered[index])


def sole_offer(turn: LessonTurn) -> Intent | None:
    """The intent of the last reply's only button, when it had exactly one ("Shall we start
    it?" on voice, "Want to try it again?" with its Retake button), else ``None``."""
    offered = list(turn.state.get(LAST_OFFERED, turn.session.offered))
    return intent_of_button(turn, offered[0]) if len(offered) == 1 else None


def accepted_offer(turn: LessonTurn) -> Intent | None:
    """What a bare "yes" (or "start it") accepts when no question is pending: the last
    reply's only offer (docs/DIALOG.md, "Offers"). Several offers need a choice, not a yes."""
    said = turn.event.input_transcript
    if yes_or_no(said, turn.locale) is not True:
        return None
    return sole_offer(turn)


def offered_lesson_meant(turn: LessonTurn) -> Intent | None:
    """ "Start it" right after a reply whose only button starts a lesson: that lesson (when no
    lesson is under way, "it" can mean nothing else)."""
    intent = sole_offer(turn)
    if intent is None or intent.name != "StartLesson":
        return None
    return intent


def intent_of_button(turn: LessonTurn, value: str) -> Intent | None:
    """What a button's value asks for, read back from the catalogue's templates."""
    t = turn.t
    for action, name in FIXED.items():
        if value == t(f"button.{action}.value"):
            return _intent(name)
    asked = turn.session.asked or ""
    for answer, state in (("yes", ConfirmationState.CONFIRMED), ("no", ConfirmationState.DENIED)):
        if value == t(f"button.{answer}.value") and asked.endswith(CONFIRM_MARK):
            return _intent(asked[: -len(CONFIRM_MARK)], confirmationState=state)
    for action, name, slot in TEMPLATES:
        head, _, tail = t(f"button.{action}.value", name="\x00").partition("\x00")
        if not (value.startswith(head) and value.endswith(tail)) or len(value) <= len(head):
            continue
        said = value[len(head) : len(value) - len(tail) or None]
        filled = _slot(turn, slot, said)
        if filled is not None:
            return _intent(name, slots={slot: filled})
    return None


def _slot(turn: LessonTurn, slot: str, said: str) -> Slot | None:
    if slot == "Module":
        return Slot(
            value=SlotValue(originalValue=said, interpretedValue=said, resolvedValues=[said])
        )
    found = turn.graph.find(said)
    if found.is_confident and found.best is not None:
        return filled_slot(turn.graph.lesson(found.best.lesson_id), said)
    return None


def _intent(name: str, **fields: Any) -> Intent:
    return Intent(name=name, state=IntentState.IN_PROGRESS, **fields)
