"""Find lessons from free text: ids, titles and aliases, tolerant of case, accents and typos.

Both the query and every lesson name (qualified id, bare id, title, aliases) go through
:func:`normalize` (built on :func:`knowledge_graph.text.fold_text`). An exact match of the
normalised text (or of its space-free form) wins with confidence 1.0; several exact matches
make the result ambiguous. Otherwise a fuzzy search ranks names by token overlap, where
typo'd query tokens are matched to known tokens by character-trigram similarity, and scores
the best few candidates with :class:`difflib.SequenceMatcher`.

The name table and its token and trigram indexes are built once per graph (on the first
search); a query only touches the names sharing a (possibly typo-corrected) token.

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> search = LessonSearch(example_graph().index)
>>> search.find("The Fór-Loops lesson!").best
LessonMatch(lesson_id='demo/loops', title='For Loops', confidence=1.0, matched='For Loops')
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np

from knowledge_graph.text import drop_filler_words, fold_text

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.index import GraphIndex

#: Longer queries are cut to this many characters before matching.
MAX_QUERY_CHARS: Final[int] = 200
#: At most this many query tokens are used.
MAX_QUERY_TOKENS: Final[int] = 12
#: Fuzzy matches below this confidence are not reported.
MIN_CONFIDENCE: Final[float] = 0.45
#: Fuzzy confidence never reaches 1.0 (reserved for exact matches).
MAX_FUZZY_CONFIDENCE: Final[float] = 0.99
#: A result is confident from this confidence on (when not ambiguous).
CONFIDENT: Final[float] = 0.85
#: Two matches closer than this are "close candidates" (ambiguity).
AMBIGUITY_MARGIN: Final[float] = 0.05
#: Minimum trigram similarity for a query token to stand for a known token (typos).
MIN_TOKEN_SIMILARITY: Final[float] = 0.4
#: Known tokens considered per query token.
MAX_TOKEN_EXPANSIONS: Final[int] = 5
#: Names scored with difflib per query.
MAX_FUZZY_CANDIDATES: Final[int] = 40


@dataclass(frozen=True)
class LessonMatch:
    """A lesson found by :meth:`LessonSearch.find`.

    ``matched`` is the id, title or alias that matched; ``confidence`` is in [0, 1].
    """

    lesson_id: str
    title: str
    confidence: float
    matched: str


@dataclass(frozen=True)
class FindResult:
    """The matches of one query, best first."""

    query: str
    matches: tuple[LessonMatch, ...]

    @property
    def best(self) -> LessonMatch | None:
        """The best match, or None when nothing matched."""
        return self.matches[0] if self.matches else None

    @property
    def ambiguous(self) -> bool:
        """True when at least two matches are about equally good."""
        if len(self.matches) < 2:
            return False
        return self.matches[1].confidence >= self.matches[0].confidence - AMBIGUITY_MARGIN

    @property
    def is_confident(self) -> bool:
        """True when the best match is good enough to act on without asking."""
        best = self.best
        return best is not None and best.confidence >= CONFIDENT and not self.ambiguous


def normalize(text: object) -> str:
    """Return the search key of a query or name: folded, capped, without filler words.

    :func:`knowledge_graph.text.fold_text` of the first :data:`MAX_QUERY_CHARS` characters,
    cut to :data:`MAX_QUERY_TOKENS` words, then
    :func:`knowledge_graph.text.drop_filler_words`.

    Parameters
    ----------
    text : object
        Anything; non-strings give ``""``.

    Returns
    -------
    str
        Space-separated tokens.

    Example
    -------
    >>> normalize("  The Lesson on Fór-Loops!! ")
    'for loops'
    """
    if not isinstance(text, str):
        return ""
    tokens = fold_text(text[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_TOKENS]
    return drop_filler_words(" ".join(tokens))


def _trigrams(token: str) -> set[str]:
    """Character trigrams of `` token `` (padded so short tokens have some)."""
    padded = f" {token} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


@dataclass(frozen=True)
class _Name:
    """One searchable name of a lesson."""

    lesson: int
    text: str
    normalized: str
    tokens: int


class LessonSearch:
    """The name table of a graph and the :meth:`find` query over it."""

    def __init__(self, index: GraphIndex) -> None:
        self._index = index
        self._names: list[_Name] = []
        self._exact: dict[str, list[int]] = {}
        token_names: dict[str, list[int]] = {}
        for lesson, text in self._lesson_names():
            normalized = normalize(text)
            if not normalized:
                continue
            name_id = len(self._names)
            tokens = normalized.split()
            self._names.append(_Name(lesson, text, normalized, len(tokens)))
            for key in dict.fromkeys((normalized, normalized.replace(" ", ""))):
                self._exact.setdefault(key, []).append(name_id)
            for token in dict.fromkeys(tokens):
                token_names.setdefault(token, []).append(name_id)
        self._vocabulary = list(token_names)
        self._token_ids = {t: k for k, t in enumerate(self._vocabulary)}
        self._postings = [np.array(token_names[t], dtype=np.int64) for t in self._vocabulary]
        self._name_tokens = np.array([n.tokens for n in self._names], dtype=float)
        self._trigram_tokens = self._build_trigram_index()

    def _lesson_names(self) -> Iterator[tuple[int, str]]:
        """Yield ``(lesson index, name)`` for ids, titles and aliases."""
        index = self._index
        for i, node in enumerate(index.ids):
            data = index.node_data[i]
            yield i, node
            yield i, index.bare_ids[i]
            if data.get("title"):
                yield i, str(data["title"])
            for alias in data.get("aliases") or ():
                yield i, str(alias)

    def _build_trigram_index(self) -> dict[str, np.ndarray]:
        """Map each trigram to the vocabulary tokens containing it."""
        table: dict[str, list[int]] = {}
        self._token_trigram_count = np.zeros(len(self._vocabulary))
        for k, token in enumerate(self._vocabulary):
            grams = _trigrams(token)
            self._token_trigram_count[k] = len(grams)
            for gram in grams:
                table.setdefault(gram, []).append(k)
        return {g: np.array(ks, dtype=np.int64) for g, ks in table.items()}

    # ------------------------------------------------------------------ query

    def find(self, text: str, limit: int = 5) -> FindResult:
        """Return up to ``limit`` lessons matching ``text``, best first; never raises.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> result = LessonSearch(example_graph().index).find("functons")
        >>> result.best.lesson_id, result.is_confident
        ('demo/functions', False)
        """
        query = text if isinstance(text, str) else ""
        normalized = normalize(query)
        if not normalized or limit <= 0:
            return FindResult(query[:MAX_QUERY_CHARS], ())
        exact = self._exact.get(normalized) or self._exact.get(normalized.replace(" ", ""))
        scored = [(n, 1.0) for n in exact] if exact else self._fuzzy(normalized)
        return FindResult(query[:MAX_QUERY_CHARS], self._matches(scored, limit))

    def _matches(self, scored: list[tuple[int, float]], limit: int) -> tuple[LessonMatch, ...]:
        """Best name per lesson, sorted by confidence then load order."""
        best: dict[int, tuple[float, int]] = {}
        for name_id, confidence in scored:
            lesson = self._names[name_id].lesson
            if lesson not in best or confidence > best[lesson][0]:
                best[lesson] = (confidence, name_id)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        index = self._index
        return tuple(
            LessonMatch(
                lesson_id=index.ids[lesson],
                title=str(index.node_data[lesson].get("title") or index.ids[lesson]),
                confidence=round(confidence, 4),
                matched=self._names[name_id].text,
            )
            for lesson, (confidence, name_id) in ranked
        )

    def _expand(self, token: str) -> list[tuple[int, float]]:
        """Known tokens standing for a query token: itself, and close spellings."""
        found: dict[int, float] = {}
        exact = self._token_ids.get(token)
        if exact is not None:
            found[exact] = 1.0
        grams = [self._trigram_tokens[g] for g in _trigrams(token) if g in self._trigram_tokens]
        if grams:
            shared = np.bincount(np.concatenate(grams), minlength=len(self._vocabulary))
            hits = np.flatnonzero(shared)
            dice = 2 * shared[hits] / (len(_trigrams(token)) + self._token_trigram_count[hits])
            keep = dice >= MIN_TOKEN_SIMILARITY
            hits, dice = hits[keep], dice[keep]
            top = np.lexsort((hits, -dice))[:MAX_TOKEN_EXPANSIONS]
            for k, similarity in zip(hits[top], dice[top], strict=True):
                found.setdefault(int(k), float(similarity))
        return list(found.items())

    def _fuzzy(self, normalized: str) -> list[tuple[int, float]]:
        """Score the names sharing a (typo-tolerant) token with the query."""
        tokens = list(dict.fromkeys(normalized.split()))
        overlap = np.zeros(len(self._names))
        for token in tokens:
            best = np.zeros(len(self._names))
            for k, similarity in self._expand(token):
                names = self._postings[k]
                best[names] = np.maximum(best[names], similarity)
            overlap += best
        touched = np.flatnonzero(overlap)
        if touched.size == 0:
            return []
        dice = 2 * overlap[touched] / (len(tokens) + self._name_tokens[touched])
        if touched.size > MAX_FUZZY_CANDIDATES:
            keep = np.lexsort((touched, -dice))[:MAX_FUZZY_CANDIDATES]
            touched, dice = touched[keep], dice[keep]
        scored = []
        for name_id, token_score in zip(touched.tolist(), dice.tolist(), strict=True):
            name = self._names[name_id].normalized
            ratio = difflib.SequenceMatcher(None, normalized, name, autojunk=False).ratio()
            confidence = min(MAX_FUZZY_CONFIDENCE, 0.5 * min(token_score, 1.0) + 0.5 * ratio)
            if confidence >= MIN_CONFIDENCE:
                scored.append((name_id, confidence))
        return scored
