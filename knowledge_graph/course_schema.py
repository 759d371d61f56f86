"""The pydantic schema of one course file: what validation reads a course file into.

The format's names, kinds and limits are in :mod:`knowledge_graph.file_format`; see
``knowledge_graph/FORMAT.md`` for the author-facing reference. Only validation (and the
tools built on it) imports this module: serving a compiled index never builds the schema.

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

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from knowledge_graph.file_format import (
    DEFAULT_DIFFICULTY,
    DEFAULT_LOCALE,
    DEFAULT_MINUTES,
    DEFAULT_MODULE,
    DEFAULT_WEIGHTS,
    LEX_LOCALES,
    MAX_LESSONS_PER_COURSE,
    MAX_SCORING_WEIGHT,
    REFERENCE_PATTERN,
    SLUG_PATTERN,
    TRANSLATED_FIELDS,
    WARNING_CODES,
    EdgeKind,
    WarningCode,
)

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
