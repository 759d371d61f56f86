"""The lesson graph, the progress store and the learned transitions, created lazily once
per Lambda container.

Nothing here runs at import time: the first turn that needs the graph loads it (and later
turns only re-check it for changes every ``LESSON_GRAPH_CHECK_SECONDS``); the first turn
that needs progress opens the store named by ``PROGRESS_STORE``; the first recommendation
reads the transitions snapshot named by ``TRANSITIONS_SNAPSHOT`` (unset: none, the graph
alone ranks), re-checked by modification time and size at most every
``TRANSITIONS_CHECK_SECONDS`` (default 300), the last good one kept when the file goes
missing or bad (:class:`knowledge_graph.transitions.TransitionsLoader`). Tests swap them
with :func:`use_services`.

Learner identity (see the README's trust model): the Lex ``sessionId`` by default. If
``LEARNER_ID_ATTRIBUTE`` names a session attribute, a value there (set by a trusted client
application that authenticated the learner) is used instead, read from the event's own map
(not the bounded copy handlers see, so it counts even as the 51st attribute). Clients can
write session attributes, so only enable this when the Lex runtime API is reachable solely
by that trusted application.

Key namespaces: with ``LEARNER_ID_ATTRIBUTE`` set, an authenticated id is the key as it is,
and a turn without a valid one falls back to ``session#<sessionId>``: the ``#`` is outside
:data:`LEARNER_ID_PATTERN`, so no sessionId can ever be read as an authenticated learner's
key. Each fallback logs a warning and counts the ``LearnerIdFallback`` metric. Without the
setting every key is the sessionId, as before. Migration: progress that an earlier version
stored under a bare sessionId *while the setting was on* (unauthenticated turns) is no longer
read; authenticated learners' progress and setups without the setting read unchanged.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import GraphLoader, LessonGraph, TransitionModel
    from knowledge_graph.transitions import TransitionsLoader
    from lex_bot.lesson_app.progress_store import ProgressStore
    from lex_bot.lexv2.router import Turn

#: Where the local tools keep the transitions snapshot: ``python -m lex_bot chat`` reads it
#: (``TRANSITIONS_SNAPSHOT`` defaults to it there) and ``python -m lex_bot transitions
#: rebuild`` writes it, next to the local progress store (``sqlite://.lessonbot/...``).
DEFAULT_LOCAL_TRANSITIONS = ".lessonbot/transitions.json"

#: Learner ids accepted from the trusted attribute and as sessionIds: 1-128 of letters,
#: digits and ``_ . : @ + = -``, matched in full (``\Z``: ``$`` would accept a trailing
#: newline). Covers e-mail-like ids (``ana+lessons@example.com``), UUIDs (Amazon Cognito
#: ``sub``), and every Lex sessionId: Lex V2 allows ``[0-9a-zA-Z._:-]+``, 2-100 characters
#: (Amazon Lex V2 API Reference, RecognizeText, "sessionId",
#: https://docs.aws.amazon.com/lexv2/latest/APIReference/API_runtime_RecognizeText.html).
LEARNER_ID_PATTERN = r"[A-Za-z0-9_.:@+=-]{1,128}"
_LEARNER_ID = re.compile(LEARNER_ID_PATTERN + r"\Z")
#: Prefix of the keys of learners identified by their sessionId while an attribute was
#: expected (outside the pattern, so never an authenticated learner's key).
SESSION_NAMESPACE = "session#"


@dataclass
class Services:
    """Where handlers get the lesson graph, the progress store and the learned transitions.

    ``transitions_loader``: ``None`` reads ``TRANSITIONS_SNAPSHOT`` on first use.
    """

    graph_loader: GraphLoader | None = None
    store: ProgressStore | None = None
    transitions_loader: TransitionsLoader | None = None
    _transitions_env_read: bool = field(default=False, init=False, repr=False)

    def graph(self) -> LessonGraph:
        """The current lesson graph (raises ``GraphNotLoadedError`` if none ever loaded)."""
        if self.graph_loader is None:
            from knowledge_graph import loader_from_env

            self.graph_loader = loader_from_env()
        return self.graph_loader.get()

    def progress_store(self) -> ProgressStore:
        """The progress store named by ``PROGRESS_STORE``."""
        if self.store is None:
            from lex_bot.lesson_app.progress_store import open_progress_store

            self.store = open_progress_store()
        return self.store

    def use_transitions(self, loader: TransitionsLoader | None) -> None:
        """Serve transitions from ``loader`` from now on (``None``: none, whatever the
        environment says); for the local chat's ``@transitions`` and tests."""
        self.transitions_loader = loader
        self._transitions_env_read = True

    def transitions(self) -> TransitionModel | None:
        """What this course's learners took next, or ``None`` (the graph alone ranks).

        Never raises and never reads the progress store: a snapshot that is missing or
        malformed is logged by the loader, which keeps serving the last good one.
        """
        if self.transitions_loader is None:
            if self._transitions_env_read:
                return None
            from knowledge_graph.transitions import loader_from_env

            self._transitions_env_read = True
            self.transitions_loader = loader_from_env()
            if self.transitions_loader is None:
                return None
        return self.transitions_loader.get()


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    """The container-wide services, created on first use."""
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                _services = Services()
    return _services


def use_services(services: Services | None) -> None:
    """Replace the container-wide services (tests, the local chat); ``None`` resets them."""
    global _services
    _services = services


def learner_id(turn: Turn[Any]) -> str:
    """Whose progress this turn reads and writes (see the module docstring for trust).

    Example:
        >>> from lex_bot.devtools.event_factory import lex_event
        >>> from lex_bot.lexv2.events import LexEvent
        >>> from lex_bot.lexv2.router import Turn
        >>> from lex_bot.lexv2.session_attributes import TypedSessionAttributes
        >>> event = LexEvent.model_validate(lex_event("Help", session_id="learner-A"))
        >>> learner_id(Turn(event, TypedSessionAttributes()))
        'learner-A'
    """
    attribute = os.environ.get("LEARNER_ID_ATTRIBUTE", "").strip()
    session_key = _session_key(turn.session_id)
    if not attribute:
        return session_key
    candidate = turn.event.session_state.session_attributes.get(attribute)
    if isinstance(candidate, str) and _LEARNER_ID.match(candidate):
        return candidate
    from lex_bot.lexv2.observability import count_metric, get_logger, pseudonym

    get_logger().warning(
        "learner id attribute missing or invalid; using the session namespace",
        extra={
            "attribute": attribute,
            "problem": "missing" if candidate is None else "invalid",
            "session": pseudonym(turn.session_id),
        },
    )
    count_metric("LearnerIdFallback")
    return SESSION_NAMESPACE + session_key


def _session_key(session_id: str) -> str:
    if _LEARNER_ID.match(session_id):
        return session_id
    # Lex session ids always match the pattern; anything else is reduced to a stable digest
    # so odd input can neither break the store's keys nor collide with a real session id.
    return "sid-" + hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()[:40]
