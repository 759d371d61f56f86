"""The spoken form of every answer: the same catalogue, rendered as SSML for Amazon Polly.

:class:`SpokenMessages` has the API of :class:`~lex_bot.lesson_app.messages.Messages`, so an
answer is built once, by a function of the catalogue, and rendered twice: with ``turn.t``
for text and with ``turn.speech`` for voice. Both therefore carry the same content items
(titles, module names, numbers); only the wording of a few templates differs, through
``spoken.<key>`` entries of the catalogue that replace ``<key>`` when speaking
(``"({minutes} min)"`` on text is ``", {duration}"`` on voice).

What speaking changes (Amazon Polly, "Supported SSML tags",
https://docs.aws.amazon.com/polly/latest/dg/supportedtags.html):

* every value is XML-escaped, so a title such as ``Loops & <lists>`` is said, not parsed;
* values are made speakable (:func:`speakable`): no parentheses, brackets, bullets,
  markdown marks, emoji, URLs or doubled punctuation ("Hello, World!!") reach the voice;
* course content whose language differs from the turn's (an English title in a Spanish
  answer) is wrapped in ``<lang xml:lang="en-US">`` ("Specifying another language for
  specific words", https://docs.aws.amazon.com/polly/latest/dg/lang-tag.html); which
  language content is in comes from one helper, ``messages.content_locale``;
* lists are joined by Babel's list patterns (commas and a final "and"/"y", "or"/"o") with a
  short ``<break>`` before the last item, so "Variables and Assignment and Booleans and
  Comparisons" is heard as two items.

Example:
    >>> from types import SimpleNamespace
    >>> s = spoken_for("es_US")
    >>> loops = SimpleNamespace(title="Loops & <Lists>", title_locale="en_US")
    >>> s("start.ok", title=s.title(loops), minutes=s.minutes(15))
    'Empecemos <lang xml:lang="en-US">Loops &amp; &lt;Lists&gt;</lang>. Dura cerca de 15 minutos.'
    >>> spoken_for("en_US").join(["Variables and Assignment", "Booleans and Comparisons"])
    'Variables and Assignment<break time="200ms"/> and Booleans and Comparisons'
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Literal
from xml.sax.saxutils import escape

from knowledge_graph.wording import format_list, tidy_punctuation
from lex_bot.lesson_app.messages import Messages, MissingMessageError, content_locale

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import LessonGraph, Module

#: The pause before a list's last item (Polly ``<break>``; a comma's own pause is shorter).
LIST_BREAK = '<break time="200ms"/>'
#: Words of learner input said back at most ("I couldn't find ...").
HEARD_MAX_WORDS = 8
#: What is said back for an answer with nothing speakable in it (a link, only emoji or
#: marks), so that no voice reads 'a lesson called ""': per language, a link and the rest.
UNSPEAKABLE_HEARD = {"en": ("that link", "that"), "es": ("ese enlace", "eso")}

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_CALL = re.compile(r"(\w)\(\)")  # print() -> print
_DUNDER = re.compile(r"\b__(\w+?)__\b")  # __init__ -> init
_BRACKETED = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]")  # " (the REPL)" -> ", the REPL,"
_LITERAL = re.compile(r"[•·▪◦*_#`~|{}\[\]()\\^]")
_DOUBLED = re.compile(r"([!?¡¿.,;:])(?:\s*[!?.,;:])+")
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]+>")
#: What learner input said back keeps: letters, digits and plain punctuation.
_NOT_PLAIN = re.compile(r"[^\w\s.,;:'’¿?¡!-]|_")
_SPACE_BEFORE_MARK = re.compile(r"\s+([,.;:!?])")
_MARK_AFTER_TAG = re.compile(r"([!?.])((?:</?lang[^>]*>)+)[.!](?![.])")
#: "Hello, World!?" / "What Is Programming??": a title's own mark before the question's.
_QUESTION_AFTER_MARK = re.compile(r"[!?]((?:</?lang[^>]*>)*)\?")
_SYMBOL_WORDS = {
    "en": {"#": "hash", "+": "plus", "%": "percent"},
    "es": {"#": "almohadilla", "+": "más", "%": "por ciento"},
}
_SYMBOL_PATTERNS = {
    lang: [
        (symbol, re.compile(rf"(\w?)\s*{re.escape(symbol)}\s*(\w?)"), word)
        for symbol, word in words.items()
    ]
    for lang, words in _SYMBOL_WORDS.items()
}
_EDGE_MARK = re.compile(r"^[,;:]\s*|\s*[,;:]$")
_COMMA_CLOSE = re.compile(r",(?=[^\s])")


def module_name(t: Messages, graph: LessonGraph, module: Module) -> str:
    """A module's name rendered by ``t`` (speech marks it when it is in another language)."""

    return t.content(module.name, content_locale(module, "name"))


