"""Find lessons from free text: ids, titles and aliases, tolerant of case, accents and typos.

Both the query and every lesson name (qualified id, bare id, title, aliases) go through
:func:`normalize` (built on :func:`knowledge_graph.text.fold_text`). An exact match of the
normalised text (or of its space-free form) wins with confidence 1.0; several exact matches
make the result ambiguous. Otherwise a fuzzy search ranks names by token overlap, where
typo'd query tokens are matched to known tokens by character-trigram similarity, and scores
the best few candidates with :class:`difflib.SequenceMatcher`.

The name table and its token and trigram indexes are arrays (:func:`search_tables`): a
compiled index stores them, memory-mapped, so a search costs no start-up at all; a graph
built from networkx builds them on its first search. Tokens, trigrams and exact names are
found by a 64-bit key (:func:`key_of`) with binary search; a query only touches the names
sharing a (possibly typo-corrected) token.

Example
-------
>>> from knowledge_graph.examples import example_graph
>>> search = LessonSearch(example_graph().index)
>>> search.find("The Fór-Loops lesson!").best
LessonMatch(lesson_id='demo/loops', title='For Loops', confidence=1.0, matched='For Loops')
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

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
#: A query of at least this many whole words that begins the names of exactly one lesson
#: ("capstone project" of "Capstone Project: Text Adventure") finds it confidently.
MIN_PREFIX_WORDS: Final[int] = 2
#: The confidence of such a title-prefix match (confident, below an exact match).
PREFIX_CONFIDENCE: Final[float] = 0.9


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


def locale_key(locale: str | None) -> int:
    """The ``name_locale`` of a name in ``locale`` (0: a name in every locale).

    Example
    -------
    >>> locale_key(None), locale_key("es_US") == key_of("es_US") != 0
    (0, True)
    """
    return 0 if not locale else key_of(locale)


def key_of(text: str) -> int:
    """A stable 64-bit key of a string (tokens, trigrams and exact names are found by it).

    Example
    -------
    >>> key_of("loops") == key_of("loops") != key_of("loop")
    True
    """
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


#: The arrays of a search table (see :func:`search_arrays`), each with its dtype: per name
#: (``name_*``: lesson, :func:`locale_key` of the locale it is a name in or 0 for every
#: locale, token count), the exact keys (``exact_key`` sorted, with the name of
#: each), the vocabulary (token keys sorted, ``vocab_start`` row offsets of each token's names
#: in ``post_name``, ``vocab_grams`` its trigram count) and the trigram table (``gram_key``
#: sorted, ``gram_token`` the vocabulary number of a token having that trigram).
SEARCH_ARRAYS: Final[dict[str, str]] = {
    "name_lesson": "<i4",
    "name_locale": "<u8",
    "name_tokens": "<i4",
    "exact_key": "<u8",
    "exact_name": "<i4",
    "vocab": "<u8",
    "vocab_start": "<i8",
    "vocab_grams": "<i4",
    "post_name": "<i4",
    "gram_key": "<u8",
    "gram_token": "<i4",
}


@dataclass
class SearchNames:
    """The searchable names of some lessons, before they become arrays.

    ``lesson``, ``locale`` (:func:`locale_key`), ``text``, ``normalized`` and ``tokens`` per
    name (in lesson order, then id, bare id, title, aliases, then each translation's title
    and aliases); ``keys`` (name, exact key), ``pairs`` (name, token key) and
    ``grams`` (token key -> its trigram keys, for every token seen).
    """

    lesson: list[int] = field(default_factory=list)
    locale: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    normalized: list[str] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    keys: list[tuple[int, int]] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    grams: dict[int, list[int]] = field(default_factory=dict)

    def add(self, lesson: int, text: str, locale: str | None = None) -> None:
        """Add one name of ``lesson`` (skipped when it normalises to nothing); ``locale``:
        the only locale it is a name in (None: every locale)."""
        normalized = normalize(text)
        if not normalized:
            return
        name = len(self.lesson)
        tokens = normalized.split()
        self.lesson.append(lesson)
        self.locale.append(locale_key(locale))
        self.text.append(text)
        self.normalized.append(normalized)
        self.tokens.append(len(tokens))
        for key in dict.fromkeys((normalized, normalized.replace(" ", ""))):
            self.keys.append((name, key_of(key)))
        for token in dict.fromkeys(tokens):
            token_key = key_of(token)
            self.pairs.append((name, token_key))
            if token_key not in self.grams:
                self.grams[token_key] = sorted({key_of(g) for g in _trigrams(token)})

    def columns(self) -> dict[str, np.ndarray]:
        """``name_lesson``, ``name_tokens``, the (name, key) and (name, token) pairs."""
        keys = np.array(self.keys, dtype=np.uint64).reshape(-1, 2)
        pairs = np.array(self.pairs, dtype=np.uint64).reshape(-1, 2)
        return {
            "name_lesson": np.array(self.lesson, dtype=np.int32),
            "name_locale": np.array(self.locale, dtype=np.uint64),
            "name_tokens": np.array(self.tokens, dtype=np.int32),
            "key_name": keys[:, 0].astype(np.int64),
            "key_hash": keys[:, 1],
            "pair_name": pairs[:, 0].astype(np.int64),
            "pair_token": pairs[:, 1],
        }

    def gram_pairs(self, tokens: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(token keys, trigram keys)`` of every trigram of ``tokens`` (seen here)."""
        tokens = list(tokens)
        token_keys = [t for t in tokens for _ in self.grams[t]]
        gram_keys = [g for t in tokens for g in self.grams[t]]
        return np.array(token_keys, dtype=np.uint64), np.array(gram_keys, dtype=np.uint64)


