"""Localized course content: the translations block, its checks, and what it changes.

A lesson's ``translations: {es_US: {title, summary, module, aliases}}`` gives its text in
another locale; everything that shows or finds a lesson in that locale uses it, and falls
back to the course's own locale (saying so in ``title_locale``) where it is missing.
"""

from __future__ import annotations

import io

import pytest

from knowledge_graph.cli import main
from knowledge_graph.compiled import compile_tables, current_version, open_index, write_compiled
from knowledge_graph.file_format import DEFAULT_SERVED_LOCALES
from knowledge_graph.incremental import apply_changes
from knowledge_graph.loader import serve_tables
from knowledge_graph.model import LessonGraph
from knowledge_graph.sources import RawDocument
from knowledge_graph.validation import validate_documents

COURSE = """\
course:
  id: py
  title: Python
  locale: en_US
  locales: [en_US, es_US]
lessons:
  - id: loops
    title: For Loops
    summary: Repeat code for each item.
    module: Control Flow
    aliases: [loops]
    translations:
      es_US:
        title: Bucles for
        summary: Repite código para cada elemento.
        module: Control de flujo
        aliases: [bucles, bucles for]
  - id: classes
    title: Classes
    summary: Define your own types.
    module: Objects
    requires: [loops]
    translations:
      es_US: {title: Clases, summary: Define tus propios tipos., module: Objetos}
  - id: while
    title: While Loops
    summary: Repeat while a condition holds.
    module: Control Flow
    requires: [loops]
"""


def report_of(text: str, **options):
    return validate_documents([RawDocument.from_text("py.yaml", text)], **options)


def graph_of(text: str = COURSE) -> LessonGraph:
    report = report_of(text)
    assert report.ok, report.format()
    return LessonGraph.from_networkx(report.graph)


def codes(report) -> list[tuple[str, int | None]]:
    return [(i.code, i.line) for i in report.issues]


def test_localized_lessons_and_the_fallback_say_which_locale_their_text_is_in():
    spanish = graph_of().localized("es_US")
    loops = spanish.lesson("loops")
    assert (loops.title, loops.summary, loops.module) == (
        "Bucles for",
        "Repite código para cada elemento.",
        "Control de flujo",
    )
    assert (loops.title_locale, loops.summary_locale, loops.module_locale) == ("es_US",) * 3
    assert loops.module_key == "Control Flow"
    assert loops.aliases[:2] == ("bucles", "bucles for")
    untranslated = spanish.lesson("while")
    assert (untranslated.title, untranslated.title_locale) == ("While Loops", "en_US")
    # the module is translated once for all its lessons
    assert (untranslated.module, untranslated.module_locale) == ("Control de flujo", "es_US")
    english = graph_of().lesson("loops")
    assert (english.title, english.title_locale, english.module) == (
        "For Loops",
        "en_US",
        "Control Flow",
    )
    assert graph_of().lesson("loops", locale="es_US") == loops


def test_modules_keep_their_identity_across_locales():
    graph = graph_of()
    english, spanish = graph.modules(), graph.localized("es_US").modules()
    assert [m.key for m in english] == [m.key for m in spanish] == ["Control Flow", "Objects"]
    assert [m.name for m in spanish] == ["Control de flujo", "Objetos"]
    assert [m.lesson_ids for m in english] == [m.lesson_ids for m in spanish]


def test_paths_are_localized():
    path = graph_of().localized("es_US").path_to("classes", [])
    assert [s.title for s in path.steps] == ["Bucles for", "Clases"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bucles for", "py/loops"),
        ("las clases", "py/classes"),
        ("la lección de bucles", "py/loops"),
    ],
)
def test_search_matches_translated_titles_and_aliases_in_their_locale_only(query, expected):
    graph = graph_of()
    found = graph.find(query, locale="es_US")
    assert found.best is not None and found.best.lesson_id == expected
    assert found.best.title == graph.lesson(expected, locale="es_US").title
    assert graph.localized("es_US").find(query).best.lesson_id == expected
    english = graph.find(query)
    assert english.best is None or english.best.lesson_id != expected or english.best.confidence < 1


def test_names_in_the_course_locale_match_in_every_locale():
    assert graph_of().find("for loops", locale="es_US").best.lesson_id == "py/loops"


def test_missing_translations_are_one_counted_warning_per_kind():
    text = COURSE.replace("locales: [en_US, es_US]", "locales: [en_US, es_US, fr_FR]")
    report = report_of(text)
    assert report.ok
    warnings = {(i.code, i.message) for i in report.warnings}
    assert ("missing-title-translation", "1 of 3 lessons have no es_US title: 'while'") in warnings
    assert (
        "missing-summary-translation",
        "3 of 3 lessons have no fr_FR summary: 'loops', 'classes' and 'while'",
    ) in warnings
    fr_modules = [i for i in report.warnings if i.code == "missing-module-translation"]
    assert len(fr_modules) == 1 and fr_modules[0].message.startswith("2 of 2 modules have no fr_FR")
    # es_US: the module of 'while' is translated by 'loops'
    assert not [i for i in report.warnings if "es_US name" in i.message]
    assert len(report.warnings) == 5  # es_US title + summary, fr_FR title + summary + module