def _title_of(lesson: object) -> str:
    return lesson if isinstance(lesson, str) else str(getattr(lesson, "title", lesson))


class SSML(str):
    """Text that is already SSML content: escaped text and the tags we put in it."""


def _lang(locale: str) -> str:
    return locale[:2].lower()


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk", "Cs", "Co") or char in "\ufe0f\u200d"


def speakable(text: str, locale: str = "en_US") -> str:
    """``text`` without what a synthesiser would read literally or stumble on.

    URLs are dropped; ``print()`` is "print", ``__init__`` "init"; a parenthesis or bracket
    becomes a pause between commas; bullets, markdown marks and emoji are dropped; "#" and
    "+" become words; doubled punctuation is one mark. Unescaped: :func:`spoken_text`
    escapes.

    Example:
        >>> speakable("Try code in the shell (the REPL) with print()!! • https://x.io 🎉")
        'Try code in the shell, the REPL, with print!'
        >>> speakable("Leave notes with '#'.", "es_US")
        "Leave notes with 'almohadilla'."
    """
    # Each step runs only where its pattern can match (the same result, a few times faster:
    # every answer's titles and reasons pass here, on text turns too).
    if "://" in text or "www." in text.lower():
        text = _URL.sub(" ", text)
    if "()" in text:
        text = _CALL.sub(r"\1", text)
    if "__" in text:
        text = _DUNDER.sub(r"\1", text)
    if "(" in text or "[" in text:
        text = _BRACKETED.sub(_paused, text)
    for symbol, pattern, word in _SYMBOL_PATTERNS.get(_lang(locale), _SYMBOL_PATTERNS["en"]):
        if symbol in text:
            text = pattern.sub(
                lambda m, w=word: f"{m[1]}{' ' if m[1] else ''}{w}{' ' if m[2] else ''}{m[2]}",
                text,
            )
    text = _LITERAL.sub(" ", text)
    if not text.isascii():  # "^" and "`", the only ASCII symbols, are literals removed above
        emoji = {ord(c) for c in set(text) if not c.isascii() and _is_emoji(c)}
        if emoji:
            text = text.translate(dict.fromkeys(emoji))
    text = text.replace("...", "…")
    text = _SPACES.sub(" ", text).strip()
    text = _SPACE_BEFORE_MARK.sub(r"\1", text)
    text = _DOUBLED.sub(_one_mark, text)
    text = _EDGE_MARK.sub("", text)
    return _COMMA_CLOSE.sub(", ", text).strip()


def _paused(bracketed: re.Match[str]) -> str:
    """A parenthesis or bracket as a pause between commas (nothing when it is empty)."""
    inside = bracketed.group(1).strip()
    return f", {inside}," if inside else ""


def _one_mark(run: re.Match[str]) -> str:
    """A run of marks (",!!", "?!") as one: its strongest, the sentence end if it has one."""
    marks = [c for c in run.group(0) if not c.isspace()]
    ends = [c for c in marks if c in "!?."]
    return ends[0] if ends else marks[0]


def spoken_text(text: str, locale: str = "en_US") -> SSML:
    """Plain text (a catalogue sentence, a summary, what the learner said) as SSML content."""
    return SSML(escape(speakable(text, locale)))


def heard(text: str, locale: str = "en_US") -> str:
    """What the learner said, short enough to say back (at most :data:`HEARD_MAX_WORDS`
    words, nothing a synthesiser reads literally).

    An answer with nothing speakable in it is said as "that link" (a link) or "that"
    (:data:`UNSPEAKABLE_HEARD`), never as empty quotes.

    Example:
        >>> heard("start (the) 🎉 loops please now and then again and again and again")
        'start, the, loops please now and then again'
        >>> heard("https://example.com"), heard("🎉", "es_US")
        ('that link', 'eso')
    """
    words = _NOT_PLAIN.sub(" ", speakable(text, locale)).split()
    if not words and text.strip():
        link, other = UNSPEAKABLE_HEARD.get(_lang(locale), UNSPEAKABLE_HEARD["en"])
        return link if _URL.search(text) else other
    return " ".join(words[:HEARD_MAX_WORDS])


