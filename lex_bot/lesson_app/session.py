"""The session attributes of the lesson bot (typed; serialised to strings for Lex).

They are hints carried between turns, never authority: what a learner has completed is read
from the progress store, whatever the client puts here.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from lex_bot.lesson_app.lists import MAX_IDS
from lex_bot.lexv2.limits import CARD_MAX_BUTTONS
from lex_bot.lexv2.session_attributes import Counter, TypedSessionAttributes

NAMESPACE = "lessonbot."


class LessonSession(TypedSessionAttributes):
    """What the bot remembers between turns of one Lex session.

    On the wire every field is a key under :data:`NAMESPACE` (``lessonbot.failed_attempts``);
    every other key belongs to the client and passes through unchanged. When the map would
    not fit the budget, the bot's optional state goes first, in ``drop_order``.

    Attributes:
        failed_attempts: how many times in a row the lesson slot ``retrying`` could not be
            resolved.
        retrying: the lesson slot being asked again, as ``Intent.Slot``.
        offered_lesson: the lesson offered in the pending yes/no question (ConfirmIntent).
        asked: the slot the last response left asked for, as ``Intent.Slot`` (kept by the
            router for its dialog policy, ``lex_bot.lexv2.dialog_policy``).
        more: the last list the bot cut and where it stopped, ``[kind, key, offset, *ids]``
            (``lex_bot.lesson_app.lists``), for "more" (ShowMore); any other intent forgets it.
        known: lessons "I already know ..." waits to mark, ``[stage, id, ...]`` (AlreadyKnow).
        choices: the lessons offered with the last slot question, in order, so that "2",
            "the second one", a key press or "yes" (to one offer) can answer it.
        offered: the values of the buttons the last reply showed, in order, so that "the
            second one" after a card with no question pending picks one (``picks``).
        score: the score (a percentage, "80" for "8/10") given with a completion that waits
            for "yes" ("Mark it finished anyway?"), so a key press, "more" or a "yes" that
            carries no slots still records it.
    """

    namespace: ClassVar[str] = NAMESPACE
    drop_order: ClassVar[tuple[str, ...]] = (
        "offered",
        "more",
        "choices",
        "offered_lesson",
        "retrying",
        "failed_attempts",
    )

    failed_attempts: Counter(0, 100) = 0  # type: ignore[valid-type]
    retrying: str | None = Field(default=None, max_length=200)
    offered_lesson: str | None = Field(default=None, max_length=200)
    asked: str | None = Field(default=None, max_length=200)
    choices: list[str] = Field(default_factory=list, max_length=5)
    more: list[str] = Field(default_factory=list, max_length=3 + MAX_IDS)
    known: list[str] = Field(default_factory=list, max_length=41)  # known.MAX_IMPLIED + 1
    offered: list[str] = Field(default_factory=list, max_length=CARD_MAX_BUTTONS)
    score: str | None = Field(default=None, max_length=20)
