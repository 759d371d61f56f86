"""Numbers said in words (``lex_bot.lesson_app.spoken_numbers``), against spellings written
here independently: every number from 0 to 100 in English and in Spanish, inside a sentence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lex_bot.lesson_app.spoken_numbers import original_offset, with_digits

_EN_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ES_SMALL = [
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
]
_ES_TENS = [
    "_",
    "_",
    "_",
    "treinta",
    "cuarenta",
    "cincuenta",
    "sesenta",
    "setenta",
    "ochenta",
    "noventa",
]


def english(n: int, hyphen: bool) -> str:
    if n == 100:
        return "one hundred"
    if n < 20:
        return _EN_SMALL[n]
    tens, unit = divmod(n, 10)
    return _EN_TENS[tens] + (("-" if hyphen else " ") + _EN_SMALL[unit] if unit else "")


def spanish(n: int) -> str:
    if n == 100:
        return "cien"
    if n < 30:
        return _ES_SMALL[n]
    tens, unit = divmod(n, 10)
    return _ES_TENS[tens] + (f" y {_ES_SMALL[unit]}" if unit else "")


LEAD = st.sampled_from(["I got", "I scored", "saqué", "obtuve", "with", "con un"])
TAIL = st.sampled_from(["on the repl", "en bucles", "percent", "por ciento", ""])


@given(
    n=st.integers(0, 100),
    spanish_words=st.booleans(),
    hyphen=st.booleans(),
    lead=LEAD,
    tail=TAIL,
)
def test_every_number_said_in_words_is_read_as_its_digits(n, spanish_words, hyphen, lead, tail):
    said = spanish(n) if spanish_words else english(n, hyphen)
    if said in ("one", "uno", "once"):  # a pronoun, and English "once": left as words
        return
    text = f"{lead} {said} {tail}".strip()
    assert with_digits(text) == f"{lead} {n} {tail}".strip()


@given(
    a=st.integers(2, 100),
    b=st.integers(2, 100),
    spanish_words=st.booleans(),
)
def test_a_fraction_in_words_keeps_both_numbers_and_offsets_map_back(a, b, spanish_words):
    words = spanish if spanish_words else (lambda n: english(n, False))
    if "once" in (words(a), words(b)):
        return
    link = "de" if spanish_words else "out of"
    text = f"saqué {words(a)} {link} {words(b)} en la lección"
    spoken = with_digits(text)
    assert spoken == f"saqué {a} {link} {b} en la lección"
    # every character outside the numbers maps back to itself in the text said
    numbers = {i for n in (str(a), str(b)) for i in range(spoken.index(n), spoken.index(n) + 1)}
    for at, char in enumerate(spoken):
        if not char.isdigit() and at not in numbers:
            assert text[original_offset(text, at)] == char


def test_words_that_are_not_numbers_stay():
    for text in ("the second one", "this one", "uno de ellos", "Python once more", "loops"):
        assert with_digits(text) == text


def test_a_number_ends_where_the_languages_end_it():
    """ "and" joins only after "hundred", "y" only a ten to a unit: what follows is not added."""
    assert with_digits("ninety five and one more") == "95 and one more"
    assert with_digits("I got ninety and one of the lessons left") == (
        "I got 90 and one of the lessons left"
    )
    assert with_digits("saqué cincuenta y dos y tres lecciones") == "saqué 52 y 3 lecciones"
    assert with_digits("one hundred and five") == "105"
    assert with_digits("eighty out of a hundred") == "80 out of 100"
    assert with_digits("a lesson a day") == "a lesson a day"