class SpokenMessages(Messages):
    """The catalogue of one locale rendered as SSML content (see the module docstring).

    ``spoken.<key>`` replaces ``<key>`` where the spoken wording differs; every value is
    escaped and made speakable unless it is already :class:`SSML`.
    """

    def __call__(self, key: str, **values: object) -> SSML:
        template = (
            self._own.get(f"spoken.{key}")
            or self._default.get(f"spoken.{key}")
            or self._own.get(key)
            or self._default.get(key)
        )
        if template is None:
            raise MissingMessageError(key)
        out: list[str] = []
        for literal, field, spec, conversion in string.Formatter().parse(template):
            out.append(escape(literal))
            if field is None:
                continue
            value = values[field]
            if conversion or spec:
                value = format(value, spec or "")
            out.append(self._ssml(value))
        text = _MARK_AFTER_TAG.sub(r"\1\2", "".join(out))
        return SSML(_QUESTION_AFTER_MARK.sub(r"\1?", tidy_punctuation(text)))

    def _ssml(self, value: object) -> str:
        if isinstance(value, SSML):
            return value
        return spoken_text(str(value), self.locale)

    def quoted(self, said: str) -> SSML:
        """What the learner said, short and speakable (:func:`heard`)."""
        return spoken_text(heard(said, self.locale), self.locale)

    def title(self, lesson: object) -> SSML:
        """The lesson's title, marked with its language when it is not the turn's. Said
        inside a sentence, its own opening and closing marks ("¿Qué es programar?",
        "Hello, World!") would set the voice's intonation for the whole sentence, so they
        are left out.

        Example:
            >>> from types import SimpleNamespace
            >>> hello = SimpleNamespace(title="¡Hola, mundo!", title_locale="es_US")
            >>> spoken_for("es_US").title(hello)
            'Hola, mundo'
        """
        title = _title_of(lesson).strip().lstrip("¿¡").rstrip("?!")
        return self.content(title, content_locale(lesson))

    def content(self, text: str, locale: str) -> SSML:
        """Course content written in ``locale``, escaped, speakable and language-marked.

        Example:
            >>> spoken_for("es_US").content("Hello, World!", "en_US")
            '<lang xml:lang="en-US">Hello, World!</lang>'
        """
        body = spoken_text(text, locale)
        if _lang(locale) == _lang(self.locale):
            return body
        return SSML(f'<lang xml:lang="{locale.replace("_", "-")}">{body}</lang>')

    def marked(self, text: str, lessons: Iterable[object]) -> SSML:
        """Plain ``text`` (a recommendation reason) as SSML, with the titles of ``lessons``
        that it names marked with their language.

        Example:
            >>> from types import SimpleNamespace
            >>> loops = SimpleNamespace(title="For Loops", title_locale="en_US")
            >>> spoken_for("es_US").marked("sigue a For Loops", [loops])
            'sigue a <lang xml:lang="en-US">For Loops</lang>'
        """
        body = spoken_text(text, self.locale)
        foreign = {}
        for lesson in lessons:
            locale = content_locale(lesson)
            said = spoken_text(_title_of(lesson), locale)
            if _lang(locale) != _lang(self.locale) and said and said in body:
                foreign[said] = self.content(_title_of(lesson), locale)
        if not foreign:
            return body
        pattern = "|".join(re.escape(t) for t in sorted(foreign, key=len, reverse=True))
        return SSML(re.sub(pattern, lambda m: foreign[m.group(0)], body))

    def listing(self, head: str, items: Sequence[str]) -> SSML:
        """``head`` and the items as one spoken sentence."""
        if not items:
            return SSML(self._ssml(head))
        return SSML(tidy_punctuation(f"{self._ssml(head)} {self.join(items)}."))

    def lines(self, *parts: str) -> SSML:
        """Parts of one answer, said one after the other."""
        return SSML(" ".join(self._ssml(p) for p in parts if p))

    def sentences(self, *parts: str) -> SSML:
        """Parts of one paragraph, said one after the other."""
        return self.lines(*parts)

    def join(self, items: Sequence[str], conjunction: Literal["and", "or"] = "and") -> SSML:
        """Items joined by Babel's list pattern, with a short pause before the last one."""
        said = [self._ssml(item) for item in items]
        # A pause before the last item; before every one when an item has a comma of its
        # own ("Hello, World!"), so the list's commas are heard as the list's.
        pause_all = any("," in _TAG.sub("", item) for item in said)
        for index in range(len(said) - 1):
            if pause_all or index == len(said) - 2:
                said[index] = f"{said[index]}{LIST_BREAK}"
        return SSML(format_list(said, self.locale, conjunction))


@cache
def spoken_for(locale: str) -> SpokenMessages:
    """The (cached) :class:`SpokenMessages` of a Lex locale id."""
    return SpokenMessages(locale)
