"""The turn a lesson handler receives: the Lex turn plus the graph, the learner and the texts.

:class:`LessonTurn` extends the framework's :class:`~lex_bot.lexv2.router.Turn` with what
every lesson handler needs, each fetched on first use and kept for the turn:

* ``turn.graph``: the current lesson graph in the turn's locale (its lessons' titles,
  summaries, modules and the names it finds are the course's translation for that locale,
  else the course's own text: ``LessonGraph.localized``); ``turn.store``: the progress
  store, its writes
  bound to ``turn.request_token`` (so a duplicate delivery of the request is recognised);
* ``turn.learner_id`` and ``turn.progress``: whose progress this is, and what it holds;
* ``turn.transitions``: what this course's learners took next (``None`` without a
  snapshot), for ``graph.recommend(..., transitions=turn.transitions)``;
* ``turn.lesson_state(lesson_id)``: the lesson's state for this learner (mastered, attempted,
  locked with what stands in between, in progress, startable): the one source of truth;
* ``turn.t``: the message catalogue of the turn's locale; ``turn.speech``: the same
  catalogue rendered as SSML (an answer built by a function of the catalogue is rendered
  with both, so its spoken form carries the same content);
* ``turn.reply(text, choices, ...)``: messages shaped for the channel (cards on text, SSML on
  voice);
* ``turn.lesson_from_slot(slot, prompt_key=...)``: the lesson a slot names, or an early end
  of the turn that asks again (raised as :class:`~lex_bot.lexv2.router.EndTurn`).

So a handler is its logic only::

    @router.intent("LessonInfo", slots=("LessonName",))
    def lesson_info(turn: LessonTurn) -> LexResponse:
        lesson = turn.lesson_from_slot("LessonName", prompt_key="prompt.lesson_name")
        return turn.close(turn.reply(lesson.summary))
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from lex_bot.lesson_app.lesson_slots import lesson_from_slot
from lex_bot.lesson_app.messages import Messages, messages_for
from lex_bot.lesson_app.presentation import Choice, VoiceText, reply
from lex_bot.lesson_app.progress_store.base import RequestBoundStore
from lex_bot.lesson_app.services import Services, get_services, learner_id
from lex_bot.lesson_app.session import LessonSession
from lex_bot.lesson_app.speech import SpokenMessages, spoken_for
from lex_bot.lexv2.responses import Message
from lex_bot.lexv2.router import Turn

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import Lesson, LessonGraph, LessonState, TransitionModel
    from lex_bot.lesson_app.progress_store import LearnerProgress, ProgressStore


class LessonTurn(Turn[LessonSession]):
    """One Lex turn of the lesson bot; see the module docstring."""

    @cached_property
    def services(self) -> Services:
        return get_services()

    @cached_property
    def graph(self) -> LessonGraph:
        """The current lesson graph in this turn's locale (``LessonGraph.localized``): every
        lesson, module and course text a handler takes from it is in the learner's language
        where the course is translated (raises ``GraphNotLoadedError`` when none ever
        loaded)."""
        return self.services.graph().localized(self.locale)

    @cached_property
    def request_token(self) -> str:
        """Names this Lex request for the progress store's idempotent writes.

        The Lambda request id, which Lambda keeps when it delivers the same invocation
        again, with the session id; without a Lambda context (local chat, tests) a fresh
        random token, so each turn is its own request.
        """
        request_id = self.request_id
        if not request_id:
            return uuid.uuid4().hex
        text = f"{self.session_id}\x1f{request_id}"
        return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]

    @cached_property
    def store(self) -> ProgressStore:
        """The progress store, every write carrying :attr:`request_token`."""
        return RequestBoundStore(self.services.progress_store(), self.request_token)

    @cached_property
    def learner_id(self) -> str:
        """Whose progress this turn reads and writes (see ``services.learner_id``)."""
        return learner_id(self)

    @cached_property
    def progress(self) -> LearnerProgress:
        """The learner's progress as read at its first use in this turn."""
        return self.store.get(self.learner_id)

    @cached_property
    def transitions(self) -> TransitionModel | None:
        """What this course's learners took next (``Services.transitions``), or ``None``."""
        return self.services.transitions()

    @cached_property
    def t(self) -> Messages:
        """The message catalogue of this turn's locale."""
        return messages_for(self.locale)

    @cached_property
    def speech(self) -> SpokenMessages:
        """The same catalogue rendered as SSML, for the spoken form of an answer."""
        return spoken_for(self.locale)

    def lesson_state(self, lesson_id: str, *, with_path: bool = True) -> LessonState:
        """The lesson's state for this learner (``knowledge_graph.LessonGraph.state``): the
        one source every answer, button and offer about a lesson reads. ``with_path=False``
        skips planning what a locked lesson still needs (for long lists)."""
        cache = self.__dict__.setdefault("_states", {})
        key = (lesson_id, with_path)
        if key not in cache:
            progress = self.progress
            cache[key] = self.graph.state(
                lesson_id, progress.mastery(), progress.current_lesson, with_path=with_path
            )
        return cache[key]

    def reply(
        self,
        text: str,
        choices: Sequence[Choice] = (),
        *,
        title: str | None = None,
        voice_text: VoiceText | None = None,
        keys: bool = False,
    ) -> list[Message]:
        """Messages for ``text`` and choices, shaped for the channel (see ``presentation``)."""
        return reply(self, text, choices, title=title, voice_text=voice_text, keys=keys)

    def lesson_from_slot(self, slot_name: str, *, prompt_key: str) -> Lesson:
        """The lesson ``slot_name`` names; otherwise the turn ends asking again.

        Raises:
            EndTurn: with the response that re-asks the slot, delegates a resolved slot in
                the dialog code hook, or gives up after repeated failures.
        """
        return lesson_from_slot(self, self.graph, slot_name, prompt_key=prompt_key)
