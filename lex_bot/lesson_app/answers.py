"""The natural answers to the bot's questions, per language: choices, "it", yes/no, skip.

Lex resolves a slot's value, but with original-value resolution ("Custom slot types" in the
Lex V2 developer guide) "the second one", "2", a key press, "it" or "no score" reach the
handler as they were said. These helpers read them; they never touch progress.

Example:
    >>> choice_index("the second one", "en_US"), choice_index("2", "en_US")
    (1, 1)
    >>> choice_index("la tercera", "es_US"), choice_index("recursion", "en_US")
    (2, None)
    >>> means_this_lesson("it", "en_US"), means_this_lesson("esta lección", "es_US")
    (True, True)
    >>> yes_or_no("yeah sure", "en_US"), yes_or_no("no gracias", "es_US")
    (True, False)
    >>> yes_or_no("loops", "en_US") is None
    True
    >>> is_skip("no score", "en_US"), is_skip("sin nota", "es_US"), is_skip("85", "en_US")
    (True, True, False)
"""

from __future__ import annotations

import re

from knowledge_graph.text import fold_text

_WORD = re.compile(r"[^\W_]+")

_ORDINALS = {
    "en": {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
           "4th": 4, "fifth": 5, "5th": 5, "last": -1},
    "es": {"primero": 1, "primera": 1, "primer": 1, "segundo": 2, "segunda": 2, "tercero": 3,
           "tercera": 3, "tercer": 3, "cuarto": 4, "cuarta": 4, "quinto": 5, "quinta": 5,
           "ultimo": -1, "ultima": -1},
}  # fmt: skip
_CARDINALS = {
    "en": {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5},
    "es": {"uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5},
}
_FILLER = {
    "en": {"the", "one", "number", "option", "choice", "please", "lesson", "i", "want", "take",
           "pick", "press", "key", "say", "that"},
    "es": {"el", "la", "lo", "numero", "opcion", "por", "favor", "leccion", "quiero", "uno",
           "una", "elijo", "tecla", "marco"},
}  # fmt: skip
_THIS_LESSON = {
    "en": {"it", "this", "that", "this one", "that one", "this lesson", "that lesson",
           "the lesson", "current lesson", "the current lesson", "the current one",
           "my lesson", "my current lesson", "the one i started", "what i started"},
    "es": {"eso", "esto", "esta", "este", "esa", "ese", "lo", "la", "esta leccion",
           "esa leccion", "la leccion", "la actual", "la leccion actual", "mi leccion",
           "la que empece", "lo que empece"},
}  # fmt: skip
_YES = {
    "en": {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "certainly", "correct",
           "right", "of course", "go ahead", "please", "yes please", "that one", "exactly"},
    "es": {"si", "claro", "vale", "correcto", "dale", "bueno", "por supuesto", "si claro",
           "si por favor", "exacto", "afirmativo", "esa", "ese"},
}  # fmt: skip
_NO = {
    "en": {"no", "n", "nope", "nah", "no thanks", "not now", "neither", "none", "wrong",
           "no thank you", "none of them", "not that one"},
    "es": {"no", "no gracias", "mejor no", "ahora no", "ninguna", "ninguno", "negativo",
           "tampoco", "ninguna de esas"},
}  # fmt: skip
_SKIP = {
    "en": {"skip", "skip it", "no score", "skip the score", "none", "no", "i dont know",
           "i didnt get a score", "there was no score", "pass", "nothing", "dont know",
           "no idea", "without a score", "leave it out"},
    "es": {"saltar", "omitir", "sin nota", "sin puntuacion", "sin puntaje", "no", "no se",
           "ninguna", "ninguno", "no tuve nota", "no hubo nota", "paso", "nada"},
}  # fmt: skip


_DISMISS = {
    "en": {"thanks", "thank you", "thanks a lot", "ok thanks", "okay thanks", "never mind",
           "nevermind", "cancel", "stop", "forget it", "no thanks", "no thank you",
           "not now", "leave it", "nothing"},
    "es": {"gracias", "muchas gracias", "vale gracias", "olvidalo", "cancelar", "cancela",
           "para", "da igual", "no gracias", "ahora no", "dejalo", "nada"},
}  # fmt: skip


def _lang(locale: str) -> str:
    return "es" if locale.startswith("es") else "en"


def words(text: str) -> list[str]:
    """Folded words (case, accents and apostrophes off).

    Example:
        >>> words("¿La SEGUNDA, por favor?")
        ['la', 'segunda', 'por', 'favor']
    """
    return _WORD.findall(fold_text(text.replace("'", "").replace("’", "")))


def _phrase(text: str) -> str:
    return " ".join(words(text))


def choice_index(text: str, locale: str, count: int = 5) -> int | None:
    """The 0-based choice ``text`` picks ("2", "the second one", "number two", a key
    press), else ``None``; "the last one" is ``count - 1``.
    """
    lang = _lang(locale)
    found: list[int] = []
    cardinal: list[int] = []
    for word in words(text):
        if word.isdigit():
            found.append(int(word))
        elif word in _ORDINALS[lang]:
            found.append(_ORDINALS[lang][word])
        elif word in _CARDINALS[lang]:
            cardinal.append(_CARDINALS[lang][word])
        elif word not in _FILLER[lang]:
            return None
    picked = found or cardinal
    if len(set(picked)) != 1:
        return None
    number = picked[0]
    if number == -1:
        return count - 1 if count else None
    return number - 1 if 1 <= number <= count else None


def means_this_lesson(text: str, locale: str) -> bool:
    """``text`` points at the lesson under way ("it", "this lesson", "esa lección")."""
    return _phrase(text) in _THIS_LESSON[_lang(locale)]


def yes_or_no(text: str, locale: str) -> bool | None:
    """``True`` for a yes, ``False`` for a no, ``None`` for anything else."""
    said = words(text)
    phrase, lang = " ".join(said), _lang(locale)
    if phrase in _NO[lang] or (said and said[0] in ("no", "nope", "nah")):
        return False
    if phrase in _YES[lang] or (said and all(w in _YES[lang] for w in said)):
        return True
    return None


def is_skip(text: str, locale: str) -> bool:
    """``text`` declines an optional question ("skip", "no score", "sin nota")."""
    return _phrase(text) in _SKIP[_lang(locale)]


_SCORE_WORDS = {
    "en": {"score", "scored", "scores", "got", "points", "percent", "mark", "marks", "grade"},
    "es": {"nota", "saque", "puntuacion", "puntaje", "puntos", "obtuve", "ciento", "calificacion",
           "saco"},
}  # fmt: skip
_SCORE_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.,]\d+)?)\s*(%?)")


def score_said(text: str, locale: str) -> str | None:
    """The score in an answer that says one ("I scored 70", "I got 85%", "saqué 90"), as
    digits; ``None`` for anything else (a bare number may pick a choice, and is left alone).

    Example:
        >>> score_said("I scored 70", "en_US"), score_said("saqué 90", "es_US")
        ('70', '90')
        >>> score_said("85%", "en_US"), score_said("2", "en_US"), score_said("loops", "en_US")
        ('85', None, None)
    """
    found = _SCORE_NUMBER.search(text)
    if found is None:
        return None
    said = set(words(text))
    if found.group(2) or said & _SCORE_WORDS[_lang(locale)]:
        return found.group(1).replace(",", ".")
    return None


def is_dismissal(text: str, locale: str) -> bool:
    """``text`` lets a question go ("thanks", "never mind", "olvídalo"): not an answer,
    and not a failed one either.

    Example:
        >>> is_dismissal("Thanks!", "en_US"), is_dismissal("recursion", "en_US")
        (True, False)
    """
    return _phrase(text) in _DISMISS[_lang(locale)]
