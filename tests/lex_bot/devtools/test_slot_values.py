"""Slot values generated from the lesson graph (lex_bot/devtools/slot_values.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from knowledge_graph import LessonGraph, load_graph
from lex_bot.devtools.bot_definition import lex_text_key, load_bot_definition
from lex_bot.devtools.slot_values import (
    LESSON_SLOT_TYPE,
    MAX_VALUE_CHARS,
    MODULE_SLOT_TYPE,
    SLOT_VALUES_PATH,
    fit_value,
    generate_locale_slot_values,
    generate_slot_values,
    load_slot_values,
    main,
    render_slot_values,
    spoken_form,
    write_slot_values,
)

ALPHA = """\
course: {id: alpha, title: Alpha}
lessons:
  - id: loops
    title: For Loops
    module: Basics
    aliases: [loops, iteration, Repeat]
  - id: while
    title: While Loops
    module: Basics
    aliases: [repeat, while]
    next: [functions]
  - id: functions
    title: Functions
    module: Functions & Scope
    aliases: [def]
"""

BETA = """\
course: {id: beta, title: Beta}
lessons:
  - id: for-loops
    title: for loops
    module: basics
    aliases: [looping, While  Loops]
"""


def write_course(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def small_graph_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    write_course(folder, "a.yaml", ALPHA)
    write_course(folder, "b.yaml", BETA)
    return folder


@pytest.fixture(scope="module")
def bundled_graph() -> LessonGraph:
    from knowledge_graph.loader import BUNDLED_LOCATION

    return load_graph(BUNDLED_LOCATION)


def by_value(values: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {item["value"]: item["synonyms"] for item in values}


def assert_lex_clean(values: dict[str, list[dict[str, Any]]]) -> None:
    """Lex's rules: 1-140 characters, no text twice in a slot type (ignoring case)."""
    for name, items in values.items():
        texts = [t for item in items for t in [item["value"], *item["synonyms"]]]
        assert all(0 < len(t) <= MAX_VALUE_CHARS for t in texts), name
        keys = [lex_text_key(t) for t in texts]
        assert len(keys) == len(set(keys)), name


# ----------------------------------------------------------------------------- bundled course


def test_committed_slot_values_match_the_bundled_graph(bundled_graph: LessonGraph) -> None:
    generated = generate_locale_slot_values(bundled_graph)
    assert sorted(generated) == sorted(load_bot_definition().locales())
    assert load_slot_values() == generated, "run `python -m lex_bot slot-values`"
    assert SLOT_VALUES_PATH.read_text(encoding="utf-8") == render_slot_values(generated)


def test_slot_types_are_the_custom_types_of_the_definition(bundled_graph: LessonGraph) -> None:
    assert set(generate_slot_values(bundled_graph)) == set(load_bot_definition().slot_types)


def test_every_title_is_a_value_with_its_aliases_and_id(bundled_graph: LessonGraph) -> None:
    values = generate_slot_values(bundled_graph)
    lessons = by_value(values[LESSON_SLOT_TYPE])
    assert len(lessons) == len(bundled_graph)
    for lesson in bundled_graph.lessons():
        synonyms = {lex_text_key(s) for s in lessons[lesson.title]}
        names = {lex_text_key(a) for a in lesson.aliases} | {lex_text_key(lesson.key)}
        assert names - {lex_text_key(lesson.title)} <= synonyms, lesson.id
    modules = [item["value"] for item in values[MODULE_SLOT_TYPE]]
    assert modules == [m.name for m in bundled_graph.modules()]
    assert_lex_clean(values)


def test_the_deploy_generator_keeps_every_value_and_synonym(bundled_graph: LessonGraph) -> None:
    from deploy.lex_template import slot_type_values

    for items in generate_slot_values(bundled_graph).values():
        lex = slot_type_values(items)
        assert [v["SampleValue"]["Value"] for v in lex] == [item["value"] for item in items]
        assert [[s["Value"] for s in v.get("Synonyms", [])] for v in lex] == [
            item["synonyms"] for item in items
        ]


# ----------------------------------------------------------------------------- rules


def test_collisions_are_dropped_and_shared_titles_merged(small_graph_dir: Path) -> None:
    values = generate_slot_values(load_graph(small_graph_dir))
    assert values[LESSON_SLOT_TYPE] == [
        # "Repeat"/"repeat" is claimed by two lessons: dropped from both; beta's "for loops"
        # is the same title: one value, with the synonyms of both lessons
        {"value": "For Loops", "synonyms": ["loops", "iteration", "looping", "for-loops"]},
        {"value": "While Loops", "synonyms": ["while"]},
        # beta's alias "While  Loops" is another lesson's value: dropped (an alias equal to a
        # title of its own course is a validation error, one of another course a warning)
        {"value": "Functions", "synonyms": ["def"]},
    ]
    assert values[MODULE_SLOT_TYPE] == [
        {"value": "Basics", "synonyms": []},
        {"value": "Functions & Scope", "synonyms": ["Functions and Scope"]},
    ]
    assert_lex_clean(values)