def test_served_locales_come_from_the_option_then_the_header_then_the_bots():
    assert DEFAULT_SERVED_LOCALES == ("en_US", "es_US")
    only_english = report_of(COURSE, locales=["en_US"])
    assert not only_english.warnings
    headerless = COURSE.replace("  locales: [en_US, es_US]\n", "")
    assert {i.code for i in report_of(headerless).warnings} == {
        "missing-title-translation",
        "missing-summary-translation",
    }
    untranslated = "course: {id: c, title: C}\nlessons:\n  - {id: a, title: A, summary: S}\n"
    assert not report_of(untranslated).warnings  # written for its own locale only
    assert len(report_of(untranslated, locales=["es_US"]).warnings) == 3
    with pytest.raises(ValueError, match="es-US"):
        report_of(COURSE, locales=["es-US"])


def test_missing_translation_warnings_can_be_silenced():
    text = COURSE.replace(
        "  locales: [en_US, es_US]\n",
        "  locales: [en_US, es_US]\n  silence_warnings: [missing-title-translation]\n",
    )
    report = report_of(text)
    assert "missing-title-translation" not in {i.code for i in report.warnings}
    assert report.silenced == {"missing-title-translation": 1}


@pytest.mark.parametrize(
    ("old", "new", "code", "at"),
    [
        (
            "      es_US:\n        title: Bucles for",
            "      es-US:\n        title: Bucles for",
            "unknown-locale",
            "es-US:",
        ),
        ("  locale: en_US", "  locale: english", "unknown-locale", "locale: english"),
        (
            "      es_US: {title: Clases,",
            "      en_US: {title: Clases,",
            "translation-locale",
            "en_US: {title: Clases",
        ),
        (
            "      es_US: {title: Clases, summary: Define tus propios tipos., module: Objetos}",
            "      es_US: {}",
            "empty-translation",
            "es_US: {}",
        ),
        (
            "    summary: Repeat while a condition holds.\n",
            "    summary: Repeat while a condition holds.\n"
            "    translations: {es_US: {module: Flujo}}\n",
            "translation-conflict",
            "module: Flujo",
        ),
    ],
)
def test_translation_errors_name_file_and_line(old, new, code, at):
    text = COURSE.replace(old, new)
    assert text != COURSE
    report = report_of(text)
    assert not report.ok
    first = report.errors[0]
    expected_line = next(n for n, line in enumerate(text.splitlines(), 1) if at in line)
    assert (first.code, first.file, first.line) == (code, "py.yaml", expected_line), report.format()


def test_a_translated_title_may_not_repeat_another_lessons_title_in_that_locale():
    text = COURSE.replace("title: Clases,", "title: Bucles For,")
    report = report_of(text)
    assert [i.code for i in report.errors] == ["title-collision"]
    assert "es_US" in report.errors[0].message


def test_localized_fields_survive_compile_load_and_incremental_reload(tmp_path):
    (tmp_path / "py.yaml").write_text(COURSE, encoding="utf-8")
    write_compiled(tmp_path)
    served = serve_tables(open_index(current_version(tmp_path)))
    built = graph_of()
    for locale in ("en_US", "es_US"):
        assert served.localized(locale).lessons() == built.localized(locale).lessons()
        assert served.localized(locale).modules() == built.localized(locale).modules()
        assert served.find("bucles", locale=locale) == built.find("bucles", locale=locale)
    assert served.fingerprint == built.fingerprint
    edited = COURSE.replace("title: Clases,", "title: Clases y objetos,")
    tables = compile_tables([RawDocument.from_text("py.yaml", COURSE)])
    spliced, report = apply_changes(tables, {"py.yaml": RawDocument.from_text("py.yaml", edited)})
    assert report.ok
    reloaded = serve_tables(spliced).localized("es_US")
    assert reloaded.lesson("classes").title == "Clases y objetos"
    assert reloaded.find("clases y objetos").best.lesson_id == "py/classes"
    assert reloaded.lessons() == graph_of(edited).localized("es_US").lessons()


def test_validate_and_find_options():
    out = io.StringIO()
    assert main(["validate", "data/lessons", "--locales", "en_US,es_US"], stdout=out) == 0
    out = io.StringIO()
    assert (
        main(["find", "bucles", "for", "--locale", "es_US", "--graph", "data/lessons"], stdout=out)
        == 0
    )
    assert "python-intro/for-loops" in out.getvalue()


def test_the_course_title_is_localized_too():
    text = COURSE.replace(
        "  locales: [en_US, es_US]\n",
        "  locales: [en_US, es_US]\n  translations: {es_US: {title: Python en español}}\n",
    )
    graph = graph_of(text)
    assert graph.courses["py"].title == "Python"
    spanish = graph.localized("es_US").courses["py"]
    assert (spanish.title, spanish.title_locale) == ("Python en español", "es_US")
    assert graph.localized("fr_FR").courses["py"].title_locale == "en_US"
    bad = text.replace("translations: {es_US: {title", "translations: {en_US: {title")
    assert [i.code for i in report_of(bad).errors] == ["translation-locale"]


def test_a_translated_alias_may_not_be_another_lessons_title_in_that_locale():
    error = COURSE.replace("aliases: [bucles, bucles for]", "aliases: [bucles, clases]")
    assert [(i.code, i.severity.value) for i in report_of(error).errors] == [
        ("alias-collision", "error")
    ]
    warning = COURSE.replace(
        "      es_US: {title: Clases,", "      es_US: {aliases: [bucles], title: Clases,"
    )
    collisions = [i for i in report_of(warning).issues if i.code == "alias-collision"]
    assert [(i.severity.value, i.lesson) for i in collisions] == [("warning", "classes")]
