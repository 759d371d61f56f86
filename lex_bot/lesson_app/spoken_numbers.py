"""Numbers said in words, read as digits: "ochenta y cinco" is 85, "eight out of ten" 8 of 10.

A spoken answer's transcript may spell a number out. Lex's ``AMAZON.Number`` slot resolves
the number it hears, but the bot also reads the transcript itself, for what a slot cannot
carry: a fraction ("eight out of ten" is 80 %) or a score said beside a lesson's name. The
words are our own table: Babel formats numbers in a locale but does not parse spelled-out
ones, and whole-sentence parsers (word2number and the like) cover English only.

Example
-------
>>> with_digits("I got eight out of ten on the repl")
'I got 8 out of 10 on the repl'
>>> with_digits("saqué ochenta y cinco en bucles"), with_digits("this one")
('saqué 85 en bucles', 'this one')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from knowledge_graph.text import fold_text

#: Number words of both locales, accents folded (scores run to 100: "ciento", which "por ciento"
#: says, is left out). ("once", Spanish 11, is left out too: in English
#: it is not a number.)
NUMBER_WORDS: Final[dict[str, int]] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "cero": 0, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "doce": 12,
    "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintidos": 22,
    "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26,
    "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40,
    "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
    "cien": 100,
}  # fmt: skip
#: Words said between the parts of one number: "ochenta y cinco", "one hundred and five".
NUMBER_JOINERS: Final[frozenset[str]] = frozenset({"y", "and"})
#: Said alone, these are a pronoun far more often than a number ("the second one").
_ALONE_NOT_A_NUMBER: Final[frozenset[str]] = frozenset({"one", "uno"})

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def words_value(words: Sequence[str]) -> int | None:
    """The number the folded ``words`` say from their start ("ninety five" -> 95,
    "ochenta y cinco" -> 85), stopping at the first word that does not continue it; ``None``
    when the first word is not a number.

    A word continues a number as the languages build them: a unit after a ten ("ninety five",
    "ochenta y cinco"), "hundred" after a unit, anything below 100 after "hundred" ("one
    hundred and five"); "and" only after "hundred", "y" only between a ten and a unit, so
    "ninety five and one more" is 95.

    Example
    -------
    >>> words_value(["ochenta", "y", "cinco", "en"]), words_value(["one", "hundred", "and", "five"])
    (85, 105)
    >>> words_value(["lots"]), words_value(["ninety", "five", "and", "one", "more"])
    (None, 95)
    >>> words_value(["a", "hundred"]), words_value(["a", "lesson"])
    (100, None)
    """
    parsed = _parse_run(words, 0)
    return parsed[0] if parsed is not None else None


def _parse_run(words: Sequence[str], start: int) -> tuple[int, int] | None:
    """``(value, words taken)`` of the number that starts at ``words[start]``, or None
    (the words are read in place: a transcript's words are not copied per position)."""
    if start >= len(words):
        return None
    word = words[start]
    if word == "a" and start + 1 < len(words) and words[start + 1] == "hundred":
        word = "one"  # "a hundred" is "one hundred"
    if word not in NUMBER_WORDS:
        return None
    total = last = NUMBER_WORDS[word]
    taken, at = 1, start + 1
    while at < len(words):
        joiner = words[at] if words[at] in NUMBER_JOINERS else None
        step = at + 1 if joiner else at
        if step >= len(words) or words[step] not in NUMBER_WORDS:
            break
        value = NUMBER_WORDS[words[step]]
        if not _continues(last, joiner, value):
            break
        total = total * value if value == 100 else total + value
        last, taken = value, step + 1 - start
        at = step + 1
    return total, taken


def _continues(last: int, joiner: str | None, value: int) -> bool:
    """Whether ``value`` (said after ``last``, with ``joiner`` between) is part of its number."""
    tens_then_unit = last in _TENS and 1 <= value <= 9
    if joiner == "y":
        return tens_then_unit
    if joiner == "and":
        return last == 100 and value < 100
    return tens_then_unit or (value == 100 and 1 <= last <= 9) or (last == 100 and value < 100)


_TENS: Final[frozenset[int]] = frozenset({20, 30, 40, 50, 60, 70, 80, 90})


def number_runs(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, value)`` of each number said in words in ``text`` (a lone "one" or
    "uno" is left out: it is a pronoun far more often).

    Example
    -------
    >>> number_runs("the repl with eighty-five, not one")
    [(14, 25, 85)]
    """
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    folded = [fold_text(text[start:end]) for start, end in spans]
    runs: list[tuple[int, int, int]] = []
    at = 0
    while at < len(spans):
        parsed = _parse_run(folded, at)
        if parsed is None or (parsed[1] == 1 and folded[at] in _ALONE_NOT_A_NUMBER):
            at += 1
            continue
        value, length = parsed
        runs.append((spans[at][0], spans[at + length - 1][1], value))
        at += length
    return runs


def with_digits(text: str) -> str:
    """``text`` with each number said in words written in digits (:func:`number_runs`).

    The words of both locales are read whatever the turn's locale (one table; a learner may
    say a number in either language).
    """
    out: list[str] = []
    done = 0
    for start, end, value in number_runs(text):
        out += [text[done:start], str(value)]
        done = end
    return "".join([*out, text[done:]])


def original_offset(text: str, at: int) -> int:
    """The offset in ``text`` of offset ``at`` of ``with_digits(text)`` (the start of a
    number written in digits maps to the start of its words).

    Example
    -------
    >>> text = "hello world with eighty five"
    >>> spoken = with_digits(text)
    >>> spoken, text[original_offset(text, spoken.index(" with"))]
    ('hello world with 85', ' ')
    >>> original_offset(text, spoken.index("85")) == text.index("eighty")
    True
    """
    shift = 0  # what the digits so far added to the offsets (negative: they are shorter)
    for start, end, value in number_runs(text):
        written = len(str(value))
        if at < start + shift + written:
            return min(at - shift, start) if at >= start + shift else at - shift
        shift += written - (end - start)
    return at - shift
