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
from lex_bot.lesson_app.spoken_numbers import original_offset, with_digits
from lex_bot.lexv2.dialog_policy import DialogPolicy

#: The bot's one dialog policy: the router applies it to every slot answer (``app``), and a
#: handler whose answer writes progress asks it whether the answer is a bare value.
DIALOG_POLICY = DialogPolicy()

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


#: Words that say the learner finished, said again at "Which lesson do you mean?" ("I
#: finished", "I finished the lesson", "terminé"): they name no lesson, so the lesson under
#: way is meant, as with "I finished it".
_FINISHED = {
    "en": ("i finished", "i have finished", "ive finished", "i completed", "i am done with",
           "im done with", "i am done", "im done", "finished", "done with", "done", "i did"),
    "es": ("ya termine", "termine", "ya acabe", "acabe", "complete", "ya complete"),
}  # fmt: skip


def means_this_lesson(text: str, locale: str) -> bool:
    """``text`` points at the lesson under way ("it", "this lesson", "esa lección"), also
    after words that say it was finished ("I finished", "I finished the lesson", "terminé").

    Example:
        >>> means_this_lesson("I finished the lesson", "en_US")
        True
        >>> means_this_lesson("terminé", "es_US")
        True
        >>> means_this_lesson("I finished recursion", "en_US")
        False
    """
    lang = _lang(locale)
    phrase = _phrase(text)
    for prefix in _FINISHED[lang]:
        if phrase == prefix:
            return True
        if phrase.startswith(f"{prefix} "):
            phrase = phrase[len(prefix) + 1 :]
            break
    return phrase in _THIS_LESSON[lang]


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


#: "with 85", "with a score of 85", "con 85", "con un 85": a score given after a lesson's name,
#: with the fraction that may follow it ("with 30 out of 50").
_WITH_SCORE = {
    "en": re.compile(
        r"(?:[,\s]*\b(?:with|(?:and\s+)?i\s+(?:got|scored)|and\s+(?:got|scored)|score|scored)"
        r"\s+(?:a\s+)?(?:score\s+of\s+)?"
        r"(\d{1,3}(?:[.,]\d+)?)\s*%?(?:\s*(?:/|out\s+of|of)\s*\d{1,3}(?:[.,]\d+)?)?"
        r"(?:\s*(?:percent|points))?|[,:\s]+(\d{1,3}(?:[.,]\d+)?)\s*%)\s*$",
        re.IGNORECASE,
    ),
    "es": re.compile(
        r"(?:[,\s]*\b(?:con|(?:y\s+)?saqu[eé]|nota)\s+(?:un\s+|una\s+nota\s+de\s+)?"
        r"(\d{1,3}(?:[.,]\d+)?)\s*%?(?:\s*(?:/|de|sobre)\s*\d{1,3}(?:[.,]\d+)?)?"
        r"(?:\s*(?:por\s+ciento|puntos))?|[,:\s]+(\d{1,3}(?:[.,]\d+)?)\s*%)\s*$",
        re.IGNORECASE,
    ),
}


def score_said(text: str, locale: str) -> str | None:
    """The score in an answer that says one ("I scored 70", "I got 85%", "saqué 90",
    "hello world with 85"), as digits; ``None`` for anything else (a bare number may pick a
    choice, and is left alone).

    Example:
        >>> score_said("I scored 70", "en_US"), score_said("saqué 90", "es_US")
        ('70', '90')
        >>> score_said("85%", "en_US"), score_said("2", "en_US"), score_said("loops", "en_US")
        ('85', None, None)
        >>> score_said("the repl with 40", "en_US"), score_said("hola mundo con 85", "es_US")
        ('40', '85')
        >>> score_said("30 out of 50", "en_US"), score_said("hello with 30 out of 50", "en_US")
        ('60', '60')
        >>> score_said("hello world: 85%", "en_US"), score_said("hello world, score 85", "en_US")
        ('85', '85')
        >>> score_said("I got eight out of ten on the repl", "en_US")
        '80'
        >>> score_said("saqué ocho de diez en booleanos", "es_US")
        '80'
    """
    text = with_digits(text)  # a spoken transcript may spell the numbers out
    trailing = _WITH_SCORE[_lang(locale)].search(text)
    if trailing is not None:
        number = trailing.group(1) or trailing.group(2)
        return _as_percentage(number, text[trailing.start() :], locale)
    found = _SCORE_NUMBER.search(text)
    if found is None:
        return None
    said = set(words(text))
    fraction = _FRACTION[_lang(locale)].search(text)
    if fraction is not None:  # "30 out of 50", "8/10", "30 de 50": a score in itself
        return _as_percentage(fraction.group(1), fraction.group(0), locale)
    if found.group(2) or said & _SCORE_WORDS[_lang(locale)]:
        return found.group(1).replace(",", ".")
    return None


