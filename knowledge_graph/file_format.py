"""Pydantic models of one course file (the authoring format).

A course file is YAML or JSON with two top-level keys, ``course`` and ``lessons``.
See ``knowledge_graph/FORMAT.md`` for the author-facing reference.

Example
-------
>>> doc = CourseFile.model_validate({
...     "course": {"id": "demo", "title": "Demo"},
...     "lessons": [{"id": "a", "title": "A"}, {"id": "b", "title": "B", "requires": ["a"]}],
... })
>>> doc.lessons[1].requires[0].id
'a'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
ReferenceId = Annotated[str, Field(pattern=REFERENCE_PATTERN)]
Text = Annotated[str, Field(max_length=10_000)]
#: A locale id; validation checks it is one of :data:`LEX_LOCALES` (``unknown-locale``).
LocaleId = Annotated[str, Field(min_length=1, max_length=16)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
EdgeWeight = Annotated[float, Field(gt=0.0, le=1.0)]
ScoringWeight = Annotated[float, Field(ge=0.0, le=MAX_SCORING_WEIGHT)]


class _Strict(BaseModel):
    """Base: unknown fields are errors, no type coercion (``"1"`` is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CourseWeights(_Strict):
    """Per-course overrides of the recommender's scoring weights (all optional)."""

    readiness: ScoringWeight | None = None
    momentum: ScoringWeight | None = None
    goal: ScoringWeight | None = None
    unlock: ScoringWeight | None = None
    difficulty: ScoringWeight | None = None
    decay: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    learned: ScoringWeight | None = None

    def resolved(self) -> dict[str, float]:
        """Return the full weight dict: the defaults overridden by the values set here.

        Example
        -------
        >>> CourseWeights(goal=2.0).resolved()["goal"], CourseWeights().resolved()["decay"]
        (2.0, 0.5)
        """
        given = {k: float(v) for k, v in self.model_dump().items() if v is not None}
        return {**DEFAULT_WEIGHTS, **given}


class Reference(_Strict):
    """A reference to another lesson, optionally weighted.

    Written either as a bare string (``loops`` or ``other-course/loops``) or as a
    mapping ``{id: loops, weight: 0.8}``. ``weight`` is ``None`` when not given; the
    builder then uses :data:`DEFAULT_EDGE_WEIGHTS` of the field's kind.
    """

    id: ReferenceId
    weight: EdgeWeight | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_bare_string(cls, value: Any) -> Any:
        """Accept ``"loops"`` as shorthand for ``{"id": "loops"}``."""
        return {"id": value} if isinstance(value, str) else value


class CourseTranslation(_Strict):
    """The course's title and description in another locale (``course.translations``)."""

    title: ShortText | None = None
    description: Annotated[str, Field(min_length=1, max_length=10_000)] | None = None

    @field_validator("title", "description", mode="before")
    @classmethod
    def _strip_text(cls, value: Any) -> Any:
        """Strip surrounding whitespace so that a blank text counts as empty."""
        return value.strip() if isinstance(value, str) else value


class CourseHeader(_Strict):
    """The ``course:`` block of a course file."""

    id: Slug
    title: ShortText
    description: Text = ""
    #: The locale the lessons' ``title``, ``summary``, ``module`` and ``aliases`` are in.
    locale: LocaleId = DEFAULT_LOCALE
    #: The locales this course is served in (validation warns about missing translations
    #: for them); empty: the bot's locales (:data:`DEFAULT_SERVED_LOCALES`) once any lesson
    #: has a translation, else only its own ``locale``.
    locales: Annotated[list[LocaleId], Field(max_length=len(LEX_LOCALES))] = Field(
        default_factory=list
    )
    #: The course's title and description in other locales.
    translations: Annotated[
        dict[LocaleId, CourseTranslation], Field(max_length=len(LEX_LOCALES))
    ] = Field(default_factory=dict)
    weights: CourseWeights = Field(default_factory=CourseWeights)
    #: Warning codes not reported for this course's lessons (see :data:`WARNING_CODES`).
    silence_warnings: Annotated[list[WarningCode], Field(max_length=len(WARNING_CODES))] = Field(
        default_factory=list
    )

    @field_validator("title", mode="before")
    @classmethod
    def _strip_title(cls, value: Any) -> Any:
        """Strip surrounding whitespace so that a blank title counts as empty."""
        return value.strip() if isinstance(value, str) else value


RefList = Annotated[list[Reference], Field(max_length=500)]


class LessonTranslation(_Strict):
    """The text of a lesson in another locale: one entry of a lesson's ``translations``.

    Every field is optional; a field left out falls back to the lesson's own (in the
    course's ``locale``). A translation giving no field at all is an error
    (``empty-translation``).

    Example
    -------
    >>> LessonTranslation(title="Bucles for", aliases=["bucles"]).given()
    ('title', 'aliases')
    """

    title: ShortText | None = None
    summary: Annotated[str, Field(min_length=1, max_length=10_000)] | None = None
    module: ShortText | None = None
    aliases: Annotated[list[ShortText], Field(max_length=100)] = Field(default_factory=list)

    @field_validator("title", "summary", "module", mode="before")
    @classmethod
    def _strip_text(cls, value: Any) -> Any:
        """Strip surrounding whitespace so that a blank text counts as empty."""
        return value.strip() if isinstance(value, str) else value

    def given(self) -> tuple[str, ...]:
        """The fields this translation gives, in :data:`TRANSLATED_FIELDS` order."""
        return tuple(name for name in TRANSLATED_FIELDS if getattr(self, name))

    def as_node(self) -> dict[str, Any]:
        """The translation as a graph node stores it (``None``: not translated).

        Example
        -------
        >>> LessonTranslation(module="Bucles").as_node()
        {'title': None, 'summary': None, 'module': 'Bucles', 'aliases': ()}
        """
        return {
            "title": self.title,
            "summary": self.summary,
            "module": self.module,
            "aliases": tuple(self.aliases),
        }


class LessonSpec(_Strict):
    """One entry of the ``lessons:`` list."""

    id: Slug
    title: ShortText
    summary: Text = ""
    module: ShortText = DEFAULT_MODULE
    difficulty: Annotated[int, Field(ge=1, le=5)] = DEFAULT_DIFFICULTY
    minutes: Annotated[int, Field(gt=0, le=10_000)] = DEFAULT_MINUTES
    aliases: Annotated[list[ShortText], Field(max_length=100)] = Field(default_factory=list)
    tags: Annotated[list[ShortText], Field(max_length=100)] = Field(default_factory=list)
    url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2_000)] | None = None
    requires: RefList = Field(default_factory=list)
    requires_any: Annotated[list[RefList], Field(max_length=100)] = Field(default_factory=list)
    recommends: RefList = Field(default_factory=list)
    related: RefList = Field(default_factory=list)
    next: RefList = Field(default_factory=list)
    #: The lesson's text in other locales: locale id -> :class:`LessonTranslation`.
    translations: Annotated[
        dict[LocaleId, LessonTranslation], Field(max_length=len(LEX_LOCALES))
    ] = Field(default_factory=dict)

    @field_validator("title", "module", mode="before")
    @classmethod
    def _strip_text(cls, value: Any) -> Any:
        """Strip surrounding whitespace so that a blank title counts as empty."""
        return value.strip() if isinstance(value, str) else value

    def references(self) -> list[tuple[EdgeKind, Reference]]:
        """Return every (kind, reference) pair of this lesson, in field order.

        Example
        -------
        >>> spec = LessonSpec(id="b", title="B", requires=["a"], next=["c"])
        >>> [(k.value, r.id) for k, r in spec.references()]
        [('requires', 'a'), ('next', 'c')]
        """
        pairs: list[tuple[EdgeKind, Reference]] = [(EdgeKind.REQUIRES, r) for r in self.requires]
        pairs += [(EdgeKind.REQUIRES_ANY, r) for group in self.requires_any for r in group]
        pairs += [(EdgeKind.RECOMMENDS, r) for r in self.recommends]
        pairs += [(EdgeKind.RELATED, r) for r in self.related]
        pairs += [(EdgeKind.NEXT, r) for r in self.next]
        return pairs


