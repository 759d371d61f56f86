"""Recommendation reasons in words: the one phrasing, shared by the bot and the CLI.

The recommender gives structured :class:`~knowledge_graph.recommender.Reason` objects; this
module turns them into clauses a learner reads or hears, in each supported locale (Lex
locale ids, :data:`LOCALES`). :func:`reason_text` phrases one reason, :func:`because` the
first two reasons of a recommendation joined by the locale's ``reason.and``.

The templates (:data:`TEMPLATES`) use the keys and ``str.format`` placeholders of the bot's
message catalogues: ``{lessons}`` is up to :data:`MAX_TITLES` lesson titles joined by
:func:`join_list`, ``{count}`` the number a reason is about (lessons it unlocks; for a
``learned`` reason the learners who took it next) and ``{total}`` (``learned`` only) the
learners who finished the lesson before. An unknown locale, or a key a locale lacks, falls
back to :data:`DEFAULT_LOCALE`, as the bot's catalogues do.

A ``learned`` reason says "most learners who finished X took it next"
(``reason.learned.most``) only when its count is more than half of its total, which is
exactly that claim (:class:`~knowledge_graph.recommender.ReasonKind`); otherwise it gives
both numbers ("6 of 40 learners who finished X took it next").

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> graph = example_graph()
>>> best = graph.recommend(["demo/variables"], k=1)[0]
>>> because(graph, best)
'it follows Variables, which you just finished, and it unlocks 1 more lesson'
>>> because(graph, best, "es_US")
'sigue a Variables, que acabas de terminar; además, desbloquea 1 lección más'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from knowledge_graph.wording import format_list, plural_form

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.model import LessonGraph
    from knowledge_graph.recommender import Reason, Recommendation

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "MAX_TITLES",
    "TEMPLATES",
    "because",
    "join_list",
    "reason_text",
]

#: The locale used when none is given or the given one is not supported.
DEFAULT_LOCALE: Final[str] = "en_US"

#: At most this many lesson titles are named in one reason.
MAX_TITLES: Final[int] = 2

#: Per locale, the template of each reason kind (``reason.<kind>``, or per CLDR plural
#: category ``reason.<kind>.one`` / ``.other`` where it counts lessons) and of two reasons
#: in one sentence (``reason.and``). Lists of titles are joined by Babel.
TEMPLATES: Final[Mapping[str, Mapping[str, str]]] = {
    "en_US": {
        "reason.continues": "it follows {lessons}, which you just finished",
        "reason.toward_goal": "it is the next step toward your goal, {lessons}",
        "reason.is_goal": "it is your goal",
        "reason.unlocks.one": "it unlocks {count} more lesson",
        "reason.unlocks.other": "it unlocks {count} more lessons",
        "reason.ready": "you've mastered what it builds on",
        "reason.related": "it is related to {lessons}",
        # true of every GOOD_START lesson (no prerequisite of any kind), unlike "start lesson",
        # which FORMAT.md and `stats` reserve for lessons that are not even another's `next`
        "reason.good_start": "it builds on no earlier lesson",
        "reason.difficulty_fit": "it suits your level",
        "reason.learned.most": "most learners who finished {lessons} took it next",
        "reason.learned.one": "{count} of {total} learners who finished {lessons} took it next",
        "reason.learned.other": "{count} of {total} learners who finished {lessons} took it next",
        # A reason may end in a clause of its own, hence the comma.
        "reason.and": "{first}, and {second}",
    },
    "es_US": {
        "reason.continues": "sigue a {lessons}, que acabas de terminar",
        "reason.toward_goal": "es el siguiente paso hacia tu meta, {lessons}",
        "reason.is_goal": "es tu meta",
        "reason.unlocks.one": "desbloquea {count} lección más",
        "reason.unlocks.other": "desbloquea {count} lecciones más",
        "reason.ready": "ya dominas lo que necesita",
        "reason.related": "está relacionada con {lessons}",
        "reason.good_start": "no se basa en ninguna lección anterior",
        "reason.difficulty_fit": "se ajusta a tu nivel",
        "reason.learned.most": "la mayoría de quienes terminaron {lessons} la tomaron después",
        "reason.learned.one": (
            "{count} de {total} estudiantes que terminaron {lessons} la tomó después"
        ),
        "reason.learned.other": (
            "{count} de {total} estudiantes que terminaron {lessons} la tomaron después"
        ),
        "reason.and": "{first}; además, {second}",
    },
}

#: The supported locales (Lex locale ids).
LOCALES: Final[tuple[str, ...]] = tuple(TEMPLATES)


def _template(key: str, locale: str) -> str | None:
    """The template of ``key`` in ``locale``, else in the default locale, else None."""
    own = TEMPLATES.get(locale, {})
    return own.get(key) or TEMPLATES[DEFAULT_LOCALE].get(key)


def join_list(items: Sequence[str], locale: str = DEFAULT_LOCALE) -> str:
    """Join ``items`` as ``a, b, and c`` in ``locale`` (Babel's list rules).

    Example
    -------
    >>> join_list(["Loops", "Strings", "Lists"]), join_list(["Loops", "Strings"], "es_US")
    ('Loops, Strings, and Lists', 'Loops y Strings')
    >>> join_list(["Loops"]), join_list([])
    ('Loops', '')
    """
    return format_list(items, locale, "and")


def reason_text(graph: LessonGraph, reason: Reason, locale: str = DEFAULT_LOCALE) -> str:
    """Phrase one reason as a clause; ``""`` for a reason kind without a template.

    Parameters
    ----------
    graph : LessonGraph
        Names the reason's lessons by title (ids it does not know are left out).
    reason : Reason
    locale : str, default ``"en_US"``
        A Lex locale id; see :data:`LOCALES`.

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> from knowledge_graph.recommender import Reason, ReasonKind
    >>> graph = example_graph()
    >>> reason_text(graph, Reason(ReasonKind.RELATED, ("demo/loops", "demo/strings")))
    'it is related to For Loops and Strings'
    >>> reason_text(graph, Reason(ReasonKind.UNLOCKS, ("demo/functions",), count=4), "es_US")
    'desbloquea 4 lecciones más'
    >>> reason_text(graph, Reason(ReasonKind.LEARNED, ("demo/loops",), count=12, total=20))
    'most learners who finished For Loops took it next'
    >>> reason_text(graph, Reason(ReasonKind.LEARNED, ("demo/loops",), count=10, total=20))
    '10 of 20 learners who finished For Loops took it next'
    """
    key = f"reason.{reason.kind}"
    count = reason.count or len(reason.lessons)
    total = reason.total or 0
    if reason.kind == "learned" and count * 2 > total > 0:
        key = f"{key}.most"  # more than half of those who finished it: "most" is true
    template = (
        _template(f"{key}.{plural_form(count, locale)}", locale)
        or _template(f"{key}.other", locale)
        or _template(key, locale)
    )
    if template is None:
        return ""
    titles = [graph.lesson(i).title for i in reason.lessons[:MAX_TITLES] if i in graph]
    return template.format(lessons=join_list(titles, locale), count=count, total=total)


def because(
    graph: LessonGraph,
    recommendation: Recommendation,
    locale: str = DEFAULT_LOCALE,
    limit: int = 2,
) -> str:
    """Phrase the first ``limit`` (1 or 2) reasons of a recommendation as one clause (``""``
    when none).

    Two reasons are joined by the locale's ``reason.and``; more would make a sentence too
    long to listen to (the alternatives of a list give one each, for the same reason). See
    the module docstring for an example.
    """
    clauses: list[str] = []
    for reason in recommendation.reasons:  # phrased only as far as they are said
        if clause := reason_text(graph, reason, locale):
            clauses.append(clause)
            if len(clauses) >= min(limit, 2):
                break
    if len(clauses) >= 2:
        return str(_template("reason.and", locale)).format(first=clauses[0], second=clauses[1])
    return clauses[0] if clauses else ""
