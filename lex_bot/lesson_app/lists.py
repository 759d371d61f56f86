"""Long lists the bot cuts, and where "more" picks them up again (one mechanism for all).

A reply names one page of a long list: a learning path (:data:`PATH_LINES`-style pages of its
own), a module's lessons, the list of modules, the candidates for an ambiguous or unknown
lesson name, or the lessons a sentence would name ("…and 2 more"). Whenever a list is cut,
the reply says how many are left ("…and 3 more. Say "more" to see them.") and the session
keeps *what* list was cut and *where* (``session.more``), so "more", "the rest" or "next page"
(ShowMore, ``intents/more.py``) continues it exactly there. Any other intent forgets it.

``session.more`` is ``[kind, key, offset, *ids]``:

* ``path`` (key: the goal's id) and ``module`` (key: the module's name) are recomputed from
  the learner's progress when continued, so the rest is true *now*;
* ``modules``: the course's modules (key empty), a question (``Module``) on every page;
* ``choices``: the candidate lessons of a slot question (key: the slot asked, as
  ``Intent.Slot``; ``ids``: every candidate), asked again with the next page;
* ``lessons``: lessons a sentence named only partly (``ids``: every lesson of the list).

A page of choices holds at most :data:`PAGE_CHOICES` (a response card holds 5 buttons,
``limits.CARD_MAX_BUTTONS``), so that text and card always name the same choices.

Example:
    >>> from types import SimpleNamespace
    >>> turn = SimpleNamespace(session=SimpleNamespace(more=[]))
    >>> shown = cut(turn, ["a", "b", "c", "d"], 0, 3, "lessons", "", ids=["a", "b", "c", "d"])
    >>> shown.items, shown.rest, turn.session.more
    (['a', 'b', 'c'], 1, ['lessons', '', '3', 'a', 'b', 'c', 'd'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lex_bot.lesson_app.messages import Messages
from lex_bot.lexv2.limits import CARD_MAX_BUTTONS

T = TypeVar("T")

#: The intent that continues a cut list ("more", "the rest"): ``intents/more.py``. A pending
#: question stays pending through it (``lesson_slots.forget_abandoned_retries``).
SHOW_MORE = "ShowMore"

#: Choices named on one page (the text names exactly the buttons of the card).
PAGE_CHOICES = CARD_MAX_BUTTONS
#: Lessons a list of ids may carry in the session (about 35 characters each).
MAX_IDS = 25


#: The "…and N more" line of each kind of list whose wording differs from the lessons'
#: (``path.more``): Spanish agrees with what is listed ("Di «más» para verlos", módulos).
MORE_LINE = {"modules": "modules.more"}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its ``items``, where it starts, how many are left after it, and
    the ``kind`` of list it is (as ``session.more`` names it)."""

    items: list[T]
    offset: int
    rest: int
    kind: str = "lessons"


def cut(
    turn: Any,
    items: Sequence[T],
    offset: int,
    size: int,
    kind: str,
    key: str,
    *,
    ids: Sequence[str] = (),
) -> Page[T]:
    """The page of ``items`` from ``offset`` (at most ``size``); when items are left after it,
    ``session.more`` records the list (``kind``, ``key``, ``ids``) and where it stopped.

    Parameters:
        offset: the first item shown (clamped to the list).
        ids: for ``choices``/``lessons``: the ids of every item, kept so "more" needs no
            recomputation.
    """
    offset = min(max(offset, 0), max(len(items) - 1, 0))
    shown = list(items[offset : offset + max(size, 1)])
    rest = len(items) - offset - len(shown)
    if rest > 0:
        turn.session.more = [kind, key, str(offset + len(shown)), *list(ids)[:MAX_IDS]]
    return Page(shown, offset, rest, kind)


def more_line(t: Messages, rest: int, kind: str = "lessons") -> str:
    """The line that ends a cut list of ``kind``: "…and 3 more. Say "more" to see them."."""
    return t(MORE_LINE.get(kind, "path.more"), count=rest)


def with_more(t: Messages, text: str, page: Page[Any]) -> str:
    """``text``, then the "…and N more" line when the page was cut: on its own line on
    text, said after it with ``turn.speech`` (``spoken.path.more``), so a voice learner
    also hears that the list goes on and that "more" continues it."""
    return t.lines(text, more_line(t, page.rest, page.kind)) if page.rest > 0 else text


def some(turn: Any, t: Messages, ids: Sequence[str], titles: Sequence[str], limit: int) -> str:
    """The first ``limit`` titles joined, then "and N more" (like ``Messages.join_some``); a
    cut list is kept (kind ``lessons``) so that "more" names the rest.

    Example:
        >>> from types import SimpleNamespace
        >>> from lex_bot.lesson_app.messages import messages_for
        >>> turn = SimpleNamespace(session=SimpleNamespace(more=[]))
        >>> some(turn, messages_for("en_US"), ["a", "b", "c"], ["A", "B", "C"], 2)
        'A, B, and 1 more'
        >>> turn.session.more
        ['lessons', '', '2', 'a', 'b', 'c']
    """
    if len(titles) > limit:
        cut(turn, list(ids), 0, limit, "lessons", "", ids=ids)
    return t.join_some(list(titles), limit)


def continued(turn: Any) -> tuple[str, str, int, list[str]] | None:
    """The cut list to continue, ``(kind, key, offset, ids)``, or ``None``."""
    more = list(turn.session.more)
    if len(more) < 3 or not more[2].isdigit():
        return None
    return more[0], more[1], int(more[2]), more[3:]
