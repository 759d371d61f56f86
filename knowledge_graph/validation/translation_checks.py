"""Translation checks: locale ids, the ``translations`` of each lesson, what is missing.

Errors (the file is refused):

* ``unknown-locale``: a ``locale``, ``locales`` entry or ``translations`` key that is not
  an Amazon Lex V2 locale id (:data:`~knowledge_graph.file_format.LEX_LOCALES`);
* ``translation-locale``: a translation into the course's own ``locale`` (its text belongs
  in the lesson's own fields);
* ``empty-translation``: a translation that gives no field;
* ``translation-conflict``: two lessons of one module naming it differently in a locale;
* ``title-collision``: two lessons of a course with the same title in a locale (their
  translated titles, or one's translated title and the other's untranslated one).

Warnings, one per course, locale and kind, counted (a course of 50 untranslated lessons
gets one line per kind, not 50): ``missing-title-translation``,
``missing-summary-translation`` (only lessons that have a summary) and
``missing-module-translation`` (counted per module), for each locale the course is served in
but not written in: the ``locales`` given to :func:`check_translations` (``validate
--locales``), else the course header's ``locales``, else, for a course that translates
anything, :data:`~knowledge_graph.file_format.DEFAULT_SERVED_LOCALES` (the bot's locales).
A course with neither ``locales`` nor any translation is written for its own locale only:
it is not warned about unless ``--locales`` names others.

Example
-------
>>> from knowledge_graph.validation import validate_documents
>>> from knowledge_graph.sources import RawDocument
>>> report = validate_documents([RawDocument.from_text("c.yaml", '''
... course: {id: c, title: C, locales: [en_US, es_US]}
... lessons:
...   - {id: a, title: Loops, summary: Repeat., translations: {es_US: {title: Bucles}}}
...   - {id: b, title: Lists, summary: Many values., translations: {es-US: {title: Listas}}}
... ''')])
>>> for issue in report.issues:
...     print(issue.format())
c.yaml:4: warning [c] translations: 2 of 2 lessons have no es_US summary: 'a' and 'b'
c.yaml:4: warning [c] translations: 1 of 1 module has no es_US name: 'General' (first lesson 'a')
c.yaml:5: error [c/b] translations: 'es-US' is not a Lex locale id (did you mean 'es_US'?)
c.yaml:5: warning [c/b] translations: 1 of 2 lessons have no es_US title: 'b'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from knowledge_graph.file_format import DEFAULT_SERVED_LOCALES, LEX_LOCALES
from knowledge_graph.text import fold_text
from knowledge_graph.validation.field_checks import CheckedFile, LocatedLesson
from knowledge_graph.validation.issues import FileContext, Severity, did_you_mean

#: Lesson ids named in a missing-translation warning before "and N more".
NAMED_IN_WARNING: Final[int] = 5


def check_locale_ids(locales: Iterable[str]) -> list[str]:
    """The entries of ``locales`` that are not Lex locale ids (for ``validate --locales``).

    Example
    -------
    >>> check_locale_ids(["en_US", "es-US"])
    ['es-US']
    """
    return [x for x in locales if x not in LEX_LOCALES]


def _unknown_locale(
    ctx: FileContext, locale: str, path: tuple[str | int, ...], **where: str
) -> bool:
    """Report ``locale`` when Lex does not know it; return True when it was reported."""
    if locale in LEX_LOCALES:
        return False
    ctx.add(
        Severity.ERROR,
        "unknown-locale",
        f"{locale!r} is not a Lex locale id" + did_you_mean(locale.replace("-", "_"), LEX_LOCALES),
        path,
        hint="write a locale as Amazon Lex V2 names it: language_REGION, e.g. en_US, es_US",
        **where,
    )
    return True


def _names(ids: Sequence[str]) -> str:
    """``'a', 'b' and 'c'`` (at most :data:`NAMED_IN_WARNING` names, then "and N more")."""
    quoted = [repr(i) for i in ids[:NAMED_IN_WARNING]]
    rest = len(ids) - len(quoted)
    if rest:
        return f"{', '.join(quoted)} and {rest} more"
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def check_translations(
    checked: Sequence[CheckedFile],
    lessons: dict[str, LocatedLesson],
    served: Sequence[str] | None = None,
) -> None:
    """Report the translation errors and missing-translation warnings (module docstring).

    Parameters
    ----------
    checked : sequence of CheckedFile
        The schema-checked files (their headers' ``locale`` and ``locales``).
    lessons : dict of qualified id to LocatedLesson
        The lessons that passed the schema checks.
    served : sequence of str, optional
        The locales the bot serves (``validate --locales``); overrides every course's
        ``locales``.
    """
    by_course: dict[str, list[LocatedLesson]] = {}
    for located in lessons.values():
        by_course.setdefault(located.course.course_id, []).append(located)
    for item in checked:
        if item.sourced is None:
            continue
        header = item.sourced.document.course
        ctx = item.ctx
        own = str(getattr(header, "locale", "") or "en_US")
        bad_own = _unknown_locale(ctx, own, ("course", "locale"), field="locale")
        for k, locale in enumerate(getattr(header, "locales", None) or ()):
            _unknown_locale(ctx, locale, ("course", "locales", k), field="locales")
        for locale in getattr(header, "translations", None) or {}:
            path = ("course", "translations", locale)
            if not _unknown_locale(ctx, locale, path, field="translations") and locale == own:
                ctx.add(
                    Severity.ERROR,
                    "translation-locale",
                    f"the course is written in {own} (its 'locale'): a translation into "
                    f"{own} would replace its own title",
                    path,
                    field="translations",
                )
        course_lessons = by_course.get(header.id, [])
        _check_lesson_translations(course_lessons, own, bad_own)
        _check_localized_titles(course_lessons)
        wanted = served if served is not None else (getattr(header, "locales", None) or ())
        if not wanted and any(loc.spec.translations for loc in course_lessons):
            wanted = DEFAULT_SERVED_LOCALES
        targets = [x for x in wanted if x != own and x in LEX_LOCALES]
        for locale in dict.fromkeys(targets):
            _warn_missing(ctx, course_lessons, locale)


def _check_lesson_translations(
    course_lessons: list[LocatedLesson], own: str, bad_own: bool
) -> None:
    """Locale ids, own-locale and empty translations, and module names that disagree."""
    modules: dict[tuple[str, str], tuple[str, str]] = {}
    for loc in course_lessons:
        spec, ctx = loc.spec, loc.ctx
        for locale, translation in spec.translations.items():
            path = ("lessons", loc.index, "translations", locale)
            where = {"lesson": spec.id, "field": "translations"}
            if _unknown_locale(ctx, locale, path, **where):
                continue
            if locale == own and not bad_own:
                ctx.add(
                    Severity.ERROR,
                    "translation-locale",
                    f"the course is written in {own} (its 'locale'): a translation into "
                    f"{own} would replace the lesson's own text",
                    path,
                    hint=f"put the text in the lesson's own fields and remove translations.{own}",
                    **where,
                )
                continue
            if not translation.given():
                ctx.add(
                    Severity.ERROR,
                    "empty-translation",
                    f"the {locale} translation gives no title, summary, module or aliases",
                    path,
                    hint=f"add the {locale} title (or remove the empty entry)",
                    **where,
                )
                continue
            if translation.module:
                first = modules.setdefault((spec.module, locale), (translation.module, spec.id))
                if fold_text(first[0]) != fold_text(translation.module):
                    ctx.add(
                        Severity.ERROR,
                        "translation-conflict",
                        f"module {spec.module!r} is {translation.module!r} in {locale} here "
                        f"but {first[0]!r} in lesson {first[1]!r}: a module has one name per "
                        "locale",
                        (*path, "module"),
                        hint=f"use {first[0]!r}, or give the module's {locale} name only once",
                        **where,
                    )


def _check_localized_titles(course_lessons: list[LocatedLesson]) -> None:
    """Two lessons of a course whose titles in some locale are the same (ignoring case,
    accents and punctuation), where at least one of the two is a translation."""
    locales = {x for loc in course_lessons for x in loc.spec.translations if x in LEX_LOCALES}
    for locale in sorted(locales):
        seen: dict[str, tuple[str, bool]] = {}
        for loc in course_lessons:
            translation = loc.spec.translations.get(locale)
            translated = translation is not None and bool(translation.title)
            title = translation.title if translation is not None and translation.title else None
            key = fold_text(title or loc.spec.title)
            if not key:
                continue
            other = seen.get(key)
            if other is not None and (translated or other[1]):
                loc.ctx.add(
                    Severity.ERROR,
                    "title-collision",
                    f"in {locale} the title {title or loc.spec.title!r} is the same as lesson "
                    f"{other[0]!r}'s (compared ignoring case, accents and punctuation)",
                    ("lessons", loc.index, "translations", locale, "title")
                    if translated
                    else ("lessons", loc.index, "title"),
                    lesson=loc.spec.id,
                    field="translations",
                )
                continue
            seen.setdefault(key, (loc.spec.id, translated))
        _check_localized_aliases(course_lessons, locale, seen)


def _check_localized_aliases(
    course_lessons: list[LocatedLesson], locale: str, titles: dict[str, tuple[str, bool]]
) -> None:
    """A translation's alias that is another lesson's title in that locale (error: that
    title could no longer be found there) or another lesson's alias there (warning)."""
    aliases: dict[str, str] = {}
    for loc in course_lessons:
        for alias in loc.spec.aliases:
            aliases.setdefault(fold_text(alias), loc.spec.id)
    for loc in course_lessons:
        translation = loc.spec.translations.get(locale)
        for k, alias in enumerate(translation.aliases if translation is not None else ()):
            key = fold_text(alias)
            title_owner = titles.get(key, (loc.spec.id, False))[0]
            alias_owner = aliases.setdefault(key, loc.spec.id)
            other = title_owner if title_owner != loc.spec.id else alias_owner
            if not key or other == loc.spec.id:
                continue
            is_title = title_owner != loc.spec.id
            loc.ctx.add(
                Severity.ERROR if is_title else Severity.WARNING,
                "alias-collision",
                f"in {locale} the alias {alias!r} is also "
                f"{'the title' if is_title else 'an alias'} of lesson {other!r}",
                ("lessons", loc.index, "translations", locale, "aliases", k),
                lesson=loc.spec.id,
                field="translations",
                hint=f"remove the alias {alias!r} or change it",
            )


def _warn_missing(ctx: FileContext, course_lessons: list[LocatedLesson], locale: str) -> None:
    """One counted warning per missing kind (title, summary, module) for ``locale``."""
    no_title = [loc for loc in course_lessons if not _given(loc, locale, "title")]
    with_summary = [loc for loc in course_lessons if loc.spec.summary]
    no_summary = [loc for loc in with_summary if not _given(loc, locale, "summary")]
    modules: dict[str, list[LocatedLesson]] = {}
    for loc in course_lessons:
        modules.setdefault(loc.spec.module, []).append(loc)
    no_module = [
        members
        for members in modules.values()
        if not any(_given(loc, locale, "module") for loc in members)
    ]
    total = len(course_lessons)
    for code, missing, noun in (
        ("missing-title-translation", no_title, "title"),
        ("missing-summary-translation", no_summary, "summary"),
    ):
        if not missing:
            continue
        count = len(with_summary) if noun == "summary" else total
        ctx.add(
            Severity.WARNING,
            code,
            f"{len(missing)} of {count} lessons have no {locale} {noun}: "
            + _names([loc.spec.id for loc in missing]),
            ("lessons", missing[0].index),
            lesson=missing[0].spec.id if len(missing) == 1 else None,
            field="translations",
            hint=f"add translations: {{{locale}: {{{noun}: ...}}}} to each (FORMAT.md, "
            '"Translations")',
        )
    if no_module:
        first = no_module[0][0]
        ctx.add(
            Severity.WARNING,
            "missing-module-translation",
            f"{len(no_module)} of {len(modules)} "
            f"module{' has' if len(modules) == 1 else 's have'} no {locale} name: "
            + _names([members[0].spec.module for members in no_module])
            + f" (first lesson {first.spec.id!r})",
            ("lessons", first.index),
            field="translations",
            hint=f"add translations: {{{locale}: {{module: ...}}}} to one lesson of each module",
        )


def _given(loc: LocatedLesson, locale: str, name: str) -> bool:
    translation = loc.spec.translations.get(locale)
    return translation is not None and bool(getattr(translation, name))


__all__ = ["check_locale_ids", "check_translations"]