def test_generation_is_deterministic(small_graph_dir: Path) -> None:
    first = render_slot_values(generate_slot_values(load_graph(small_graph_dir)))
    assert render_slot_values(generate_slot_values(load_graph(small_graph_dir))) == first


def test_long_texts_fit_lex(tmp_path: Path) -> None:
    title = "Word " * 39 + "End"  # 198 characters: a valid title, too long for Lex
    alias = "x" * 141
    write_course(
        tmp_path / "lessons",
        "c.yaml",
        f"course: {{id: c, title: C}}\nlessons:\n"
        f"  - {{id: long, title: {title}, aliases: [{alias}, short]}}\n",
    )
    values = generate_slot_values(load_graph(tmp_path / "lessons"))
    (item,) = values[LESSON_SLOT_TYPE]
    assert item["value"] == fit_value(title)
    assert len(item["value"]) <= MAX_VALUE_CHARS and item["value"].endswith("Word")
    assert alias not in item["synonyms"] and "short" in item["synonyms"]
    assert_lex_clean(values)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Loops", 140, "Loops"),
        ("  Loops   and  more ", 140, "Loops and more"),
        ("Loops and more", 9, "Loops and"),
        ("Loops and more", 8, "Loops"),
        ("Unbreakable", 5, "Unbre"),
    ],
)
def test_fit_value(text: str, limit: int, expected: str) -> None:
    assert fit_value(text, limit) == expected


def test_spoken_form() -> None:
    assert spoken_form("Counting with range()") == "Counting with range"
    assert spoken_form("Hello, World!") == "Hello World"
    assert spoken_form("What's next?") == "What's next"


# ----------------------------------------------------------------------------- files and CLI


def test_write_and_load_round_trip(small_graph_dir: Path, tmp_path: Path) -> None:
    graph = load_graph(small_graph_dir)
    path = write_slot_values(graph, tmp_path / "values.json")
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "en_US": {\n    "LessonTitle"')
    assert load_slot_values(path) == generate_locale_slot_values(graph)


def test_load_refuses_a_file_of_the_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "values.json"
    path.write_text('{"LessonTitle": "Loops"}', encoding="utf-8")
    with pytest.raises(ValueError, match="expected an object"):
        load_slot_values(path)


def test_command_writes_then_checks(
    small_graph_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "values.json"
    args = ["--graph", str(small_graph_dir), "--output", str(out)]
    assert main([*args, "--check"]) == 1  # no file yet
    assert not out.exists()
    assert main(args) == 0
    assert load_slot_values(out) == generate_locale_slot_values(load_graph(small_graph_dir))
    assert main([*args, "--check"]) == 0

    # an author adds an alias: the committed values are stale until regenerated
    write_course(small_graph_dir, "b.yaml", BETA.replace("[looping,", "[looping, cycles,"))
    before = out.read_text(encoding="utf-8")
    assert main([*args, "--check"]) == 1
    assert out.read_text(encoding="utf-8") == before  # --check never writes
    assert "out of date" in capsys.readouterr().err
    assert main(args) == 0
    assert "cycles" in by_value(load_slot_values(out)["en_US"][LESSON_SLOT_TYPE])["For Loops"]
    assert main([*args, "--check"]) == 0


def test_command_reports_an_unloadable_graph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "values.json"
    assert main(["--graph", str(tmp_path / "missing"), "--output", str(out)]) == 1
    assert "cannot load the lesson graph" in capsys.readouterr().err
    assert not out.exists()


def test_command_checks_the_committed_file_by_default() -> None:
    assert main(["--check"]) == 0


def test_each_locale_gets_its_titles_and_modules(bundled_graph: LessonGraph) -> None:
    from knowledge_graph.file_format import DEFAULT_SERVED_LOCALES

    assert tuple(load_bot_definition().locales()) == DEFAULT_SERVED_LOCALES
    spanish = generate_slot_values(bundled_graph, "es_US")
    english = generate_slot_values(bundled_graph, "en_US")
    loops = by_value(spanish[LESSON_SLOT_TYPE])["Bucles for"]
    assert {"bucles", "ciclo for", "For Loops", "loops", "for-loops"} <= set(loops)
    assert "Bucles for" not in by_value(english[LESSON_SLOT_TYPE])
    assert "bucles" not in by_value(english[LESSON_SLOT_TYPE])["For Loops"]
    assert by_value(spanish[MODULE_SLOT_TYPE])["Control de flujo"] == ["Control Flow"]
    assert [v["value"] for v in spanish[LESSON_SLOT_TYPE]] == [
        lesson.title for lesson in bundled_graph.localized("es_US").lessons()
    ]