class CourseFile(_Strict):
    """A whole course file: the header and its lessons."""

    course: CourseHeader
    lessons: Annotated[list[LessonSpec], Field(max_length=MAX_LESSONS_PER_COURSE)]


#: Top-level keys of a course file.
TOP_LEVEL_FIELDS: Final[tuple[str, ...]] = tuple(CourseFile.model_fields)
COURSE_FIELDS: Final[tuple[str, ...]] = tuple(CourseHeader.model_fields)
LESSON_FIELDS: Final[tuple[str, ...]] = tuple(LessonSpec.model_fields)
WEIGHT_FIELDS: Final[tuple[str, ...]] = tuple(CourseWeights.model_fields)
TRANSLATION_FIELDS: Final[tuple[str, ...]] = tuple(LessonTranslation.model_fields)


def module_translations(lessons: Iterable[LessonSpec]) -> dict[tuple[str, str], str]:
    """``(module, locale) -> translated module name`` of one course's lessons.

    A module is translated once for all its lessons: the first lesson (in file order)
    whose translation gives its ``module`` names it for every lesson of the module
    (validation reports lessons that name it differently, ``translation-conflict``).

    Example
    -------
    >>> specs = [LessonSpec(id="a", title="A", module="Basics"),
    ...          LessonSpec(id="b", title="B", module="Basics",
    ...                     translations={"es_US": {"module": "Conceptos básicos"}})]
    >>> module_translations(specs)
    {('Basics', 'es_US'): 'Conceptos básicos'}
    """
    names: dict[tuple[str, str], str] = {}
    for spec in lessons:
        for locale, translation in spec.translations.items():
            if translation.module:
                names.setdefault((spec.module, locale), translation.module)
    return names


def node_translations(
    spec: LessonSpec, modules: Mapping[tuple[str, str], str]
) -> dict[str, dict[str, Any]]:
    """The ``translations`` node attribute of a lesson: locale -> ``title``, ``summary``,
    ``module`` (None: not translated) and ``aliases``; ``module`` filled in from
    :func:`module_translations` for every locale its module is translated in.

    Example
    -------
    >>> spec = LessonSpec(id="a", title="A", module="Basics")
    >>> node_translations(spec, {("Basics", "es_US"): "Conceptos básicos"})["es_US"]["module"]
    'Conceptos básicos'
    """
    out = {locale: t.as_node() for locale, t in spec.translations.items()}
    for (module, locale), name in modules.items():
        if module == spec.module:
            entry = out.setdefault(locale, LessonTranslation().as_node())
            entry["module"] = entry["module"] or name
    return out


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
