"""The query-side lesson graph: :class:`LessonGraph` and its value types.

A :class:`LessonGraph` wraps the networkx graph built by :mod:`knowledge_graph.builder`
(the source of truth) together with a compiled numpy :class:`~knowledge_graph.index.GraphIndex`
(built once) that makes recommendations and searches fast.

Learner progress
----------------
Every method taking ``progress`` accepts either a mapping ``lesson id -> mastery in [0, 1]``
or an iterable of completed lesson ids (mastery 1). Ids may be qualified (``"course/lesson"``)
or bare ids that are unique across courses; unknown ids are ignored. A lesson counts as
*completed* (a met prerequisite) when its mastery is at least :data:`MASTERY_THRESHOLD`.

Example
-------
>>> import networkx as nx
>>> G = nx.DiGraph(courses={"c": {"id": "c", "title": "C", "description": "", "weights": {}}})
>>> for i, key in enumerate(["a", "b"]):
...     G.add_node(f"c/{key}", key=key, course="c", title=key.upper(), order=i)
>>> G.add_edge("c/a", "c/b", kinds={"requires": 1.0}, weight=1.0)
>>> graph = LessonGraph.from_networkx(G)
>>> graph.missing_prerequisites("b", progress=())
['c/a']
>>> [r.lesson_id for r in graph.recommend(["a"])]
['c/b']
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from knowledge_graph.errors import UnknownLessonError
from knowledge_graph.file_format import DEFAULT_LOCALE
from knowledge_graph.index import (
    MASTERY_THRESHOLD,
    GraphData,
    GraphIndex,
    Progress,
    index_to_networkx,
)
from knowledge_graph.lesson_state import LessonState, lesson_state
from knowledge_graph.planning import is_startable, plan_path
from knowledge_graph.recommender import Reason, ReasonKind, Recommendation, opened_by, recommend
from knowledge_graph.search import FindResult, LessonMatch, LessonSearch

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from knowledge_graph.transitions import TransitionModel

__all__ = [
    "MASTERY_THRESHOLD",
    "Course",
    "FindResult",
    "LearningPath",
    "Lesson",
    "LessonGraph",
    "LessonMatch",
    "Module",
    "Prerequisites",
    "Progress",
    "Reason",
    "ReasonKind",
    "Recommendation",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lesson:
    """One lesson, as shown to learners in one locale.

    ``id`` is the qualified id ``"course/lesson"``, ``key`` the bare id within its course.
    ``title``, ``summary`` and ``module`` are in the locale the lesson was asked for when
    the course translates them (``translations`` in the course file), otherwise in the
    course's own locale; ``title_locale``, ``summary_locale`` and ``module_locale`` say
    which (Lex locale ids such as ``"en_US"``), so nothing claims a text is in a language
    it is not in. ``module_key`` is the module's name in the course's own locale: the
    module's identity, the same in every locale. ``aliases`` are the locale's aliases
    followed by the course-locale ones (every name a learner there may use).
    """

    id: str
    key: str
    course: str
    title: str
    summary: str
    module: str
    difficulty: int
    minutes: int
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    url: str | None
    title_locale: str = DEFAULT_LOCALE
    summary_locale: str = DEFAULT_LOCALE
    module_locale: str = DEFAULT_LOCALE
    module_key: str = ""

    def __post_init__(self) -> None:
        if not self.module_key:
            object.__setattr__(self, "module_key", self.module)


@dataclass(frozen=True)
class Course:
    """A course header: ``weights`` are the recommender weights (see ``DEFAULT_WEIGHTS``).

    ``locale`` is the locale its lessons are written in; ``locales`` the locales it declares
    it is served in (empty: not declared). In a localized graph (``LessonGraph.localized``)
    ``title`` and ``description`` are the course's translation where it has one;
    ``title_locale`` says which locale the title is in.
    """

    id: str
    title: str
    description: str
    weights: dict[str, float]
    locale: str = DEFAULT_LOCALE
    locales: tuple[str, ...] = ()
    title_locale: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class Module:
    """A module of a course; ``lesson_ids`` (qualified) in lesson order.

    ``name`` is the module's name in the locale asked for (its lessons' translated
    ``module``), else in the course's locale; ``name_locale`` says which. ``key`` is the
    name in the course's own locale: the module's identity in every locale (defaults to
    ``name``).
    """

    course: str
    name: str
    lesson_ids: tuple[str, ...]
    key: str = ""
    name_locale: str = field(default=DEFAULT_LOCALE, compare=False)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name)


@dataclass(frozen=True)
class Prerequisites:
    """The direct prerequisites of a lesson (qualified ids, in lesson order).

    ``requires``: all must be completed; ``requires_any``: at least one lesson of each group;
    ``recommends``: soft prerequisites (they only affect readiness).
    """

    requires: tuple[str, ...]
    requires_any: tuple[tuple[str, ...], ...]
    recommends: tuple[str, ...]


@dataclass(frozen=True)
class LearningPath:
    """The lessons still to take, in a valid order, to reach ``goal`` (qualified id).

    ``steps`` ends with the goal; it is empty and ``already_done`` is True when the goal is
    completed. ``total_minutes`` is the sum of the steps' minutes.
    """

    goal: str
    steps: tuple[Lesson, ...]
    total_minutes: int
    already_done: bool


class LessonGraph:
    """The lesson graph with its compiled index; the object every query goes through.

    Build it with :meth:`from_networkx` (or :func:`knowledge_graph.load_graph`).
    """

    graph: nx.DiGraph
    index: GraphIndex
    courses: dict[str, Course]

    def __init__(
        self,
        graph: nx.DiGraph | None,
        index: GraphIndex,
        *,
        attributes: Mapping[str, Any] | None = None,
        build_graph: Callable[[], nx.DiGraph] | None = None,
    ) -> None:
        if graph is None and build_graph is None:
            raise ValueError("a LessonGraph needs its DiGraph or a way to build it")
        self._graph = graph
        self._build_graph = build_graph
        self.index = index
        if attributes is None:
            attributes = self.graph.graph
        self._course_info: Mapping[str, Mapping[str, Any]] = attributes.get("courses") or {}
        self.courses = self._courses_in(None)
        #: The locale lessons are shown in (None: each course's own locale).
        self.locale: str | None = None
        self._lessons: dict[str, Lesson] = {}
        self._search: LessonSearch | None = None
        self._modules: list[Module] | None = None
        self._views: dict[str | None, LessonGraph] = {None: self}

    @property
    def graph(self) -> nx.DiGraph:
        """The networkx ``DiGraph`` of the lessons (nodes carry the lesson fields, edges are
        typed and weighted). A graph loaded from a compiled file builds it on first access."""
        if self._graph is None:
            assert self._build_graph is not None
            self._graph = self._build_graph()
        return self._graph

    @classmethod
    def from_data(cls, data: GraphData) -> LessonGraph:
        """Index compiled graph data without networkx; ``graph`` is built on first use.

        Parameters
        ----------
        data : knowledge_graph.index.GraphData
            Nodes, edges and course headers of an already validated graph.

        Returns
        -------
        LessonGraph
        """
        index = GraphIndex.build(data)
        attributes = data.graph
        graph = cls(
            None,
            index,
            attributes=attributes,
            build_graph=partial(index_to_networkx, index, attributes),
        )
        logger.info(
            "lesson graph compiled",
            extra={"lessons": index.n, "courses": len(graph.courses), "from": "compiled file"},
        )
        return graph

    @cached_property
    def fingerprint(self) -> str:
        """Stable content hash of the graph (16 hex chars; computed on first access)."""
        return graph_fingerprint(self.graph)

    @classmethod
    def from_networkx(cls, G: nx.DiGraph) -> LessonGraph:
        """Compile ``G`` (schema: :mod:`knowledge_graph.builder`) into a LessonGraph.

        Parameters
        ----------
        G : networkx.DiGraph
            The lesson graph; it is kept as is (not copied) and must not be mutated afterwards.

        Returns
        -------
        LessonGraph

        Example
        -------
        >>> import networkx as nx
        >>> G = nx.DiGraph(courses={})
        >>> G.add_node("c/a", key="a", course="c", title="A", order=0)
        >>> len(LessonGraph.from_networkx(G))
        1
        """
        index = GraphIndex.build(G)
        graph = cls(G, index)
        logger.info(
            "lesson graph compiled",
            extra={"lessons": index.n, "courses": len(graph.courses)},
        )
        return graph

    # ------------------------------------------------------------------ lookup

    def __len__(self) -> int:
        return self.index.n

    def __contains__(self, lesson_id: object) -> bool:
        return isinstance(lesson_id, str) and self.index.position(lesson_id) is not None

    def __repr__(self) -> str:
        return f"LessonGraph({self.index.n} lessons, {len(self.courses)} courses)"

    def resolve_id(self, lesson_id: str) -> str:
        """Return the qualified id of ``lesson_id`` (qualified, or bare and unique).

        Raises
        ------
        UnknownLessonError
            When no lesson has this id (bare ids used by several courses are unknown too).

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> example_graph().resolve_id("loops")
        'demo/loops'
        """
        return self.index.ids[self._position(lesson_id)]

    def _courses_in(self, locale: str | None) -> dict[str, Course]:
        """The course headers, title and description in ``locale`` where translated."""
        courses = {}
        for cid, info in self._course_info.items():
            own = str(info.get("locale") or DEFAULT_LOCALE)
            translated: Mapping[str, Any] = {}
            if locale is not None and locale != own:
                translated = (info.get("translations") or {}).get(locale) or {}
            courses[cid] = Course(
                id=str(info.get("id", cid)),
                title=str(translated.get("title") or info.get("title", cid)),
                description=str(translated.get("description") or info.get("description") or ""),
                weights=dict(self.index.course_weights[cid]),
                locale=own,
                locales=tuple(info.get("locales") or ()),
                title_locale=str(locale) if translated.get("title") else own,
            )
        return courses

    def localized(self, locale: str | None) -> LessonGraph:
        """This graph with its lessons and modules in ``locale`` (a Lex locale id).

        The view shares everything with this graph (index, search, progress rules); only
        the texts differ: :meth:`lesson`, :meth:`lessons`, :meth:`modules`,
        :meth:`path_to` and :meth:`find` give each lesson's ``locale`` translation where
        the course has one, else its text in the course's own locale (see
        :class:`Lesson`). ``None``: each course's own locale. Views are made once per
        locale.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> spanish = example_graph().localized("es_US")
        >>> loops = spanish.lesson("loops")
        >>> loops.title, loops.title_locale, spanish.lesson("variables").title_locale
        ('Bucles for', 'es_US', 'en_US')
        >>> spanish.find("bucles").best.title, spanish.localized("en_US").lesson("loops").title
        ('Bucles for', 'For Loops')
        """
        base = self._views[None]
        view = base._views.get(locale)
        if view is None:
            view = copy(base)
            view.locale = locale
            view.courses = base._courses_in(locale)
            view._lessons = {}
            view._modules = None
            base._views[locale] = view
        return view

    def lesson(self, lesson_id: str, locale: str | None = None) -> Lesson:
        """Return the :class:`Lesson` named by ``lesson_id`` (raises UnknownLessonError),
        in ``locale`` when given, else in this graph's (see :meth:`localized`)."""
        if locale is not None and locale != self.locale:
            return self.localized(locale).lesson(lesson_id)
        return self._lesson_at(self._position(lesson_id))

    def lessons(self) -> list[Lesson]:
        """Return every lesson in load order."""
        return [self._lesson_at(i) for i in range(self.index.n)]

    def modules(self, course: str | None = None) -> list[Module]:
        """Return the modules (of ``course``, or of all courses) in order of first appearance.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> [(m.name, len(m.lesson_ids)) for m in example_graph().modules("demo")]
        [('Basics', 3), ('Functions', 2)]
        """
        if self._modules is None:
            module_rows = getattr(self.index, "module_rows", None)
            if module_rows is not None:  # a compiled index groups them without Lesson objects
                ids = list(self.index.ids)
                rows = [
                    (c, name, tuple(ids[i] for i in r.tolist())) for c, name, r in module_rows()
                ]
            else:
                groups: dict[tuple[str, str], list[str]] = {}
                for i in range(self.index.n):
                    data = self.index.node_data[i]
                    course_id = str(data.get("course") or self.index.ids[i].rpartition("/")[0])
                    groups.setdefault((course_id, str(data.get("module") or "")), []).append(
                        self.index.ids[i]
                    )
                rows = [(c, name, tuple(members)) for (c, name), members in groups.items()]
            modules = []
            for c, key, members in rows:
                first = self._lesson_at(self._position(members[0]))  # translations agree
                modules.append(Module(c, first.module, members, key, first.module_locale))
            self._modules = modules
        return [m for m in self._modules if course is None or m.course == course]

    # ----------------------------------------------------------- prerequisites

    def prerequisites(self, lesson_id: str) -> Prerequisites:
        """Return the direct prerequisites of a lesson (raises UnknownLessonError)."""
        i = self._position(lesson_id)
        ids = self.index.ids
        return Prerequisites(
            requires=tuple(ids[j] for j in self.index.requires_of(i)),
            requires_any=tuple(tuple(ids[j] for j in g) for g in self.index.groups_of(i)),
            recommends=tuple(ids[j] for j in self.index.recommends_of(i)),
        )

    def state(
        self,
        lesson_id: str,
        progress: Progress,
        current_lesson: str | None = None,
        *,
        with_path: bool = True,
    ) -> LessonState:
        """The lesson's state for a learner: the one rule for what can be started.

        See :mod:`knowledge_graph.lesson_state`.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> state = example_graph().state("functions", ["variables"])
        >>> str(state.status), state.first_step
        ('locked', 'demo/loops')
        """
        i = self._position(lesson_id)
        current = None if current_lesson is None else self.index.position(current_lesson)
        mastery = self.index.mastery_state(progress)
        return lesson_state(self.index, i, mastery, current, with_path=with_path)

    def missing_prerequisites(self, lesson_id: str, progress: Progress) -> list[str]:
        """Return the minimal lessons still to master before the lesson can be started.

        The same lessons as ``state(...).to_finish`` (the minimal plan, in a valid order,
        see :mod:`knowledge_graph.planning`); empty when it can be started or is mastered.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> graph = example_graph()  # functions: requires_any [[loops, strings]]
        >>> graph.missing_prerequisites("functions", ["variables"])
        ['demo/loops']
        >>> graph.missing_prerequisites("recursion", [])
        ['demo/variables', 'demo/loops', 'demo/functions']
        >>> graph.missing_prerequisites("functions", ["variables", "strings"])
        []
        """
        return list(self.state(lesson_id, progress).to_finish)

    def is_unlocked(self, lesson_id: str, progress: Progress) -> bool:
        """Return True when every hard prerequisite of the lesson is mastered."""
        met = self.index.mastery_state(progress).met
        return is_startable(self.index, self._position(lesson_id), met)

    def mastered_count(self, progress: Progress) -> int:
        """How many of this graph's lessons ``progress`` masters (at the mastery threshold).

        Ids the graph does not know are not counted, and a lesson named twice (qualified and
        bare) counts once. Vectorised: one pass over the progress entries, no Python lookup
        per entry (a learner may have tens of thousands).

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> example_graph().mastered_count({"demo/variables": 1.0, "loops": 0.5, "nope": 1})
        1
        """
        return int(self.index.mastery_state(progress).mastered.size)

    def opens(self, lesson_id: str, progress: Progress) -> list[str]:
        """The lessons that become startable for this learner once ``lesson_id`` is mastered.

        The same count as the "unlocks" reason of a recommendation (load order).

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> example_graph().opens("variables", [])
        ['demo/loops', 'demo/strings']
        >>> example_graph().opens("strings", ["variables", "loops"])  # functions: open already
        []
        """
        i = self._position(lesson_id)
        met = self.index.mastery_state(progress).met
        return [self.index.ids[j] for j in opened_by(self.index, i, met)]

    def unlocks(self, lesson_id: str) -> list[str]:
        """Return the lessons (in lesson order) that list ``lesson_id`` as a hard prerequisite."""
        i = self._position(lesson_id)
        return [self.index.ids[j] for j in self.index.hard_dependents_of(i)]

    # ----------------------------------------------------------------- queries

    def recommend(
        self,
        progress: Progress,
        k: int = 3,
        goal: str | None = None,
        recent: Sequence[str] | None = None,
        transitions: TransitionModel | None = None,
    ) -> list[Recommendation]:
        """Return up to ``k`` unlocked, not yet completed lessons, best first.

        See :func:`knowledge_graph.recommender.recommend` for the scoring; ``transitions``
        (what this course's learners took next, :func:`knowledge_graph.learn_transitions`
        or :func:`knowledge_graph.load_transitions`) adds the ``learned`` component. It only
        reorders the lessons the learner can start; it never offers a locked one.

        The recommendations' titles are in this graph's locale (see :meth:`localized`).

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> best = example_graph().recommend(["demo/variables"], k=2)
        >>> [r.lesson_id for r in best], [str(reason.kind) for reason in best[0].reasons]
        (['demo/loops', 'demo/strings'], ['continues', 'unlocks', 'ready', 'difficulty_fit'])
        """
        goal_index = None if goal is None else self._position(goal)
        found = recommend(
            self.index, progress, k=k, goal=goal_index, recent=recent, transitions=transitions
        )
        if self.locale is None:
            return found
        # the titles in this graph's locale (the recommender reads the course-locale ones)
        return [replace(r, title=self.lesson(r.lesson_id).title) for r in found]

    def path_to(self, goal: str, progress: Progress) -> LearningPath:
        """Return the lessons still to take, in a valid order, to reach ``goal``.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> path = example_graph().path_to("recursion", ["variables"])
        >>> [s.id for s in path.steps], path.total_minutes
        (['demo/loops', 'demo/functions', 'demo/recursion'], 60)
        """
        g = self._position(goal)
        met = self.index.mastery_state(progress).met
        steps = tuple(self._lesson_at(i) for i in plan_path(self.index, g, met))
        return LearningPath(
            goal=self.index.ids[g],
            steps=steps,
            total_minutes=sum(s.minutes for s in steps),
            already_done=not steps,
        )

    def find(self, text: str, limit: int = 5, locale: str | None = None) -> FindResult:
        """Find lessons by id, title or alias, tolerating case, accents and typos.

        Names in the course's own locale match in every locale; a translation's title and
        aliases match only in its locale (``locale``, default this graph's, see
        :meth:`localized`). The matches' titles are in that locale too.

        Example
        -------
        >>> from knowledge_graph.examples import example_graph
        >>> graph = example_graph()
        >>> graph.find("for-loops").best.lesson_id, graph.find("functons").best.lesson_id
        ('demo/loops', 'demo/functions')
        >>> graph.find("bucles").best, graph.find("bucles", locale="es_US").best.lesson_id
        (None, 'demo/loops')
        """
        locale = self.locale if locale is None else locale
        base = self._views[None]
        if base._search is None:
            base._search = LessonSearch(self.index)
        result = base._search.find(text, limit=limit, locale=locale)
        if locale is None:
            return result
        view = self.localized(locale)
        return replace(
            result,
            matches=tuple(
                replace(m, title=view._lesson_at(self.index.position(m.lesson_id) or 0).title)
                for m in result.matches
            ),
        )

    # ---------------------------------------------------------------- helpers

    def _position(self, lesson_id: str) -> int:
        """Index of ``lesson_id``; UnknownLessonError (with close matches) when unknown."""
        found = self.index.position(lesson_id)
        if found is not None:
            return found
        suggestions = tuple(m.lesson_id for m in self.find(str(lesson_id), limit=3).matches)
        raise UnknownLessonError(str(lesson_id), suggestions)

    def _lesson_at(self, i: int) -> Lesson:
        node = self.index.ids[i]
        cached = self._lessons.get(node)
        if cached is None:
            data = self.index.node_data[i]
            course = self.courses.get(str(data.get("course") or node.rpartition("/")[0]))
            own = course.locale if course is not None else DEFAULT_LOCALE
            cached = _lesson_from_node(node, data, own, self.locale)
            self._lessons[node] = cached
        return cached