#: A score given as a fraction: "30 out of 50", "8/10", "30 de 50", "8 sobre 10".
_FRACTION = {
    "en": re.compile(
        r"(?<![\w.,])(\d{1,3}(?:[.,]\d+)?)\s*(?:/|out\s+of)\s*(\d{1,3}(?:[.,]\d+)?)\b"
    ),
    "es": re.compile(
        r"(?<![\w.,])(\d{1,3}(?:[.,]\d+)?)\s*(?:/|de|sobre)\s*(\d{1,3}(?:[.,]\d+)?)\b"
    ),
}


def _as_percentage(number: str, said: str, locale: str) -> str | None:
    """``number`` as a percentage: itself, or out of the total ``said`` gives right after it
    ("30 out of 50" is "60"); ``None`` for a fraction above its total or over nothing."""
    value = number.replace(",", ".")
    fraction = _FRACTION[_lang(locale)].search(said)
    if fraction is None or fraction.group(1) != number:
        return value
    total = float(fraction.group(2).replace(",", "."))
    if total <= 0 or float(value) > total:
        return None
    return f"{100 * float(value) / total:.6g}"


def without_score(text: str, locale: str) -> str:
    """``text`` without a trailing score ("the repl with 40" -> "the repl"), so the lesson's
    name can be read apart from it (:func:`score_said` reads the score).

    Example:
        >>> without_score("the repl with a score of 40", "en_US")
        'the repl'
        >>> without_score("hola mundo con 30 de 50", "es_US"), without_score("loops", "en_US")
        ('hola mundo', 'loops')
        >>> without_score("comments with one hundred and five", "en_US")
        'comments'
        >>> without_score("two pointers", "en_US")  # a name's own number words stay
        'two pointers'
    """
    spoken = with_digits(text)  # the score may be said in words
    trailing = _WITH_SCORE[_lang(locale)].search(spoken)
    if trailing is None:
        return text.strip()
    return text[: original_offset(text, trailing.start())].strip()


def is_dismissal(text: str, locale: str) -> bool:
    """``text`` lets a question go ("thanks", "never mind", "olvídalo"): not an answer,
    and not a failed one either.

    Example:
        >>> is_dismissal("Thanks!", "en_US"), is_dismissal("recursion", "en_US")
        (True, False)
    """
    return _phrase(text) in _DISMISS[_lang(locale)]


_NEGATIONS = {
    "en": {"not", "didnt", "havent", "hasnt", "hadnt", "never", "dont", "doesnt", "wasnt",
           "cant", "couldnt", "wont", "isnt", "arent", "nor"},
    "es": {"no", "nunca", "tampoco", "jamas"},
}  # fmt: skip


def is_negated(text: str, locale: str) -> bool:
    """``text`` says something did *not* happen ("I didn't finish hello world", "not hello
    world", "no terminé"): it never records a completion.

    Example:
        >>> is_negated("I didn't finish hello world", "en_US"), is_negated("no terminé", "es_US")
        (True, True)
        >>> is_negated("I finished hello world", "en_US")
        False
    """
    return bool(set(words(text)) & _NEGATIONS[_lang(locale)])


def lets_question_go(text: str, locale: str) -> bool:
    """``text`` declines a question rather than answering it: a dismissal ("never mind"),
    a skip ("skip", "no", "paso") or a plain no ("no thanks"). DIALOG.md: every question
    takes "skip"; at a required slot the pending intent ends politely, with no failure.

    Example:
        >>> lets_question_go("skip", "en_US"), lets_question_go("no gracias", "es_US")
        (True, True)
        >>> lets_question_go("recursion", "en_US")
        False
    """
    return is_dismissal(text, locale) or is_skip(text, locale) or yes_or_no(text, locale) is False


