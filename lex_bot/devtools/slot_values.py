"""Slot values for Lex, per locale, generated from the lesson graph (so authors' edits and
translations reach the bot).

In each bot locale, ``LessonTitle`` (the type of the ``LessonName`` and ``GoalLesson`` slots)
gets one value per lesson: its title in that locale (``LessonGraph.localized``: the course's
translation, else its own title), with the locale's aliases, the course-locale title and
aliases, the titles without punctuation and the id as synonyms; ``ModuleName`` (the
``Module`` slot) one value per module: its name in that locale, with its course-locale name
as a synonym. Lex resolves a synonym to its value, so a Spanish learner saying "for loops"
gets "Bucles for", the name the bot then finds in es_US. The result follows Lex's rules:

* values and synonyms have 1-140 characters (a longer title is shortened at a word boundary;
  a longer synonym is dropped);
* within a slot type, no text (ignoring case and repeated spaces) is used twice: lessons that
  share a title share one value, and a synonym that another lesson also claims, or that is
  another lesson's value, is dropped from every lesson (Lex could not tell them apart; the
  bot's own search still can, since the slots resolve to what the learner said).

``python -m lex_bot slot-values`` writes ``lex_bot/lesson_app/slot_values.json``
(``{locale: {slot type: [{"value", "synonyms"}]}}`` for every locale of the bot definition;
commit it: the deploy template is generated from it); ``--check`` exits 1 when the committed
file is stale.

Example:
    >>> from knowledge_graph import load_graph
    >>> values = generate_slot_values(load_graph("data/lessons"))
    >>> values["LessonTitle"][0]
    {'value': 'What Is Programming?', 'synonyms': ['intro', 'introduction', ...]}
    >>> spanish = generate_slot_values(load_graph("data/lessons"), "es_US")
    >>> first = spanish["LessonTitle"][0]
    >>> first["value"], "What Is Programming?" in first["synonyms"]
    ('¿Qué es programar?', True)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lex_bot.devtools.bot_definition import lex_text_key

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import LessonGraph

logger = logging.getLogger(__name__)

SLOT_VALUES_PATH = Path(__file__).resolve().parent.parent / "lesson_app" / "slot_values.json"
#: The bundled sample course (``data/lessons``).
DEFAULT_GRAPH_PATH = Path(__file__).resolve().parents[2] / "data" / "lessons"

LESSON_SLOT_TYPE = "LessonTitle"
MODULE_SLOT_TYPE = "ModuleName"
#: Lex V2: a slot type value or synonym has at most 140 characters.
MAX_VALUE_CHARS = 140

SlotValues = dict[str, list[dict[str, Any]]]
#: Slot values of every bot locale: ``{locale: SlotValues}`` (the committed file's shape).
LocaleSlotValues = dict[str, SlotValues]


def spoken_form(text: str) -> str:
    """``text`` without punctuation (what a voice transcript of it looks like).

    Example:
        >>> spoken_form("Hello, World!")
        'Hello World'
        >>> spoken_form("Files & Folders")
        'Files and Folders'
    """
    kept = "".join(c if c.isalnum() or c in "'" else " " for c in text.replace("&", " and "))
    return " ".join(kept.split())


def fit_value(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` with spaces collapsed, shortened at a word boundary to ``limit`` characters.

    Example:
        >>> fit_value("Loops   and   more", limit=10)
        'Loops and'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return head[:limit].rstrip()


def _entries(
    items: Iterable[tuple[str, Sequence[str]]],
) -> list[tuple[str, list[str]]]:
    """Merge ``(value, synonym candidates)`` by value key, keeping first-seen order."""
    merged: dict[str, tuple[str, list[str]]] = {}
    for raw_value, candidates in items:
        value = fit_value(raw_value)
        if not value:
            continue
        entry = merged.setdefault(lex_text_key(value), (value, []))
        entry[1].extend(candidates)
    return list(merged.values())


def _resolve(items: Iterable[tuple[str, Sequence[str]]], slot_type: str) -> list[dict[str, Any]]:
    """Lex-ready ``[{"value", "synonyms"}]`` with long and colliding synonyms dropped."""
    entries = _entries(items)
    value_keys = {lex_text_key(value) for value, _ in entries}
    owners: dict[str, int] = {}
    own_synonyms: list[list[str]] = []
    for value, candidates in entries:
        seen = {lex_text_key(value)}
        synonyms = []
        for candidate in candidates:
            text = " ".join(str(candidate).split())
            key = lex_text_key(text)
            if not text or len(text) > MAX_VALUE_CHARS or key in seen:
                continue
            seen.add(key)
            synonyms.append(text)
            owners[key] = owners.get(key, 0) + 1
        own_synonyms.append(synonyms)
    out = []
    for (value, _), synonyms in zip(entries, own_synonyms, strict=True):
        kept = []
        for synonym in synonyms:
            key = lex_text_key(synonym)
            if key in value_keys or owners[key] > 1:
                logger.info(
                    "slot synonym dropped: used by another value",
                    extra={"slot_type": slot_type, "value": value, "synonym": synonym},
                )
                continue
            kept.append(synonym)
        out.append({"value": value, "synonyms": kept})
    return out


def lesson_synonym_candidates(title: str, aliases: Sequence[str], lesson_key: str) -> list[str]:
    """What learners may call a lesson besides its title: aliases, spoken title, id.

    Example:
        >>> lesson_synonym_candidates("For Loops", ["loops"], "for-loops")
        ['loops', 'for-loops']
    """
    candidates = [*aliases, spoken_form(title), lesson_key, spoken_form(lesson_key)]
    return [c for c in candidates if lex_text_key(c) != lex_text_key(title)]


def generate_slot_values(graph: LessonGraph, locale: str | None = None) -> SlotValues:
    """The values of the lesson and module slot types of one locale, generated from ``graph``.

    Parameters:
        graph: the lesson graph (``knowledge_graph.load_graph``).
        locale: the bot locale (a Lex locale id); None: each course's own locale.
    Returns:
        ``{"LessonTitle": [{"value": title, "synonyms": [...]}, ...], "ModuleName": [...]}``
        with lessons and modules in the graph's load order (deterministic), titles and
        module names in ``locale`` where the course translates them.

    Example:
        >>> generate_slot_values(graph)["ModuleName"][0]
        {'value': 'Getting Started', 'synonyms': []}
        >>> generate_slot_values(graph, "es_US")["ModuleName"][0]
        {'value': 'Primeros pasos', 'synonyms': ['Getting Started']}
    """
    view = graph.localized(locale)
    own = graph.localized(None)
    lesson_items = []
    for lesson in view.lessons():
        original = own.lesson(lesson.id)
        extra = [] if original.title == lesson.title else [original.title]
        candidates = [*lesson.aliases, *extra, *(spoken_form(t) for t in extra)]
        lesson_items.append(
            (lesson.title, lesson_synonym_candidates(lesson.title, candidates, lesson.key))
        )
    module_items = [
        (module.name, [spoken_form(module.name), module.key, spoken_form(module.key)])
        for module in view.modules()
    ]
    return {
        LESSON_SLOT_TYPE: _resolve(lesson_items, LESSON_SLOT_TYPE),
        MODULE_SLOT_TYPE: _resolve(module_items, MODULE_SLOT_TYPE),
    }


def generate_locale_slot_values(
    graph: LessonGraph, locales: Sequence[str] | None = None
) -> LocaleSlotValues:
    """:func:`generate_slot_values` for each locale (default: the bot definition's).

    Example:
        >>> sorted(generate_locale_slot_values(graph))
        ['en_US', 'es_US']
    """
    if locales is None:
        from lex_bot.devtools.bot_definition import load_bot_definition

        locales = load_bot_definition().locales()
    return {locale: generate_slot_values(graph, locale) for locale in locales}


def render_slot_values(values: LocaleSlotValues | SlotValues) -> str:
    """The JSON text of ``values`` as committed: indented, keys sorted, trailing newline."""
    return json.dumps(values, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_slot_values(path: Path | None = None) -> LocaleSlotValues:
    """Read generated slot values (default :data:`SLOT_VALUES_PATH`): locale -> slot type ->
    values.

    Raises:
        ValueError: the file is not an object of locale -> slot type name -> list of values.
    """
    path = Path(path or SLOT_VALUES_PATH)
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(types, dict) and all(isinstance(v, list) for v in types.values())
        for types in data.values()
    ):
        raise ValueError(
            f"{path}: expected an object of locale -> slot type name -> list of values"
        )
    return data


def write_slot_values(graph: LessonGraph, path: Path | None = None) -> Path:
    """Generate the slot values of ``graph`` and write them to ``path``; return the path.

    Example:
        >>> write_slot_values(load_graph("data/lessons"))  # doctest: +SKIP
        PosixPath('.../lex_bot/lesson_app/slot_values.json')
    """
    path = Path(path or SLOT_VALUES_PATH)
    path.write_text(render_slot_values(generate_locale_slot_values(graph)), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line ``python -m lex_bot slot-values [--graph PATH] [--output PATH] [--check]``.

    Parameters:
        argv: the arguments after ``slot-values`` (default: ``sys.argv[1:]``).
    Returns:
        0 on success; 1 when ``--check`` finds the file stale or the graph cannot be loaded.
    """
    parser = argparse.ArgumentParser(
        prog="python -m lex_bot slot-values",
        description="Generate the Lex slot values (lesson titles, modules) of every bot locale "
        "from the lesson graph.",
    )
    parser.add_argument(
        "--graph", default=str(DEFAULT_GRAPH_PATH), help="lesson file, folder or s3:// URL"
    )
    parser.add_argument("--output", type=Path, default=SLOT_VALUES_PATH)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the output file is out of date"
    )
    args = parser.parse_args(argv)

    from knowledge_graph import GraphError, load_graph

    try:
        graph = load_graph(args.graph)
    except GraphError as exc:
        print(f"slot-values: cannot load the lesson graph {args.graph}: {exc}", file=sys.stderr)
        return 1
    rendered = render_slot_values(generate_locale_slot_values(graph))
    try:
        current = args.output.read_text(encoding="utf-8")
    except OSError:
        current = None
    if args.check:
        if current != rendered:
            print(
                f"{args.output} is out of date: run `python -m lex_bot slot-values`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} is up to date")
        return 0
    if current == rendered:
        print(f"{args.output} already up to date")
        return 0
    args.output.write_text(rendered, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
