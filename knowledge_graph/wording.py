"""Lists and plurals in the learner's language, from Babel's CLDR data (bottom layer).

Hand-joined lists and "1 lessons" are easy to get wrong in one locale and right in another;
Babel carries the Unicode CLDR rules for both (https://babel.pocoo.org/en/latest/api/lists.html,
https://babel.pocoo.org/en/latest/api/core.html#babel.core.Locale.plural_form). Locales are
Lex locale ids (``en_US``, ``es_US``); an unknown one falls back to ``en_US``.

Example
-------
>>> format_list(["Loops", "Strings", "Lists"]), format_list(["A", "B"], "es_US", "or")
('Loops, Strings, and Lists', 'A o B')
>>> plural_form(1, "es_US"), plural_form(0, "en_US")
('one', 'other')
>>> tidy_punctuation("Well done on finishing Hello, World!! Let's start Hello, World!.")
"Well done on finishing Hello, World! Let's start Hello, World!"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Final, Literal

from babel import Locale, UnknownLocaleError
from babel.lists import format_list as _babel_format_list

DEFAULT_LOCALE: Final[str] = "en_US"

#: A sentence mark right after a title or clause that already ends in one ("World!!",
#: "World!.", "ready?.", "Programming??"), or a period after an English closing quote that
#: has one ("“Hello, World!”." : American style ends the sentence inside the quotes; a
#: Spanish «…» keeps its period): the second mark is dropped; an ellipsis "..." is left alone.
_DOUBLED: Final[re.Pattern[str]] = re.compile(
    r"(?<=[!?])[.!]|(?<=[?])[?]|(?<=[!?][”\"])[.]|(?<=[.])[.!](?![.])(?<![.]{2})"
)


@cache
def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)


def format_list(
    items: Sequence[str], locale: str = DEFAULT_LOCALE, conjunction: Literal["and", "or"] = "and"
) -> str:
    """``items`` as one phrase in ``locale``: "a, b, and c" or "a, b o c"; "" when empty.

    Example
    -------
    >>> format_list(["Loops"]), format_list([]), format_list(["a", "b", "c"], "es_US")
    ('Loops', '', 'a, b y c')
    """
    if not items:
        return ""
    style = "standard" if conjunction == "and" else "or"
    return _babel_format_list(list(items), style=style, locale=_locale(locale))


@lru_cache(maxsize=4096)
def plural_form(count: int, locale: str = DEFAULT_LOCALE) -> str:
    """The CLDR plural category of ``count`` in ``locale`` (``one``, ``many``, ``other``...).

    Remembered per (count, locale): Babel evaluates the locale's plural rule afresh at each
    call, several times in every turn that says a number.
    """
    return _locale(locale).plural_form(abs(int(count)))


def tidy_punctuation(text: str) -> str:
    """Drop a sentence mark doubled where a title ending in one met a template's own.

    Example
    -------
    >>> tidy_punctuation("Ready?. Go... now.")
    'Ready? Go... now.'
    >>> tidy_punctuation("Start “What Is Programming?”. Or (maybe What Is Programming??)")
    'Start “What Is Programming?” Or (maybe What Is Programming?)'
    """
    return _DOUBLED.sub("", text)