def lesson_names(
    index: GraphIndex, lessons: Iterable[int] | None = None
) -> Iterator[tuple[int, str, str | None]]:
    """Yield ``(lesson index, name, locale)`` for the ids, titles and aliases of ``lessons``
    (all): ``locale`` None for the ids and the course-locale names (names in every
    locale), else the locale of a translation's title or alias."""
    for i in range(index.n) if lessons is None else lessons:
        data = index.node_data[i]
        yield i, index.ids[i], None
        yield i, index.bare_ids[i], None
        yield from translated_names(i, data.get("title"), data.get("aliases"), None)
        for locale, translation in (data.get("translations") or {}).items():
            yield from translated_names(
                i, translation.get("title"), translation.get("aliases"), locale
            )


def translated_names(
    lesson: int, title: object, aliases: Iterable[object] | None, locale: str | None
) -> Iterator[tuple[int, str, str | None]]:
    """``(lesson, name, locale)`` of a title (when given) and aliases in one locale."""
    if title:
        yield lesson, str(title), locale
    for alias in aliases or ():
        yield lesson, str(alias), locale


def exact_and_postings(
    key_name: np.ndarray, key_hash: np.ndarray, pair_name: np.ndarray, pair_token: np.ndarray
) -> dict[str, np.ndarray]:
    """The exact-key table and the vocabulary with its postings, sorted (numpy)."""
    order = np.lexsort((key_name, key_hash))
    out = {"exact_key": key_hash[order], "exact_name": key_name[order].astype(np.int32)}
    order = np.lexsort((pair_name, pair_token))
    tokens = pair_token[order]
    first = np.ones(tokens.size, dtype=bool)
    first[1:] = tokens[1:] != tokens[:-1]
    starts = np.flatnonzero(first)
    out["vocab"] = tokens[starts]
    out["vocab_start"] = np.append(starts, tokens.size).astype(np.int64)
    out["post_name"] = pair_name[order].astype(np.int32)
    return out


def search_arrays(names: SearchNames) -> dict[str, np.ndarray]:
    """The arrays of :data:`SEARCH_ARRAYS` for ``names``."""
    columns = names.columns()
    out = {k: columns[k] for k in ("name_lesson", "name_locale", "name_tokens")}
    out.update(
        exact_and_postings(
            columns["key_name"], columns["key_hash"], columns["pair_name"], columns["pair_token"]
        )
    )
    vocab = out["vocab"]
    token_keys, gram_keys = names.gram_pairs(int(t) for t in vocab.tolist())
    token_index = np.searchsorted(vocab, token_keys).astype(np.int32)
    order = np.lexsort((token_index, gram_keys))
    out["gram_key"], out["gram_token"] = gram_keys[order], token_index[order]
    out["vocab_grams"] = np.bincount(token_index, minlength=vocab.size).astype(np.int32)
    return out


