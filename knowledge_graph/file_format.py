"""The course file format's names, kinds and limits (the authoring format).

A course file is YAML or JSON with two top-level keys, ``course`` and ``lessons``.
See ``knowledge_graph/FORMAT.md`` for the author-facing reference. The pydantic schema a
file is validated against is :mod:`knowledge_graph.course_schema`: building it takes a
cold start tens of milliseconds, so only validation imports it (serving a compiled index
reads the constants here and never builds the schema).

Example
-------
>>> qualify("loops", "py"), str(EdgeKind.REQUIRES)
('py/loops', 'requires')
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final, Literal

#: Default scoring weights of the recommender; a course's ``weights`` override them key by key.
DEFAULT_WEIGHTS: Final[dict[str, float]] = {
    "readiness": 1.0,
    "momentum": 0.8,
    "goal": 1.5,
    "unlock": 0.4,
    "difficulty": 0.3,
    "decay": 0.5,
    "learned": 4.0,
}

#: Upper bound of the non-decay scoring weights.
MAX_SCORING_WEIGHT: Final[float] = 10.0

SLUG_PATTERN: Final[str] = r"^[a-z0-9][a-z0-9_-]{0,63}$"
#: A reference: ``lesson`` (same course) or ``course/lesson``.
REFERENCE_PATTERN: Final[str] = r"^(?:[a-z0-9][a-z0-9_-]{0,63}/)?[a-z0-9][a-z0-9_-]{0,63}$"
SLUG_RE: Final[re.Pattern[str]] = re.compile(SLUG_PATTERN)
REFERENCE_RE: Final[re.Pattern[str]] = re.compile(REFERENCE_PATTERN)

#: File suffixes that hold a course (compared case-insensitively).
COURSE_FILE_SUFFIXES: Final[frozenset[str]] = frozenset({".yaml", ".yml", ".json"})

DEFAULT_MODULE: Final[str] = "General"
DEFAULT_DIFFICULTY: Final[int] = 2
DEFAULT_MINUTES: Final[int] = 15

MAX_FILE_BYTES: Final[int] = 20 * 1024 * 1024
#: Why a per-course cap: a course file is parsed and checked in one piece, and the bot
#: re-validates a changed file before it serves it. On the 2-core reference machine a YAML file
#: of 20,000 generated lessons (7 MB) took 20 s and 720 MB to validate (JSON: 5 s); 10,000
#: keeps one file at about half of that. Split bigger courses into several files (references
#: across files are `course/lesson`).
MAX_LESSONS_PER_COURSE: Final[int] = 10_000
MAX_TOTAL_LESSONS: Final[int] = 200_000
MAX_COURSE_FILES: Final[int] = 1_000


#: The warning codes (FORMAT.md, "Validation messages"): the categories an author may
#: silence with ``silence_warnings`` in a course block or ``validate --silence``. Errors
#: cannot be silenced.
WARNING_CODES: Final[tuple[str, ...]] = (
    "alias-collision",
    "duplicate-reference",
    "empty-course",
    "isolated",
    "missing-module-translation",
    "missing-summary-translation",
    "missing-title-translation",
    "small-group",
    "soft-cycle",
    "title-collision",
    "unreachable",
    "unserved-translation",
)
WarningCode = Literal[
    "alias-collision",
    "duplicate-reference",
    "empty-course",
    "isolated",
    "missing-module-translation",
    "missing-summary-translation",
    "missing-title-translation",
    "small-group",
    "soft-cycle",
    "title-collision",
    "unreachable",
    "unserved-translation",
]


#: The locale ids Amazon Lex V2 accepts (``localeId``: language, ``_``, region), from
#: "Languages and locales supported by Amazon Lex V2"
#: (https://docs.aws.amazon.com/lexv2/latest/dg/how-languages.html). A course's ``locale``,
#: ``locales`` and ``translations`` keys must be one of them.
# fmt: off
LEX_LOCALES: Final[frozenset[str]] = frozenset({
    "af_ZA", "ar_AE", "ar_SA", "bg_BG", "ca_ES", "cs_CZ", "cy_GB", "da_DK", "de_AT", "de_CH",
    "de_DE", "en_AB", "en_AU", "en_GB", "en_IE", "en_IN", "en_NZ", "en_US", "en_WL", "en_ZA",
    "es_419", "es_ES", "es_MX", "es_US", "et_ET", "fa_IR", "fi_FI", "fr_BE", "fr_CA", "fr_FR",
    "he_IL", "hi_IN", "hr_HR", "hu_HU", "id_ID", "is_IS", "it_IT", "ja_JP", "km_KH", "ko_KR",
    "lt_LT", "lv_LV", "ms_MY", "nl_BE", "nl_NL", "no_NO", "pl_PL", "pt_BR", "pt_PT", "ro_RO",
    "ru_RU", "sk_SK", "sl_SI", "sr_RS", "sv_SE", "th_TH", "tl_PH", "tr_TR", "uk_UA", "vi_VN",
    "zh_CN", "zh_HK", "zh_TW", "zu_ZA",
})
# fmt: on
#: The locale a course is written in when its header does not say (``course.locale``).
DEFAULT_LOCALE: Final[str] = "en_US"
#: The locales the bot serves (``lex_bot/lesson_app/bot_definition.yaml``; a test checks
#: that they agree): ``validate`` warns about lessons of a course that translates anything
#: without a translation for one of them, unless the course header's ``locales`` or
#: ``validate --locales`` say otherwise.
DEFAULT_SERVED_LOCALES: Final[tuple[str, ...]] = ("en_US", "es_US")
#: The lesson fields a translation may give (``translations: {es_US: {...}}``).
TRANSLATED_FIELDS: Final[tuple[str, ...]] = ("title", "summary", "module", "aliases")


class EdgeKind(StrEnum):
    """Kinds of relation between two lessons, as stored in an edge's ``kinds`` dict.

    The one definition of the edge kinds; the constants below group them. Members are
    strings, so ``"requires" in HARD_PREREQUISITE_KINDS`` works on raw ``kinds`` keys.

    Example
    -------
    >>> [kind.value for kind in EDGE_KINDS]
    ['requires', 'requires_any', 'recommends', 'related', 'next']
    >>> "requires" in HARD_PREREQUISITE_KINDS, "recommends" in HARD_PREREQUISITE_KINDS
    (True, False)
    """

    REQUIRES = "requires"
    REQUIRES_ANY = "requires_any"
    RECOMMENDS = "recommends"
    RELATED = "related"
    NEXT = "next"


#: Weight of a reference written without an explicit ``weight``.
DEFAULT_EDGE_WEIGHTS: Final[dict[EdgeKind, float]] = {
    EdgeKind.REQUIRES: 1.0,
    EdgeKind.REQUIRES_ANY: 1.0,
    EdgeKind.RECOMMENDS: 0.5,
    EdgeKind.RELATED: 0.5,
    EdgeKind.NEXT: 1.0,
}

#: Every edge kind, in declaration order: the order of a lesson's link fields, of the
#: per-kind arrays of the compiled index and of per-kind reports.
EDGE_KINDS: Final[tuple[EdgeKind, ...]] = tuple(EdgeKind)
#: Kinds whose edges point from the prerequisite to the lesson that lists it.
PREREQUISITE_KINDS: Final[frozenset[EdgeKind]] = frozenset(
    {EdgeKind.REQUIRES, EdgeKind.REQUIRES_ANY, EdgeKind.RECOMMENDS}
)
#: Prerequisite kinds that block a lesson until completed.
HARD_PREREQUISITE_KINDS: Final[frozenset[EdgeKind]] = frozenset(
    {EdgeKind.REQUIRES, EdgeKind.REQUIRES_ANY}
)
#: Kinds that put one lesson before another. A lesson with no incoming edge of these kinds
#: is a start lesson; one with no outgoing edge of these kinds is a final lesson.
ORDERING_KINDS: Final[frozenset[EdgeKind]] = PREREQUISITE_KINDS | {EdgeKind.NEXT}
#: Kinds stored in both directions (listing the link in one of the two lessons is enough).
SYMMETRIC_KINDS: Final[frozenset[EdgeKind]] = frozenset({EdgeKind.RELATED})


def qualify(reference: str, course_id: str) -> str:
    """Return the qualified ``course/lesson`` id of ``reference`` written in ``course_id``.

    Example
    -------
    >>> qualify("loops", "py"), qualify("js/loops", "py")
    ('py/loops', 'js/loops')
    """
    return reference if "/" in reference else f"{course_id}/{reference}"


def is_course_file_name(name: str) -> bool:
    """Return True when a file name looks like a course file (not hidden, not a backup).

    Example
    -------
    >>> [is_course_file_name(n) for n in ("a.yaml", "b.JSON", ".#a.yaml", "a.yaml~", "a.swp")]
    [True, True, False, False, False]
    """
    if not name or name.startswith((".", "#", "~")) or name.endswith(("~", "#")):
        return False
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in COURSE_FILE_SUFFIXES