def _lesson_from_node(
    node: str, data: Mapping[str, Any], own_locale: str = DEFAULT_LOCALE, locale: str | None = None
) -> Lesson:
    """Build a :class:`Lesson` from node attributes (missing ones get neutral defaults), its
    texts in ``locale`` where the node has a translation for it, else in ``own_locale``."""
    course, _, key = node.rpartition("/")
    translated: Mapping[str, Any] = {}
    if locale is not None and locale != own_locale:
        translated = (data.get("translations") or {}).get(locale) or {}

    def text(name: str, default: str) -> tuple[str, str]:
        value = translated.get(name)
        if value:
            return str(value), str(locale)
        return str(data.get(name) or default), own_locale

    title, title_locale = text("title", key)
    summary, summary_locale = text("summary", "")
    module, module_locale = text("module", "")
    aliases = tuple(
        dict.fromkeys((*(translated.get("aliases") or ()), *(data.get("aliases") or ())))
    )
    return Lesson(
        id=node,
        key=str(data.get("key") or key),
        course=str(data.get("course") or course),
        title=title,
        summary=summary,
        module=module,
        difficulty=int(data.get("difficulty") or 1),
        minutes=int(data.get("minutes") or 0),
        aliases=aliases,
        tags=tuple(data.get("tags") or ()),
        url=data.get("url"),
        title_locale=title_locale,
        summary_locale=summary_locale,
        module_locale=module_locale,
        module_key=str(data.get("module") or ""),
    )


def _jsonable(value: Any) -> Any:
    """Convert attribute values into JSON-serialisable, order-stable structures."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def graph_fingerprint(G: nx.DiGraph) -> str:
    """Return a stable SHA-256 (16 hex chars) of the graph content.

    Node attributes ``source`` and ``line`` and the courses' ``source`` are ignored, so
    moving files does not change it; node and edge insertion order does not matter either.
    """
    ignored = {"source", "line"}
    nodes = [
        [n, {k: v for k, v in d.items() if k not in ignored}]
        for n, d in sorted(G.nodes(data=True), key=lambda nd: str(nd[0]))
    ]
    edges = [
        [u, v, d.get("kinds", {})]
        for u, v, d in sorted(G.edges(data=True), key=lambda e: (str(e[0]), str(e[1])))
    ]
    courses = {
        str(cid): {k: v for k, v in info.items() if k != "source"}
        for cid, info in (G.graph.get("courses") or {}).items()
    }
    content = [nodes, edges, courses]
    try:
        payload = json.dumps(content, sort_keys=True, default=str)
    except (TypeError, ValueError):  # unusual attribute types: canonicalise them first
        payload = json.dumps(_jsonable(content), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
