"""Speech lint: what a voice answer must be before Amazon Polly reads it.

:func:`lint_ssml` checks one SSML message:

* it parses as SSML: well-formed XML whose root is ``<speak>``, using only tags Amazon Polly
  supports for every voice type we may get ("Supported SSML tags",
  https://docs.aws.amazon.com/polly/latest/dg/supportedtags.html; ``<emphasis>`` is left
  out: neural voices do not support it), a ``<lang>`` naming its ``xml:lang``;
* its words hold nothing a synthesiser reads literally or that shows a bug: parentheses and
  brackets, doubled punctuation ("!!", "??"), bullets, markdown marks (``*``, ``_``, ``#``,
  backticks), URLs, emoji, and markup escaped twice (``&amp;``, ``xml:lang`` as words);
* it is heard in at most :data:`MAX_SECONDS` seconds at :data:`WORDS_PER_MINUTE` (words,
  plus the pauses of its ``<break>`` tags).

:func:`compare_forms` compares an answer's spoken form with its text form: a content item
(a lesson title, a module name, a number) said in one and not the other is reported. The
spoken form may also name the choices the text form shows as buttons.

The scripted conversations (``python -m lex_bot chat --script``) and every response the
test suite produces (``tests/conftest.py``) go through :func:`lint_ssml`.

Example:
    >>> lint_ssml("<speak>Let's start <lang xml:lang='en-US'>For Loops</lang>.</speak>")
    []
    >>> lint_ssml("<speak>Hello, World!! (15 min)</speak>")
    ['reads "(" aloud', 'reads ")" aloud', 'reads "!!" aloud']
    >>> compare_forms("Start Recursion (30 min).", "<speak>Start Recursion.</speak>", ["Recursion"])
    ['"30" is in the text but not spoken']
"""

from __future__ import annotations

import html
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from functools import lru_cache

from lex_bot.lesson_app.speech import speakable

WORDS_PER_MINUTE = 150
MAX_SECONDS = 30.0
#: Tags Amazon Polly supports with standard, neural, long-form and generative voices alike.
POLLY_TAGS = frozenset(
    {"speak", "break", "lang", "p", "s", "sub", "w", "say-as", "prosody", "mark", "phoneme"}
)
#: Sequences read aloud literally (or that show markup escaped twice), with their name.
LITERAL = ("(", ")", "[", "]", "!!", "??", "•", "*", "_", "#", "`", "&amp;", "&lt;", "&gt;",
           "xml:lang", "<break", "</")  # fmt: skip
_URL = re.compile(r"(?:https?://|www\.)\S+|\b\S+\.(?:com|org|io|net|dev)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_NUMBER = re.compile(r"\d+")
_BREAK_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")
_STRENGTH_SECONDS = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.5, "strong": 0.75,
                     "x-strong": 1.0}  # fmt: skip


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or "\U0001f000" <= char <= "\U0001faff"


def spoken_words(content: str) -> str:
    """The words an SSML message says (tags dropped, entities resolved); ``""`` when the
    content is not XML."""
    try:
        return "".join(ET.fromstring(content).itertext())
    except ET.ParseError:
        return ""


def seconds(content: str) -> float:
    """How long ``content`` takes to say: its words at :data:`WORDS_PER_MINUTE`, plus its
    ``<break>`` pauses.

    Example:
        >>> seconds('<speak>one two three<break time="500ms"/></speak>')
        1.7
    """
    root = ET.fromstring(content)
    pause = 0.0
    for element in root.iter():
        if _local(element.tag) != "break":
            continue
        match = _BREAK_TIME.match(element.get("time", ""))
        if match:
            value = float(match.group(1))
            pause += value / 1000 if match.group(2) == "ms" else value
        else:
            pause += _STRENGTH_SECONDS.get(element.get("strength", "medium"), 0.5)
    words = len(_WORD.findall("".join(root.itertext())))
    return round(words * 60 / WORDS_PER_MINUTE + pause, 2)


def lint_ssml(content: str, *, max_seconds: float = MAX_SECONDS) -> list[str]:
    """What is wrong with one SSML message as speech (``[]`` when nothing is)."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError as error:
        return [f"not well-formed SSML: {error}"]
    problems = []
    if _local(root.tag) != "speak":
        problems.append(f"the root is <{_local(root.tag)}>, not <speak>")
    for element in root.iter():
        name = _local(element.tag)
        if name not in POLLY_TAGS:
            problems.append(f"<{name}> is not an SSML tag Amazon Polly supports for every voice")
        if name == "lang" and not element.get("{http://www.w3.org/XML/1998/namespace}lang"):
            problems.append("<lang> without xml:lang")
    words = "".join(root.itertext())
    for sequence in LITERAL:
        if sequence in words:
            problems.append(f"reads {sequence!r} aloud".replace("'", '"'))
    if _URL.search(words):
        problems.append(f"reads a URL aloud: {_URL.search(words).group(0)!r}")  # type: ignore[union-attr]
    if any(_is_emoji(c) for c in words):
        problems.append("reads an emoji aloud")
    duration = seconds(content)
    if duration > max_seconds:
        problems.append(f"takes {duration:.1f} s to say (more than {max_seconds:.0f} s)")
    return problems


@lru_cache(maxsize=8)
def _names_pattern(names: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex for every form of every name (as written, as spoken, without its own final
    mark), longest first, and the map from each form to its name."""
    forms: dict[str, str] = {}
    for name in names:
        bare = name.strip().lstrip("¿¡").rstrip("!?.")
        for form in (name, speakable(name), bare, speakable(bare)):
            if form.strip():
                forms.setdefault(form, name)
    ordered = sorted(forms, key=len, reverse=True)
    alternatives = [rf"(?<!\w){re.escape(form)}(?!\w)" for form in ordered]
    return re.compile("|".join(alternatives) if alternatives else r"(?!)"), forms


def content_items(text: str, names: Iterable[str]) -> set[str]:
    """The names (titles, modules) and numbers ``text`` states: each name as written in
    ``names`` whichever form was used, then the numbers outside the names and URLs.

    Example:
        >>> title = "Counting with range()"
        >>> sorted(content_items("Start Counting with range, 15 minutes.", [title]))
        ['15', 'Counting with range()']
    """
    pattern, forms = _names_pattern(tuple(sorted(set(names))))
    found: set[str] = set()

    def take(match: re.Match[str]) -> str:
        found.add(forms[match.group(0)])
        return " "

    rest = pattern.sub(take, _URL.sub(" ", text))
    found.update(_NUMBER.findall(rest))
    return found


def compare_forms(
    text: str, spoken: str | Sequence[str], names: Iterable[str], *, offered: Iterable[str] = ()
) -> list[str]:
    """Content items in the text form and not spoken, or spoken and not in the text form.

    Parameters:
        text: the text answer (its PlainText messages).
        spoken: the spoken answer: its SSML message, or messages.
        names: the lesson titles and module names to look for (any locale).
        offered: what the text form shows as buttons (the spoken form may name it).
    """
    names = list(names)
    parts = [spoken] if isinstance(spoken, str) else list(spoken)
    said = " ".join(spoken_words(part) or html.unescape(part) for part in parts)
    in_text = content_items(text, names)
    in_speech = content_items(said, names)
    buttons = content_items(" ".join(offered), names)
    problems = [f"{item!r} is in the text but not spoken" for item in sorted(in_text - in_speech)]
    problems += [
        f"{item!r} is spoken but not in the text" for item in sorted(in_speech - in_text - buttons)
    ]
    return [p.replace("'", '"') for p in problems]
