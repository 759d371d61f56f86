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
    "ochenta y cinco" -> 85), stopping at the first word that is not part of it; ``None``
    when the first word is not a number.

    Example
    -------
    >>> words_value(["ochenta", "y", "cinco", "en"]), words_value(["one", "hundred", "and", "five"])
    (85, 105)
    >>> words_value(["lots"]), words_value(["ninety", "and", "the", "rest"])
    (None, 90)
    """
    total, found = 0, False
    for at, word in enumerate(words):
        value = NUMBER_WORDS.get(word)
        if value is None:
            joined = at + 1 < len(words) and words[at + 1] in NUMBER_WORDS
            if found and word in NUMBER_JOINERS and joined:
                continue
            break
        found = True
        total = total * value if value == 100 and total else total + value
    return total if found else None


def number_runs(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, value)`` of each number said in words in ``text`` (a lone "one" or
    "uno" is left out: it is a pronoun far more often).

    Example
    -------
    >>> number_runs("the repl with eighty-five, not one")
    [(14, 25, 85)]
    """
    spans = [(m.start(), m.end(), fold_text(m.group())) for m in _WORD.finditer(text)]
    runs: list[tuple[int, int, int]] = []
    at = 0
    while at < len(spans):
        folded = [word for _, _, word in spans[at:]]
        value = words_value(folded)
        length = _run_length(folded) if value is not None else 0
        if value is None or (length == 1 and folded[0] in _ALONE_NOT_A_NUMBER):
            at += 1
            continue
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


def _run_length(words: Sequence[str]) -> int:
    """How many of ``words`` (from the start) one number takes, joiners included."""
    length = 0
    for at, word in enumerate(words):
        if word in NUMBER_WORDS:
            length = at + 1
        elif not (word in NUMBER_JOINERS and at + 1 < len(words) and words[at + 1] in NUMBER_WORDS):
            break
    return length
