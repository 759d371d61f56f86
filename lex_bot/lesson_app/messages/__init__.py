"""Message catalogues: every learner-facing sentence, per locale.

Catalogues are YAML files beside this module named after Lex locale ids (``en_US.yaml``,
``es_US.yaml``). Values are ``str.format`` templates; every catalogue has the same keys and
placeholders (a test checks it). A locale without a catalogue falls back to ``en_US``, and
so does a key missing from a catalogue.

Example:
    >>> messages_for("es_US")("goodbye")
    '¡Hasta pronto! Sigue practicando.'
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from knowledge_graph.wording import format_list, plural_form, tidy_punctuation

DEFAULT_LOCALE = "en_US"
CATALOGUE_DIR = Path(__file__).parent
#: The locale course content is written in when a lesson does not say (``title_locale``).
DEFAULT_CONTENT_LOCALE = "en_US"


def content_locale(item: object, part: str = "title") -> str:
    """The locale of a course text as the bot got it: the ``<part>_locale`` of a lesson
    (``title``, ``summary``, ``module``), module (``name``) or course (``title``): the
    course's translation for the turn's locale, or the course's own locale when there is
    none (``knowledge_graph.Lesson``); else :data:`DEFAULT_CONTENT_LOCALE`.

    The one place that decides which language course content is in; speech marks content
    whose language differs from the turn's with SSML ``<lang>``.

    Example:
        >>> content_locale(object())
        'en_US'
    """
    for name in (f"{part}_locale", "title_locale", "name_locale", "locale"):
        value = getattr(item, name, None)
        if isinstance(value, str) and value:
            return value
    return DEFAULT_CONTENT_LOCALE


#: Fields that hold one title. A title with its own closing mark ("¡Hola, mundo!", "What Is
#: Programming?") where the template ends a sentence after it is quoted (``title.quoted``):
#: unquoted, the template's mark is lost ("¡Muy bien, terminaste ¡Hola, mundo! Dominas",
#: an exclamation never closed) or the statement reads as a question ("Well done on finishing
#: What Is Programming? You've mastered").
TITLE_FIELDS = ("title", "first")


@cache
def _fields_ending_sentence(template: str) -> frozenset[str]:
    """The :data:`TITLE_FIELDS` that ``template`` follows with a sentence mark (``.`` ``!``)."""
    return frozenset(field for field in TITLE_FIELDS if re.search(rf"\{{{field}\}}[.!]", template))


class MissingMessageError(KeyError):
    """A message key exists in no catalogue."""


@cache
def load_catalogue(locale: str) -> dict[str, str]:
    """The raw ``key -> template`` map of ``locale`` (empty when there is none)."""
    if not locale.replace("_", "").isalnum():
        return {}
    path = CATALOGUE_DIR / f"{locale}.yaml"
    if not path.is_file():
        return {}
    # libyaml's safe loader when PyYAML has it (its wheels do): the pure-Python one took
    # about 40 ms of a cold start's first turn for the two catalogues
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    return {str(k): str(v) for k, v in _flatten(data).items()}


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def available_locales() -> list[str]:
    """Every locale with a catalogue file."""
    return sorted(p.stem for p in CATALOGUE_DIR.glob("*.yaml"))


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields a template uses."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Messages:
    """Look up and fill templates for one locale: ``messages("key", name=value)``.

    Filled text goes through :func:`knowledge_graph.wording.tidy_punctuation`, so a title that
    ends in its own mark ("Hello, World!") never gets a second one from the template; such a
    title where the template ends a sentence after it is quoted (:data:`TITLE_FIELDS`).

    Example:
        >>> messages_for("es_US")("complete.ok", title="¡Hola, mundo!", done=2, lessons="52")
        '¡Muy bien, terminaste «¡Hola, mundo!»! Dominas 2 de 52.'
        >>> messages_for("en_US")("start.ok", title="What Is Programming?", minutes="10")
        "Let's start “What Is Programming?” It takes about 10."
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale if load_catalogue(locale) else DEFAULT_LOCALE
        self._own = load_catalogue(self.locale)
        self._default = load_catalogue(DEFAULT_LOCALE)

    def __call__(self, key: str, **values: object) -> str:
        template = self._own.get(key) or self._default.get(key)
        if template is None:
            raise MissingMessageError(key)
        for field in _fields_ending_sentence(template):
            value = values.get(field)
            if isinstance(value, str) and value.endswith(("!", "?")):
                values[field] = self("title.quoted", title=value)
        return tidy_punctuation(template.format(**values))

    def has(self, key: str) -> bool:
        return key in self._own or key in self._default

    def plural(self, key: str, count: int, **values: object) -> str:
        """The ``key.<CLDR plural category>`` variant for ``count`` (falling back to
        ``key.other``), filled with ``count`` and ``values``.

        Example:
            >>> t = messages_for("en_US")
            >>> t.plural("count.lessons", 1), t.plural("count.lessons", 3)
            ('1 lesson', '3 lessons')
        """
        form = f"{key}.{plural_form(count, self.locale)}"
        chosen = form if self.has(form) else f"{key}.other"
        return self(chosen, count=count, **values)

    def lessons(self, count: int) -> str:
        """ "3 lessons" / "1 lesson" in this locale."""
        return self.plural("count.lessons", count)

    def minutes(self, count: int) -> str:
        """ "15 minutes" / "1 minute" in this locale."""
        return self.plural("count.minutes", count)

    def join_some(self, items: Sequence[str], limit: int) -> str:
        """The first ``limit`` items joined, then "and N more" for the rest.

        Example:
            >>> messages_for("en_US").join_some(["A", "B", "C", "D"], 2)
            'A, B, and 2 more'
        """
        shown = list(items[:limit])
        if len(items) > limit:
            shown.append(self("list.more", count=len(items) - limit))
        return self.join(shown)

    def title(self, lesson: object) -> str:
        """A lesson's title as this catalogue writes it (speech marks its language)."""
        return lesson if isinstance(lesson, str) else str(getattr(lesson, "title", lesson))

    def content(self, text: str, locale: str) -> str:
        """Course content (a summary, a module name) written in ``locale``: as it is here."""
        return text

    def quoted(self, said: str) -> str:
        """What the learner said, quoted (speech says a short, speakable part of it)."""
        return f'"{said}"'

    def marked(self, text: str, lessons: Iterable[object]) -> str:
        """Text that may name ``lessons`` (speech marks their language): as it is here."""
        return text

    def sentences(self, *parts: str) -> str:
        """Parts of one paragraph, joined by spaces (empty parts left out)."""
        return " ".join(p for p in parts if p)

    def lines(self, *parts: str) -> str:
        """Parts of one answer, one per line (speech says them one after the other)."""
        return "\n".join(p for p in parts if p)

    def listing(self, head: str, items: Sequence[str]) -> str:
        """``head`` and the items as a list: one bulleted line each on text.

        Example:
            >>> print(messages_for("en_US").listing("Two:", ["A", "B"]))
            Two:
            • A
            • B
        """
        return "\n".join([head, *(f"• {item}" for item in items)])

    def join(self, items: Sequence[str], conjunction: Literal["and", "or"] = "and") -> str:
        """``a, b, and c`` (or ``a, b, or c``) in this locale, by Babel's list rules.

        Example:
            >>> messages_for("es_US").join(["A", "B", "C"], "or")
            'A, B o C'
        """
        return format_list(items, self.locale, conjunction)


@cache
def messages_for(locale: str) -> Messages:
    """The (cached) :class:`Messages` of a Lex locale id such as ``en_US``."""
    return Messages(locale)
