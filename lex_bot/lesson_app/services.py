"""The lesson graph and the progress store, created lazily once per Lambda container.

Nothing here runs at import time: the first turn that needs the graph loads it (and later
turns only re-check it for changes every ``LESSON_GRAPH_CHECK_SECONDS``); the first turn
that needs progress opens the store named by ``PROGRESS_STORE``. Tests swap both with
:func:`use_services`.

Learner identity: the Lex ``sessionId`` by default. If ``LEARNER_ID_ATTRIBUTE`` names a
session attribute, a value there (set by a trusted client application that authenticated the
learner) is used instead. Clients can write session attributes, so only enable this when the
Lex runtime API is reachable solely by that trusted application (see the README).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import GraphLoader, LessonGraph
    from lex_bot.lesson_app.progress_store import ProgressStore
    from lex_bot.lexv2.router import Turn

_LEARNER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


@dataclass
class Services:
    """Where handlers get the lesson graph and the progress store."""

    graph_loader: GraphLoader | None = None
    store: ProgressStore | None = None

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
    """Whose progress this turn reads and writes (see the module docstring for trust)."""
    attribute = os.environ.get("LEARNER_ID_ATTRIBUTE", "").strip()
    if attribute:
        candidate = turn.session.extra.get(attribute)
        if candidate and _LEARNER_ID.match(candidate):
            return candidate
    session_id = turn.session_id
    if _LEARNER_ID.match(session_id):
        return session_id
    # Lex session ids always match the pattern; anything else is reduced to a stable digest
    # so odd input can neither break the store's keys nor collide with a real session id.
    return "sid-" + hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()[:40]