#: First words of a yes/no question about oneself in English ("did I ...", "have I ...");
#: a Spanish question is told by its marks only ("¿terminé X?"; "ya terminé X" tells).
_QUESTION_START = {"en": {"did", "have", "has", "do", "am", "was", "should", "can", "could"}}
#: Words that say a lesson is only nearly done or still under way ("I almost finished",
#: "I'm finishing it", "estoy terminando").
_NEARLY = {
    "en": {"almost", "nearly", "finishing", "completing"},
    "es": {"casi", "terminando", "acabando", "completando", "terminare", "acabare", "completare"},
}
#: "want to finish", "voy a terminar": a lesson meant, not finished.
_MEANT = {
    "en": re.compile(
        r"\b(?:want|wanna|going|gonna|will|plan|planning|hope|hoping|trying|try|tried|about|"
        r"need|should|would|d|must|might)"
        r"(?:\s+to)?\s+(?:finish|complete|end|do)\b"
    ),
    "es": re.compile(
        r"\b(?:quiero|quisiera|voy\s+a|vamos\s+a|pienso|espero|intento|intentando|necesito|"
        r"deberia|debo|tengo\s+que|intente|"
        r"a\s+punto\s+de|estoy\s+por)\s+(?:terminar|acabar|completar|hacer)\b"
    ),
}


def asks_whether(text: str, locale: str) -> bool:
    """``text`` asks rather than tells ("did I finish hello world?", "¿terminé variables?"):
    it never records a completion.

    Example:
        >>> asks_whether("did I finish hello world", "en_US"), asks_whether("¿terminé?", "es_US")
        (True, True)
        >>> asks_whether("I finished hello world!", "en_US"), asks_whether("ya terminé", "es_US")
        (False, False)
    """
    # Not a final "?" alone: a title may end with one ("I finished What Is Programming?").
    if text.strip().startswith("¿"):
        return True
    said = words(text)
    starts = _QUESTION_START.get(_lang(locale), set())
    return len(said) > 1 and said[0] in starts and said[1] == "i"


def only_intends(text: str, locale: str) -> bool:
    """``text`` says the lesson is meant or nearly done, not finished ("I almost finished
    comments", "quiero terminar cadenas"): it never records a completion.

    Example:
        >>> only_intends("I almost finished it", "en_US"), only_intends("casi terminé", "es_US")
        (True, True)
        >>> only_intends("I want to mark loops as done", "en_US")
        False
    """
    lang = _lang(locale)
    said = words(text)
    return bool(set(said) & _NEARLY[lang]) or _MEANT[lang].search(" ".join(said)) is not None


#: "no, I meant X", "sorry, X", "actually X", "no, quise decir X": the learner corrects what
#: the bot heard or asked about; X is what they meant.
_CORRECTION = {
    "en": re.compile(
        # "no" needs a pause or "I meant" after it ("no terminé" / "no hello world" deny)
        r"^\s*(?:(?:(?:no|nope)\s*[,.!]+|(?:no|nope)(?=\s+i\s+mean)|(?:oops|sorry|actually|wait)\b)"
        r"[\s,.!]*)+(?:i\s+(?:meant|mean|said)\s+|not\s+that\s*,?\s*)?(?P<meant>\S.*)$",
        re.IGNORECASE,
    ),
    "es": re.compile(
        r"^\s*(?:(?:no\s*[,.!]+|no(?=\s+(?:quise|quer[ií]a)\s+decir)|"
        r"(?:perd[oó]n|uy|mejor|espera|en\s+realidad)\b)[\s,.!]*)+"
        r"(?:quise\s+decir\s+|quer[ií]a\s+decir\s+|digo\s+|dije\s+)?(?P<meant>\S.*)$",
        re.IGNORECASE,
    ),
}


def corrected(text: str, locale: str) -> str | None:
    """What a correction means ("no, I meant loops" -> "loops", "perdón, quise decir
    bucles" -> "bucles"), else ``None`` (a plain "no" corrects nothing).

    Example:
        >>> corrected("no, I meant installing python", "en_US"), corrected("no", "en_US")
        ('installing python', None)
        >>> corrected("actually, recursion please", "en_US")
        'recursion please'
        >>> corrected("no, quise decir bucles", "es_US"), corrected("loops", "en_US")
        ('bucles', None)
        >>> corrected("no terminé", "es_US"), corrected("no hello world", "en_US")
        (None, None)
    """
    found = _CORRECTION[_lang(locale)].match(text)
    if found is None:
        return None
    meant = found.group("meant").strip(" ,.!")
    if not meant or yes_or_no(meant, locale) is not None or is_dismissal(meant, locale):
        return None
    return meant
