"""A small local stand-in for Lex's NLU: typed text to an intent and slots.

Used by the local chat (``lex_bot/devtools/local_chat.py``) so the real handler can be
exercised with no AWS account. It learns only from the bot definition
(``lex_bot/lesson_app/bot_definition.yaml``) and the slot values generated from the lesson
graph (``lex_bot.devtools.slot_values.generate_slot_values``), so authors' edits show up in
the chat at once.

How an input is understood, per locale:

1. **Normalise**: case-folded, accents stripped, apostrophes dropped, split into word tokens
   (each token remembers where it was in the original text, so slot values keep the
   learner's own spelling).
2. **Exact utterance**: when the tokens spell a sample utterance, with each ``{Slot}`` matching
   one or more tokens (an ``AMAZON.Number`` slot must hold a number), that intent wins with
   confidence 1.0 and the spans become the slots' ``originalValue`` even when they name no
   known value (Lex's ``original_value`` resolution passes through what was said; the handler
   resolves it). Utterances without slots beat those with slots; more literal words beat fewer.
3. **Similarity**: otherwise TF-IDF vectors (word unigrams and bigrams, plus character
   trigrams for typos) of the input, and of the input with known slot values replaced by a
   slot-type token, are compared by cosine with every sample utterance; an intent scores its
   best utterance. Below the locale's ``nlu_confidence_threshold`` the answer is
   ``FallbackIntent``. Slots are filled only when the slot-type variant won (as Lex fills
   slots only where an utterance has one).

Example:
    >>> from knowledge_graph import load_graph
    >>> nlu = LocalNlu.for_graph(load_graph("data/lessons"), "en_US")
    >>> result = nlu.interpret("I finished loops with a score of 90")
    >>> result.intent, result.slots["LessonName"].interpreted, result.slots["Score"].interpreted
    ('CompleteLesson', 'For Loops', '90')
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge_graph.text import fold_text
from lex_bot.devtools.bot_definition import FALLBACK_INTENT, BotDefinition, load_bot_definition
from lex_bot.lesson_app.spoken_numbers import NUMBER_JOINERS, NUMBER_WORDS, words_value

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import LessonGraph

NUMBER_SLOT_TYPE = "AMAZON.Number"
DEFAULT_THRESHOLD = 0.4
#: Interpretations returned besides the best one (Lex returns up to five in all).
MAX_ALTERNATIVES = 4
#: Confidence from which an answer to a slot question is taken as a (new) request.
SWITCH_CONFIDENCE = 0.75
_CHAR_NGRAM = 3
_CHAR_WEIGHT = 1.0
#: Share of an intent's score that comes from all its utterances together (its centroid).
_CENTROID_WEIGHT = 0.35
_SLOT_REFERENCE = re.compile(r"\{([^{}]*)\}")
#: A word as the tokenizer sees it: letters, digits and apostrophes inside it.
_WORD = re.compile(r"[^\W_]+(?:['’`][^\W_]+)*")
_APOSTROPHES = re.compile("['’`]")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
#: What separates the items of a List slot's answer: commas, "and", "y", "e", "&".
_LIST_SEPARATOR = re.compile(
    r"(\s*,\s*(?:and\s+|y\s+|e\s+)?|\s+and\s+|\s+y\s+|\s+e\s+|\s*&\s*)", re.I
)

_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "certainly", "confirm",
                  "confirmed", "please", "si", "claro", "vale", "correcto", "dale", "bueno",
                  "afirmativo"})  # fmt: skip
_NO = frozenset({"no", "n", "nope", "nah", "never", "cancel", "negativo", "tampoco"})
_NO_PHRASES = frozenset({"no thanks", "not now", "no gracias", "mejor no", "ahora no"})
_YES_PHRASES = frozenset({"yes please", "of course", "go ahead", "por supuesto", "si claro"})


class Confirmation(StrEnum):
    """A yes/no answer to a ConfirmIntent question (Lex's ``confirmationState`` values)."""

    CONFIRMED = "Confirmed"
    DENIED = "Denied"


@dataclass(frozen=True)
class Token:
    """A normalised word and where it came from in the original text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SlotFill:
    """A filled slot as Lex reports it.

    Attributes:
        original: what the learner said for the slot.
        interpreted: the listed value it resolved to, else ``original`` (numbers as digits).
        resolved: the listed values it may mean (empty when it matched none).
    """

    original: str
    interpreted: str
    resolved: tuple[str, ...] = ()
    items: tuple[SlotFill, ...] = field(default=(), repr=False)

    def to_lex(self) -> dict[str, Any]:
        """The Lex V2 ``Slot`` object (Scalar shape; List shape with ``items``)."""
        if self.items:
            return {
                "shape": "List",
                "value": {
                    "originalValue": self.original,
                    "interpretedValue": self.original,
                    "resolvedValues": [],
                },
                "values": [item.to_lex() for item in self.items],
            }
        return {
            "shape": "Scalar",
            "value": {
                "originalValue": self.original,
                "interpretedValue": self.interpreted,
                "resolvedValues": list(self.resolved),
            },
        }


@dataclass(frozen=True)
class IntentMatch:
    """One interpretation: an intent, how sure the matcher is, and the slots it filled."""

    intent: str
    confidence: float
    slots: dict[str, SlotFill] = field(default_factory=dict)


@dataclass(frozen=True)
class NluResult:
    """The interpretations of one input, best first (the last is ``FallbackIntent``)."""

    text: str
    interpretations: tuple[IntentMatch, ...]

    @property
    def best(self) -> IntentMatch:
        return self.interpretations[0]

    @property
    def intent(self) -> str:
        return self.best.intent

    @property
    def confidence(self) -> float:
        return self.best.confidence

    @property
    def slots(self) -> dict[str, SlotFill]:
        return self.best.slots


# --------------------------------------------------------------------------- text handling


def tokenize(text: str) -> list[Token]:
    """Word tokens of ``text``, each folded by :func:`knowledge_graph.text.fold_text` (the
    project's one normalisation) after dropping apostrophes ("I'm" is one word), with its span
    in ``text``.

    Example:
        >>> [t.text for t in tokenize("¿Qué   tal? I'm BACK")]
        ['que', 'tal', 'im', 'back']
    """
    tokens = []
    for match in _WORD.finditer(text):
        folded = fold_text(_APOSTROPHES.sub("", match.group()))
        if folded:
            tokens.append(Token(folded.replace(" ", ""), match.start(), match.end()))
    return tokens


def normalise(text: str) -> str:
    """The normalised form of ``text``: its tokens joined by single spaces.

    Example:
        >>> normalise("Hello, World!")
        'hello world'
    """
    return " ".join(token.text for token in tokenize(text))


_DECIMAL = re.compile(r"(?<![\w.,])-?\d+[.,]\d+(?![\w.,]*\d)")
_SIGNED = re.compile(r"(?<![\w.,-])-\d+(?![\w.,]*\d)")


def parse_number(text: str) -> str | None:
    """The number in ``text`` as Lex's AMAZON.Number interprets it (digits), else ``None``.

    Example:
        >>> parse_number("I got 85"), parse_number("ninety five"), parse_number("lots")
        ('85', '95', None)
        >>> parse_number("I got 0.5"), parse_number("saqué 92,5"), parse_number("-5")
        ('0.5', '92.5', '-5')
        >>> parse_number("ochenta y cinco"), parse_number("one hundred and five")
        ('85', '105')
        >>> parse_number("saqué noventa y siete en bucles"), parse_number("cien y bucles")
        ('97', '100')
    """
    decimal = _DECIMAL.search(text)  # "0.5", "92,5": before folding splits them at the mark
    if decimal:
        return decimal.group().replace(",", ".")
    signed = _SIGNED.search(text)  # "-5": folding would drop the minus sign
    if signed:
        return signed.group()
    words = normalise(text).split()
    for word in words:
        if _NUMBER.match(word):
            return word
    for at, word in enumerate(words):  # the first number said in words
        if word in NUMBER_WORDS:
            return str(words_value(words[at:]))
    return None


def _in_number(words: list[str], at: int) -> bool:
    """``words[at]`` is part of a number: digits, a number word, or a joiner between two
    ("ochenta y cinco")."""
    word = words[at]
    if word.isdigit() or word in NUMBER_WORDS:
        return True
    inside = 0 < at < len(words) - 1
    return (
        word in NUMBER_JOINERS and inside and {words[at - 1], words[at + 1]} <= NUMBER_WORDS.keys()
    )


def confirmation_of(text: str) -> Confirmation | None:
    """A yes/no answer to a confirmation question, in English or Spanish, else ``None``.

    Example:
        >>> confirmation_of("Yes please"), confirmation_of("no"), confirmation_of("maybe")
        (<Confirmation.CONFIRMED: 'Confirmed'>, <Confirmation.DENIED: 'Denied'>, None)
    """
    words = normalise(text)
    if not words:
        return None
    if words in _NO_PHRASES or words.split()[0] in _NO:
        return Confirmation.DENIED
    if words in _YES_PHRASES or words.split()[0] in _YES:
        return Confirmation.CONFIRMED
    return None


def slot_token(slot_type: str) -> str:
    """The token standing for any value of ``slot_type`` in the similarity model."""
    return "slot" + re.sub(r"\W", "", slot_type).lower()


# --------------------------------------------------------------------------- TF-IDF


class _TfIdf:
    """TF-IDF over word unigrams + bigrams and character trigrams, rows L2-normalised."""

    def __init__(self, documents: Sequence[str]) -> None:
        features = [self._features(doc) for doc in documents]
        vocabulary: dict[str, int] = {}
        for counts in features:
            for name in counts:
                vocabulary.setdefault(name, len(vocabulary))
        self.vocabulary = vocabulary
        document_frequency = np.zeros(len(vocabulary))
        for counts in features:
            for name in counts:
                document_frequency[vocabulary[name]] += 1
        self.idf = np.log((1 + len(documents)) / (1 + document_frequency)) + 1.0
        self.matrix = np.vstack([self._vector(counts) for counts in features])

    @staticmethod
    def _features(text: str) -> Counter[str]:
        words = text.split()
        counts: Counter[str] = Counter(f"w:{w}" for w in words)
        counts.update(f"b:{a} {b}" for a, b in itertools.pairwise(words))
        char_counts: Counter[str] = Counter()
        for word in words:
            if word.startswith("slot"):
                continue
            padded = f" {word} "
            char_counts.update(
                f"c:{padded[i : i + _CHAR_NGRAM]}" for i in range(len(padded) - _CHAR_NGRAM + 1)
            )
        for name, count in char_counts.items():
            counts[name] = count * _CHAR_WEIGHT  # type: ignore[assignment]
        return counts

    def _vector(self, counts: Mapping[str, float]) -> np.ndarray:
        vector = np.zeros(len(self.vocabulary))
        for name, count in counts.items():
            index = self.vocabulary.get(name)
            if index is not None:
                vector[index] = (1.0 + math.log(count)) if count >= 1 else count
        vector *= self.idf
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def vector(self, text: str) -> np.ndarray:
        """The unit TF-IDF vector of ``text`` (cosine with a row is a dot product)."""
        return self._vector(self._features(text))


# --------------------------------------------------------------------------- the matcher


@dataclass(frozen=True)
class _Utterance:
    intent: str
    pattern: re.Pattern[str]
    slots: tuple[str, ...]
    literal_words: int


@dataclass(frozen=True)
class _Phrase:
    """A slot value or synonym as tokens, with the canonical value it stands for."""

    tokens: tuple[str, ...]
    value: str


class LocalNlu:
    """Classify text into the bot definition's intents and fill their slots, for one locale.

    Parameters:
        definition: the bot definition.
        slot_values: ``{slot type: [{"value", "synonyms"}]}`` of this locale
            (``generate_slot_values(graph, locale)``).
        locale: a bot locale id such as ``en_US``.
    """

    def __init__(
        self,
        definition: BotDefinition,
        slot_values: Mapping[str, Sequence[Mapping[str, Any]]],
        locale: str,
    ) -> None:
        if locale not in definition.bot.locales:
            raise ValueError(f"locale {locale!r} is not a bot locale ({definition.locales()})")
        self.definition = definition
        self.locale = locale
        self.threshold = definition.bot.locales[locale].nlu_confidence_threshold
        self._phrases = {name: _phrases(entries) for name, entries in slot_values.items()}
        self._canonical = {
            name: {" ".join(p.tokens): p.value for p in phrases}
            for name, phrases in self._phrases.items()
        }
        self._utterances: list[_Utterance] = []
        documents: list[str] = []
        for name, intent in definition.intents.items():
            for utterance in intent.utterances.get(locale, []):
                self._utterances.append(_compile_utterance(name, utterance))
                documents.append(self._template_document(name, utterance))
        self._model = _TfIdf(documents)
        intents = sorted({u.intent for u in self._utterances})
        self._intent_rows = {
            name: np.array([i for i, u in enumerate(self._utterances) if u.intent == name])
            for name in intents
        }
        self._centroids: dict[str, np.ndarray] = {}
        for name, rows in self._intent_rows.items():
            centroid = self._model.matrix[rows].sum(axis=0)
            self._centroids[name] = centroid / (np.linalg.norm(centroid) or 1.0)

    @classmethod
    def for_graph(
        cls, graph: LessonGraph, locale: str, definition: BotDefinition | None = None
    ) -> LocalNlu:
        """The matcher for ``locale`` with slot values generated from ``graph``.

        Example:
            >>> LocalNlu.for_graph(load_graph("data/lessons"), "es_US").locale
            'es_US'
        """
        from lex_bot.devtools.slot_values import generate_slot_values

        values = generate_slot_values(graph, locale)
        return cls(definition or load_bot_definition(), values, locale)

    # ------------------------------------------------------------------ public

    def interpret(self, text: str) -> NluResult:
        """Interpretations of ``text``, best first, ending with ``FallbackIntent``.

        Example:
            >>> nlu.interpret("whats next").intent
            'RecommendNextLesson'
        """
        tokens = tokenize(text)
        words = " ".join(t.text for t in tokens)
        if not words:
            return NluResult(text, (IntentMatch(FALLBACK_INTENT, 1.0),))
        exact = self._exact_match(text, tokens, words)
        scored = self._similarity(text, tokens, words)
        if exact is not None:
            scored[exact.intent] = exact
        ranked = sorted(scored.values(), key=lambda m: -m.confidence)
        best = ranked[0] if ranked else None
        if best is None or best.confidence < self.threshold:
            top = 1.0 - (best.confidence if best else 0.0)
            fallback = IntentMatch(FALLBACK_INTENT, round(top, 2))
            return NluResult(text, (fallback, *ranked[:MAX_ALTERNATIVES]))
        others = ranked[1 : 1 + MAX_ALTERNATIVES]
        return NluResult(text, (best, *others, IntentMatch(FALLBACK_INTENT, 0.0)))

    def fill_slot(self, intent: str, slot: str, text: str) -> SlotFill | None:
        """The value of ``slot`` when the whole of ``text`` answers a question for it.

        Custom slot types take the whole input (resolved to a listed value when it is one);
        ``AMAZON.Number`` takes the number in the text. ``None`` when nothing fits.

        Example:
            >>> nlu.fill_slot("CompleteLesson", "Score", "I got 92")
            SlotFill(original='I got 92', interpreted='92', resolved=())
        """
        slot_type = self.definition.slot_type_of(intent, slot)
        cleaned = " ".join(text.split()).strip(" .!?¡¿")
        if slot_type is None or not cleaned:
            return None
        if slot_type == NUMBER_SLOT_TYPE:
            number = parse_number(cleaned)
            return None if number is None else SlotFill(cleaned, number)
        spec = self.definition.slot(intent, slot)
        if spec is not None and spec.multiple_values:
            return self._resolve_list(slot_type, cleaned)
        return self._resolve(slot_type, cleaned)

    def known_value(self, slot_type: str, text: str) -> str | None:
        """The listed value ``text`` names exactly (ignoring case and accents), else ``None``."""
        return self._canonical.get(slot_type, {}).get(normalise(text))

    def answer(self, intent: str, slot: str, text: str) -> SlotFill | NluResult | None:
        """What ``text`` means when Lex has just asked for ``slot`` of ``intent``.

        Returns:
            a :class:`SlotFill` for the slot: ``text`` names a listed value, or is a clear
            request that carries a value of the slot's type ("start recursion" when asked
            for a lesson), or is taken whole as custom slot types take any answer;
            an :class:`NluResult` when ``text`` clearly asks for another intent (a sample
            utterance of it, or a confidence of at least ``SWITCH_CONFIDENCE``): Lex
            switches to it;
            ``None`` when nothing fits (no number where a number was asked).

        Example:
            >>> nlu.answer("StartLesson", "LessonName", "start recursion")
            SlotFill(original='recursion', interpreted='Recursion', resolved=('Recursion',))
            >>> nlu.answer("StartLesson", "LessonName", "start over").intent
            'ResetProgress'
        """
        slot_type = self.definition.slot_type_of(intent, slot) or ""
        if self.known_value(slot_type, text) is None:
            result = self.interpret(text)
            best = result.best
            if best.intent != FALLBACK_INTENT and best.confidence >= SWITCH_CONFIDENCE:
                for name, fill in best.slots.items():
                    if self.definition.slot_type_of(best.intent, name) == slot_type:
                        return fill
                if best.intent != intent:
                    return result
        return self.fill_slot(intent, slot, text)

    # ------------------------------------------------------------------ internals

    def _template_document(self, intent: str, utterance: str) -> str:
        parts = _SLOT_REFERENCE.split(utterance)
        out = []
        for index, part in enumerate(parts):
            if index % 2:
                out.append(slot_token(self.definition.slot_type_of(intent, part) or part))
            else:
                out.append(normalise(part))
        return " ".join(p for p in out if p)

    def _resolve(self, slot_type: str, original: str) -> SlotFill:
        value = self.known_value(slot_type, original)
        if value is None:
            return SlotFill(original, original)
        return SlotFill(original, value, (value,))

    def _resolve_list(self, slot_type: str, original: str) -> SlotFill:
        """A List slot: the items of "A, B and C", each resolved; a listed value that holds
        a separator ("Booleans and Comparisons") stays one item (longest known first)."""
        pieces = _LIST_SEPARATOR.split(original)
        parts, seps = pieces[0::2], pieces[1::2]
        items: list[SlotFill] = []
        i = 0
        while i < len(parts):
            for j in range(len(parts), i, -1):
                phrase = parts[i]
                for k in range(i + 1, j):
                    phrase += seps[k - 1] + parts[k]
                if j == i + 1 or self.known_value(slot_type, phrase) is not None:
                    if phrase.strip():
                        items.append(self._resolve(slot_type, phrase.strip()))
                    i = j
                    break
        if not items:
            items = [self._resolve(slot_type, original)]
        return SlotFill(original, original, (), tuple(items))

    def _slot_fill(self, intent: str, slot: str, original: str) -> SlotFill | None:
        spec = self.definition.slot(intent, slot)
        slot_type = self.definition.slot_type_of(intent, slot) or ""
        if spec is not None and spec.multiple_values:
            return self._resolve_list(slot_type, original)
        if slot_type == NUMBER_SLOT_TYPE:
            number = parse_number(original)
            # at most 3 words, a number said in words counting as one ("ochenta y cinco por
            # ciento" is 3)
            said = normalise(original).split()
            parts = [
                at
                for at in range(len(said))
                if not (at and _in_number(said, at) and _in_number(said, at - 1))
            ]
            if number is None or len(parts) > 3:
                return None
            return SlotFill(original, number)
        return self._resolve(slot_type, original)

    def _exact_match(self, text: str, tokens: list[Token], words: str) -> IntentMatch | None:
        """The best sample utterance that ``words`` spells, with its slot spans."""
        best: tuple[tuple[int, int], IntentMatch] | None = None
        for utterance in self._utterances:
            match = utterance.pattern.fullmatch(words)
            if match is None:
                continue
            slots: dict[str, SlotFill] = {}
            for index, name in enumerate(utterance.slots):
                original = _span_text(text, tokens, words, match.span(index + 1))
                fill = self._slot_fill(utterance.intent, name, original)
                if fill is None:
                    break
                slots[name] = fill
            else:
                rank = (utterance.literal_words, -len(utterance.slots))
                if best is None or rank > best[0]:
                    best = (rank, IntentMatch(utterance.intent, 1.0, slots))
        return best[1] if best else None

    def _find_values(self, tokens: list[Token]) -> list[tuple[int, int, str, str]]:
        """Known slot values in ``tokens``: ``(first, end, slot type, value)``, longest first."""
        words = [t.text for t in tokens]
        found: list[tuple[int, int, str, str]] = []
        taken = [False] * len(words)
        candidates = []
        for slot_type, phrases in self._phrases.items():
            for phrase in phrases:
                candidates.append((len(phrase.tokens), slot_type, phrase))
        candidates.sort(key=lambda c: -c[0])
        for size, slot_type, phrase in candidates:
            for start in range(len(words) - size + 1):
                if any(taken[start : start + size]):
                    continue
                if tuple(words[start : start + size]) == phrase.tokens:
                    found.append((start, start + size, slot_type, phrase.value))
                    taken[start : start + size] = [True] * size
        for index, word in enumerate(words):
            if not taken[index] and parse_number(word) is not None and _NUMBER.match(word):
                found.append((index, index + 1, NUMBER_SLOT_TYPE, word))
        return sorted(found)

    def _similarity(self, text: str, tokens: list[Token], words: str) -> dict[str, IntentMatch]:
        """Each intent's score: its best utterance's cosine, blended with its centroid's.

        Slots are filled when the variant with slot-type tokens scored higher (the only
        variant when a value of several words was found).
        """
        values = self._find_values(tokens)
        replaced_words = [t.text for t in tokens]
        for start, end, slot_type, _ in reversed(values):
            replaced_words[start:end] = [slot_token(slot_type)]
        variants = [self._model.vector(words)]
        if values:
            variants.append(self._model.vector(" ".join(replaced_words)))
        with_slots = 1
        if any(end - start > 1 for start, end, _, _ in values):
            # A name of several words ("hello world") is a value, not the intent's own words
            # ("hello" of Greeting): scored as the slot it fills, as Lex reads slot values.
            variants, with_slots = variants[1:], 0
        scored: dict[str, IntentMatch] = {}
        for intent, rows in self._intent_rows.items():
            best_score, use_slots = -1.0, False
            for number, vector in enumerate(variants):
                per_utterance = float((self._model.matrix[rows] @ vector).max())
                centroid = float(self._centroids[intent] @ vector)
                score = (1 - _CENTROID_WEIGHT) * per_utterance + _CENTROID_WEIGHT * centroid
                if score > best_score:
                    best_score, use_slots = score, number == with_slots
            slots = self._slots_from_values(intent, text, tokens, values, use_slots)
            scored[intent] = IntentMatch(intent, round(max(best_score, 0.0), 2), slots)
        return scored

    def _slots_from_values(
        self,
        intent: str,
        text: str,
        tokens: list[Token],
        values: list[tuple[int, int, str, str]],
        use_slots: bool,
    ) -> dict[str, SlotFill]:
        if not use_slots:
            return {}
        slots: dict[str, SlotFill] = {}
        for slot in self.definition.intents[intent].slots:
            for start, end, slot_type, value in values:
                if slot_type == slot.type and slot.name not in slots:
                    original = text[tokens[start].start : tokens[end - 1].end]
                    resolved = () if slot_type == NUMBER_SLOT_TYPE else (value,)
                    slots[slot.name] = SlotFill(original, value, resolved)
                    break
        return slots


def _phrases(entries: Sequence[Mapping[str, Any]]) -> list[_Phrase]:
    out: list[_Phrase] = []
    for entry in entries:
        value = str(entry.get("value", ""))
        for text in [value, *entry.get("synonyms", [])]:
            tokens = tuple(normalise(str(text)).split())
            if tokens and value:
                out.append(_Phrase(tokens, value))
    return out


def _compile_utterance(intent: str, utterance: str) -> _Utterance:
    """A regex over normalised words that a sample utterance spells; slots match 1+ words."""
    parts = _SLOT_REFERENCE.split(utterance)
    pieces: list[str] = []
    slots: list[str] = []
    literal = 0
    for index, part in enumerate(parts):
        if index % 2:
            pieces.append(r"(\w+(?: \w+)*?)")
            slots.append(part)
        else:
            words = normalise(part).split()
            literal += len(words)
            pieces.extend(re.escape(word) for word in words)
    return _Utterance(intent, re.compile(" ".join(pieces)), tuple(slots), literal)


def _span_text(text: str, tokens: list[Token], words: str, span: tuple[int, int]) -> str:
    """The original text of the tokens covering ``span`` of the normalised ``words``."""
    first = words.count(" ", 0, span[0])
    last = words.count(" ", 0, span[1])
    return text[tokens[first].start : tokens[last].end]
