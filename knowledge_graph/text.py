"""Text normalisation for matching lesson names (bottom layer: imports nothing of the package).

:func:`fold_text` is the one normalisation used wherever two names are compared: titles
and aliases checked for collisions by validation, the names and queries of the lesson
search. :func:`drop_filler_words` is a second, optional step on folded text for free-form
queries ("the lesson on loops").

Example
-------
>>> fold_text("  Café: Déjà-vu! ") == fold_text("cafe deja vu")
True
>>> drop_filler_words(fold_text("The lesson on For-Loops"))
'for loops'
>>> drop_filler_words(fold_text("la lección de las clases"))
'clases'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

#: Words :func:`drop_filler_words` removes (unless nothing else is left): English and
#: Spanish articles and the words learners wrap a lesson name in ("the lesson on loops",
#: "la lección de bucles"). One set for every locale: names and queries of every locale
#: are folded alike, so a name and a query compare equal whatever locale dropped a word.
FILLER_WORDS: Final[frozenset[str]] = frozenset(
    {
        *("the", "a", "an", "lesson", "lessons", "on", "about"),
        *("el", "la", "los", "las", "un", "una", "unos", "unas", "leccion", "lecciones"),
        *("sobre", "de", "del"),
        # Courtesy around a name ("recursion please", "recursión, por favor").
        *("please", "pls", "thanks", "thank", "por", "favor", "gracias"),
    }
)

_NOT_WORD: Final[re.Pattern[str]] = re.compile(r"[\W_]+")


def fold_text(text: object) -> str:
    """Fold case, accents and punctuation so that equal-looking names compare equal.

    Steps: Unicode compatibility decomposition (NFKD) with the combining marks dropped
    (``é`` -> ``e``, ``ﬁ`` -> ``fi``), ``str.casefold``, every run of characters that are not
    letters or digits (punctuation, ``_``, whitespace) turned into one space, and the ends
    stripped.

    Parameters
    ----------
    text : object
        Anything; non-strings give ``""``.

    Returns
    -------
    str
        Lower-case words separated by single spaces.

    Example
    -------
    >>> fold_text("  Café: Déjà-vu! ")
    'cafe deja vu'
    >>> fold_text("snake_case/Ids"), fold_text(None)
    ('snake case ids', '')
    """
    if not isinstance(text, str):
        return ""
    if not text.isascii():  # ASCII text is already decomposed: skip the Unicode work
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def drop_filler_words(folded: str) -> str:
    """Remove :data:`FILLER_WORDS` from text already folded by :func:`fold_text`.

    When only filler words are left they are all kept, so a lesson called "The" can still
    be found.

    Example
    -------
    >>> drop_filler_words("the lesson on for loops"), drop_filler_words("the")
    ('for loops', 'the')
    """
    tokens = folded.split()
    kept = [t for t in tokens if t not in FILLER_WORDS]
    return " ".join(kept or tokens)


def is_only_filler(text: object) -> bool:
    """True when ``text`` has words and every one is a :data:`FILLER_WORDS` word ("a
    lesson", "the lesson please"): it names no lesson.

    Example
    -------
    >>> is_only_filler("a lesson"), is_only_filler("la lección, por favor"), is_only_filler("")
    (True, True, False)
    >>> is_only_filler("the loops lesson")
    False
    """
    tokens = fold_text(text).split()
    return bool(tokens) and all(t in FILLER_WORDS for t in tokens)