def search_tables(index: GraphIndex) -> tuple[dict[str, np.ndarray], list[str], list[str]]:
    """Build the search arrays of every lesson of ``index``, with the names' texts and
    normalised forms (what a compiled index stores, and what a graph without one builds on
    its first search).

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> arrays, texts, normalized = search_tables(example_graph().index)
    >>> texts[:3], normalized[2], int(arrays["name_lesson"][2])
    (['demo/variables', 'variables', 'Variables'], 'variables', 0)
    """
    names = SearchNames()
    for lesson, text, locale in lesson_names(index):
        names.add(lesson, text, locale)
    return search_arrays(names), names.text, names.normalized


class _Normalized(Sequence[str]):
    """Names' normalised forms, computed when asked (a compiled index does not store them)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = texts

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [normalize(t) for t in self._texts[i]]
        return normalize(self._texts[i])


class LessonSearch:
    """The name table of a graph and the :meth:`find` query over it.

    Parameters
    ----------
    index : GraphIndex
        The lessons. A compiled index (``index.compiled_search()``) brings its search
        arrays, memory-mapped; otherwise they are built here (cost linear in the names).
    """

    def __init__(self, index: GraphIndex) -> None:
        self._index = index
        compiled = getattr(index, "compiled_search", None)
        found = compiled() if compiled is not None else None
        if found is None:
            arrays, self._texts, normalized = search_tables(index)
            self._normalized: Sequence[str] = normalized
        else:
            arrays, self._texts = found
            self._normalized = _Normalized(self._texts)
        self._name_lesson = arrays["name_lesson"]
        self._name_locale = arrays["name_locale"]
        self._allowed: dict[str | None, np.ndarray] = {}
        self._name_tokens = arrays["name_tokens"].astype(float)
        self._vocab = arrays["vocab"]
        self._vocab_start, self._post_name = arrays["vocab_start"], arrays["post_name"]
        self._token_trigram_count = arrays["vocab_grams"]
        self._gram_key, self._gram_token = arrays["gram_key"], arrays["gram_token"]
        self._exact_key, self._exact_name = arrays["exact_key"], arrays["exact_name"]

    @staticmethod
    def _find_key(keys: np.ndarray, key: int) -> int:
        """Position of ``key`` in the sorted ``keys``, or -1."""
        at = int(np.searchsorted(keys, np.uint64(key)))
        return at if at < keys.shape[0] and int(keys[at]) == key else -1

    def _names_in(self, locale: str | None) -> np.ndarray:
        """Which names count in ``locale`` (bool per name): every-locale names and the
        names of that locale's translations (made once per locale)."""
        allowed = self._allowed.get(locale)
        if allowed is None:
            allowed = self._name_locale == np.uint64(0)
            if locale:
                allowed |= self._name_locale == np.uint64(locale_key(locale))
            self._allowed[locale] = allowed
        return allowed

    def _exact(self, key: str, allowed: np.ndarray) -> list[int]:
        """Names (of those ``allowed``) whose normalised text, or that text without
        spaces, is ``key``."""
        hashed = np.uint64(key_of(key))
        lo = int(np.searchsorted(self._exact_key, hashed, side="left"))
        hi = int(np.searchsorted(self._exact_key, hashed, side="right"))
        found = []
        for name in self._exact_name[lo:hi].tolist():
            if not allowed[name]:
                continue
            normalized = self._normalized[name]
            if normalized == key or normalized.replace(" ", "") == key:
                found.append(name)
        return found

    def _prefix(self, key: str, allowed: np.ndarray) -> list[int]:
        """Names (of those ``allowed``) that begin with the whole words of ``key``, when
        ``key`` has at least :data:`MIN_PREFIX_WORDS` words and they all name one lesson;
        else none (a prefix of several lessons' names is left to the fuzzy match). Only
        the names holding ``key``'s first word are read (its posting list)."""
        words = key.split()
        if len(words) < MIN_PREFIX_WORDS:
            return []
        k = self._find_key(self._vocab, key_of(words[0]))
        if k < 0:
            return []
        names = self._post_name[self._vocab_start[k] : self._vocab_start[k + 1]].tolist()
        found = [n for n in names if allowed[n] and self._normalized[n].startswith(key + " ")]
        if len({int(self._name_lesson[n]) for n in found}) != 1:
            return []
        return found

    # ------------------------------------------------------------------ query

    def find(self, text: str, limit: int = 5, locale: str | None = None) -> FindResult:
        """Return up to ``limit`` lessons matching ``text``, best first; never raises.

        ``locale``: the learner's locale; the names of its translations match as well as
        the every-locale ones (ids, course-locale titles and aliases). ``title`` of a match
        is the course-locale title (``LessonGraph.find`` gives the localized one).

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
        allowed = self._names_in(locale)
        exact = self._exact(normalized, allowed) or self._exact(
            normalized.replace(" ", ""), allowed
        )
        if exact:
            scored = [(n, 1.0) for n in exact]
        elif prefix := self._prefix(normalized, allowed):
            scored = [(n, PREFIX_CONFIDENCE) for n in prefix]
        else:
            scored = self._fuzzy(normalized, allowed)
        return FindResult(query[:MAX_QUERY_CHARS], self._matches(scored, limit))

    def _matches(self, scored: list[tuple[int, float]], limit: int) -> tuple[LessonMatch, ...]:
        """Best name per lesson, sorted by confidence then load order."""
        best: dict[int, tuple[float, int]] = {}
        for name_id, confidence in scored:
            lesson = int(self._name_lesson[name_id])
            if lesson not in best or confidence > best[lesson][0]:
                best[lesson] = (confidence, name_id)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        index = self._index
        return tuple(
            LessonMatch(
                lesson_id=index.ids[lesson],
                title=str(index.node_data[lesson].get("title") or index.ids[lesson]),
                confidence=round(confidence, 4),
                matched=self._texts[name_id],
            )
            for lesson, (confidence, name_id) in ranked
        )

    def _expand(self, token: str) -> list[tuple[int, float]]:
        """Known tokens standing for a query token: itself, and close spellings."""
        found: dict[int, float] = {}
        exact = self._find_key(self._vocab, key_of(token))
        if exact >= 0:
            found[exact] = 1.0
        grams = []
        for gram in _trigrams(token):
            key = np.uint64(key_of(gram))
            lo = int(np.searchsorted(self._gram_key, key, side="left"))
            hi = int(np.searchsorted(self._gram_key, key, side="right"))
            if hi > lo:
                grams.append(self._gram_token[lo:hi])
        if grams:
            shared = np.bincount(np.concatenate(grams), minlength=self._vocab.shape[0])
            hits = np.flatnonzero(shared)
            dice = 2 * shared[hits] / (len(_trigrams(token)) + self._token_trigram_count[hits])
            keep = dice >= MIN_TOKEN_SIMILARITY
            hits, dice = hits[keep], dice[keep]
            first_name = self._post_name[self._vocab_start[hits]]  # ties: first seen first
            top = np.lexsort((hits, first_name, -dice))[:MAX_TOKEN_EXPANSIONS]
            for k, similarity in zip(hits[top], dice[top], strict=True):
                found.setdefault(int(k), float(similarity))
        return list(found.items())

    def _fuzzy(self, normalized: str, allowed: np.ndarray) -> list[tuple[int, float]]:
        """Score the names (of those ``allowed``) sharing a (typo-tolerant) token with the
        query."""
        tokens = list(dict.fromkeys(normalized.split()))
        count = self._name_lesson.shape[0]
        overlap = np.zeros(count)
        for token in tokens:
            best = np.zeros(count)
            for k, similarity in self._expand(token):
                names = self._post_name[self._vocab_start[k] : self._vocab_start[k + 1]]
                best[names] = np.maximum(best[names], similarity)
            overlap += best
        touched = np.flatnonzero(overlap * allowed)
        if touched.size == 0:
            return []
        dice = 2 * overlap[touched] / (len(tokens) + self._name_tokens[touched])
        if touched.size > MAX_FUZZY_CANDIDATES:
            keep = np.lexsort((touched, -dice))[:MAX_FUZZY_CANDIDATES]
            touched, dice = touched[keep], dice[keep]
        scored = []
        for name_id, token_score in zip(touched.tolist(), dice.tolist(), strict=True):
            name = self._normalized[name_id]
            ratio = difflib.SequenceMatcher(None, normalized, name, autojunk=False).ratio()
            confidence = min(MAX_FUZZY_CONFIDENCE, 0.5 * min(token_score, 1.0) + 0.5 * ratio)
            if confidence >= MIN_CONFIDENCE:
                scored.append((name_id, confidence))
        return scored
