"""Draw the lesson graph for authors: a layered picture made with matplotlib.

Layout (computed here; no graphviz needed):

* **columns** are prerequisite depths: a lesson's column is the length of the longest chain
  of hard prerequisites (``requires`` and ``requires_any``) leading to it, so every hard
  arrow points to the right;
* **bands** are modules: each module is a coloured horizontal band, bands ordered by the
  average depth of their lessons (then file order); inside a band, lessons of one column are
  stacked and ordered to keep arrows short.

Arrows: ``requires`` solid dark, ``requires_any`` solid blue, ``recommends`` dashed grey,
``next`` dotted green, ``related`` faint dash-dot line. When two lessons are linked in several
ways only the strongest link (in that order) is drawn. Completed lessons, recommendations,
the goal and the lessons on the way to the goal are highlighted and explained in a legend.

matplotlib is imported only by :func:`render_graph`; :func:`compute_layout` needs networkx.

Example
-------
>>> import tempfile
>>> from pathlib import Path
>>> from knowledge_graph.examples import example_graph
>>> with tempfile.TemporaryDirectory() as folder:
...     out = render_graph(example_graph(), Path(folder) / "graph.png", completed=["variables"])
...     out.name, out.stat().st_size > 0
('graph.png', True)
"""

from __future__ import annotations

import logging
import math
import os
import textwrap
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from knowledge_graph.file_format import (
    HARD_PREREQUISITE_KINDS,
    ORDERING_KINDS,
    SYMMETRIC_KINDS,
    EdgeKind,
)
from knowledge_graph.fonts import font_setup

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from knowledge_graph.model import LessonGraph

__all__ = [
    "EDGE_STYLES",
    "MAX_PIXELS",
    "OVERVIEW_ABOVE",
    "SUPPORTED_FORMATS",
    "VIEWS",
    "Band",
    "GraphLayout",
    "Overview",
    "RenderResult",
    "compute_layout",
    "compute_overview",
    "neighbourhood",
    "prerequisite_depths",
    "render",
    "render_graph",
]

logger = logging.getLogger(__name__)

#: File suffixes :func:`render_graph` can write.
SUPPORTED_FORMATS: Final[frozenset[str]] = frozenset({".png", ".svg", ".pdf"})

# Geometry, in inches (the drawing uses one data unit per inch).
COLUMN_WIDTH: Final[float] = 2.05
ROW_HEIGHT: Final[float] = 0.66
BOX_WIDTH: Final[float] = 1.72
BOX_HEIGHT: Final[float] = 0.54
BAND_PADDING: Final[float] = 0.12
LEFT_MARGIN: Final[float] = 1.75
TOP_MARGIN: Final[float] = 0.95
BOTTOM_MARGIN: Final[float] = 0.85
RIGHT_MARGIN: Final[float] = 0.25
TITLE_WRAP: Final[int] = 24
DPI: Final[int] = 110
#: The overview's geometry, in inches.
OVERVIEW_COLUMN: Final[float] = 2.6
OVERVIEW_ROW: Final[float] = 0.8
OVERVIEW_BOX_WIDTH: Final[float] = 2.2
OVERVIEW_BOX_HEIGHT: Final[float] = 0.6

#: With ``view="auto"``, more lessons than this are drawn as the overview: a lesson box with
#: its arrows costs about 0.05 s to draw (2-core machine), so 250 lessons take about 13 s.
OVERVIEW_ABOVE: Final[int] = 250
#: Largest picture drawn, width x height in pixels (40 megapixels: a PNG of a few MB).
MAX_PIXELS: Final[int] = 40_000_000
#: The lowest resolution lowered to for ``max_pixels``: 7-point titles are about 4 pixels high.
MIN_DPI: Final[int] = 40
#: Columns of the overview per band before it wraps to the next band.
OVERVIEW_WRAP: Final[int] = 12
#: An overview of more modules than this groups by course instead.
MAX_OVERVIEW_BOXES: Final[int] = 800
#: At most this many links (the strongest) are drawn in an overview.
MAX_OVERVIEW_LINKS: Final[int] = 3_000
#: The kinds of picture :func:`render` draws.
VIEWS: Final[tuple[str, ...]] = ("auto", "lessons", "modules", "courses")


@dataclass(frozen=True)
class EdgeStyle:
    """How one kind of link is drawn (matplotlib line style names)."""

    label: str
    color: str
    linestyle: str | tuple[float, tuple[float, ...]]
    linewidth: float
    arrow: bool


#: Drawing style per link kind, in drawing priority (first = strongest).
EDGE_STYLES: Final[dict[EdgeKind, EdgeStyle]] = {
    EdgeKind.REQUIRES: EdgeStyle("requires (hard prerequisite)", "#333333", "solid", 1.1, True),
    EdgeKind.REQUIRES_ANY: EdgeStyle(
        "requires_any (one of a group)", "#1f62b4", "solid", 1.1, True
    ),
    EdgeKind.RECOMMENDS: EdgeStyle(
        "recommends (soft prerequisite)", "#8c8c8c", (0, (4, 3)), 0.9, True
    ),
    EdgeKind.NEXT: EdgeStyle("next (suggested continuation)", "#2e9e44", (0, (1, 2)), 1.4, True),
    EdgeKind.RELATED: EdgeStyle("related", "#b8b8b8", (0, (5, 2, 1, 2)), 0.8, False),
}

# Highlight colours.
_BOX_FACE = "#ffffff"
_BOX_EDGE = "#555555"
_COMPLETED_FACE = "#c7e9c0"
_COMPLETED_EDGE = "#31a354"
_RECOMMENDED_FACE = "#fff1a8"
_RECOMMENDED_EDGE = "#f08c00"
_PATH_FACE = "#eadcf2"
_GOAL_EDGE = "#7b3294"
_FOCUS_EDGE = "#1f62b4"
_BAND_COLOURS: Final[tuple[str, ...]] = (
    "#dbe9f6",
    "#fde2c8",
    "#d9f0d3",
    "#f6d5e5",
    "#e5dcf3",
    "#fff5c2",
    "#d4efef",
    "#efe3d6",
    "#e2e2e2",
    "#f9d9d4",
)


@dataclass(frozen=True)
class Band:
    """A module band: rows ``top`` (inclusive) to ``top + rows`` (exclusive)."""

    course: str
    module: str
    top: int
    rows: int


@dataclass(frozen=True)
class GraphLayout:
    """Where each lesson goes: ``positions[node] = (column, row)`` (row 0 at the top).

    ``rows`` counts every band row; ``columns`` is the number of depth columns.
    """

    positions: dict[str, tuple[int, float]]
    bands: tuple[Band, ...]
    columns: int
    rows: int


def prerequisite_depths(graph: nx.DiGraph, nodes: Iterable[str] | None = None) -> dict[str, int]:
    """Return each node's longest hard-prerequisite chain length (0 for no prerequisites).

    Only ``requires`` and ``requires_any`` links between ``nodes`` (default: all) count.
    Nodes on a hard cycle (impossible in a validated graph) get the depth of their
    deepest acyclic prerequisite plus one.

    Example
    -------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "b", kinds={"requires": 1.0})
    >>> G.add_edge("b", "c", kinds={"requires_any": 1.0})
    >>> G.add_edge("a", "c", kinds={"next": 1.0})
    >>> prerequisite_depths(G)
    {'a': 0, 'b': 1, 'c': 2}
    """
    import networkx as nx

    keep = list(graph) if nodes is None else list(nodes)
    hard = nx.DiGraph()
    hard.add_nodes_from(keep)
    hard.add_edges_from(
        (u, v)
        for u, v, data in graph.subgraph(keep).edges(data=True)
        if HARD_PREREQUISITE_KINDS & set(data.get("kinds") or ())
    )
    condensed = nx.condensation(hard)
    members = condensed.graph["mapping"]
    depth_of_component: dict[int, int] = {}
    for component in nx.topological_sort(condensed):
        preds = [depth_of_component[p] + 1 for p in condensed.predecessors(component)]
        depth_of_component[component] = max(preds, default=0)
    return {node: depth_of_component[members[node]] for node in keep}


def compute_layout(
    graph: LessonGraph, course: str | None = None, nodes: Iterable[str] | None = None
) -> GraphLayout:
    """Place the lessons (of ``course``, or all) in depth columns and module bands.

    Parameters
    ----------
    graph : LessonGraph
    course : str, optional
        Only lay out this course's lessons.
    nodes : iterable of str, optional
        Only lay out these lessons (qualified ids), e.g. a lesson's neighbourhood.

    Returns
    -------
    GraphLayout

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> layout = compute_layout(example_graph())
    >>> layout.columns, [(band.module, band.rows) for band in layout.bands]
    (4, [('Basics', 2), ('Functions', 1)])
    >>> layout.positions["demo/variables"], layout.positions["demo/recursion"]
    ((0, 0.5), (3, 2.0))
    """
    keep = None if nodes is None else set(nodes)
    lessons = [
        lesson
        for lesson in graph.lessons()
        if (course is None or lesson.course == course) and (keep is None or lesson.id in keep)
    ]
    nodes = [lesson.id for lesson in lessons]
    depth = prerequisite_depths(graph.graph, nodes)
    band_keys = _ordered_bands(lessons, depth)
    band_of = {lesson.id: (lesson.course, lesson.module) for lesson in lessons}
    cells: dict[tuple[tuple[str, str], int], list[str]] = {}
    for node in nodes:
        cells.setdefault((band_of[node], depth[node]), []).append(node)
    bands: list[Band] = []
    top = 0
    for key in band_keys:
        rows = max(len(members) for (band, _), members in cells.items() if band == key)
        bands.append(Band(key[0], key[1], top, rows))
        top += rows
    band_top = {(b.course, b.module): b for b in bands}
    positions = _place(cells, band_top)
    for _ in range(2):  # reorder cells by the rows of their neighbours, twice
        _reorder_cells(graph.graph, cells, positions)
        positions = _place(cells, band_top)
    columns = max(depth.values(), default=-1) + 1
    return GraphLayout(positions, tuple(bands), columns, top)


def _ordered_bands(lessons: Sequence[Any], depth: dict[str, int]) -> list[tuple[str, str]]:
    """Module bands in course order, then by mean depth, then by first appearance."""
    course_rank: dict[str, int] = {}
    first: dict[tuple[str, str], int] = {}
    depths: dict[tuple[str, str], list[int]] = {}
    for i, lesson in enumerate(lessons):
        key = (lesson.course, lesson.module)
        course_rank.setdefault(lesson.course, len(course_rank))
        first.setdefault(key, i)
        depths.setdefault(key, []).append(depth[lesson.id])
    return sorted(
        first,
        key=lambda k: (course_rank[k[0]], sum(depths[k]) / len(depths[k]), first[k]),
    )


def _place(
    cells: dict[tuple[tuple[str, str], int], list[str]],
    band_top: dict[tuple[str, str], Band],
) -> dict[str, tuple[int, float]]:
    """Positions from cell contents: each cell centred vertically in its band."""
    positions: dict[str, tuple[int, float]] = {}
    for (key, column), members in cells.items():
        band = band_top[key]
        offset = band.top + (band.rows - len(members)) / 2
        for i, node in enumerate(members):
            positions[node] = (column, offset + i)
    return positions


def _reorder_cells(
    graph: nx.DiGraph,
    cells: dict[tuple[tuple[str, str], int], list[str]],
    positions: dict[str, tuple[int, float]],
) -> None:
    """Sort each cell by the mean row of the lesson's neighbours (barycentre heuristic)."""
    for members in cells.values():
        if len(members) < 2:
            continue
        current = {node: i for i, node in enumerate(members)}
        members.sort(key=lambda node, cell=current: _barycentre(graph, node, cell, positions))


def _barycentre(
    graph: nx.DiGraph, node: str, cell: dict[str, int], positions: dict[str, tuple[int, float]]
) -> tuple[float, int]:
    """Sort key: mean row of the node's neighbours outside its cell, then current order."""
    rows = [
        positions[other][1]
        for other in (*graph.predecessors(node), *graph.successors(node))
        if other in positions and other not in cell
    ]
    return (sum(rows) / len(rows) if rows else positions[node][1], cell[node])


# ---------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class _Highlights:
    """What to emphasise: completed, recommended (rank by id), goal and goal path."""

    completed: frozenset[str]
    recommended: dict[str, int]
    goal: str | None
    path: frozenset[str]
    focus: str | None = None


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render` drew.

    ``view`` is ``"lessons"`` (one box per lesson), ``"modules"`` or ``"courses"`` (the
    overview: one box per module or course, with lesson counts and the links between them);
    ``boxes`` how many boxes; ``width_px``/``height_px`` the picture's size; ``notes`` what the
    author should know (the overview was chosen, a font is missing, the depth was reduced).
    """

    path: Path
    view: str
    lessons: int
    boxes: int
    width_px: int
    height_px: int
    notes: tuple[str, ...] = ()


def render_graph(
    graph: LessonGraph,
    out: str | os.PathLike[str],
    *,
    completed: Sequence[str] = (),
    goal: str | None = None,
    course: str | None = None,
    k: int = 3,
    focus: str | None = None,
    depth: int = 2,
    max_pixels: int = MAX_PIXELS,
    overview_above: int = OVERVIEW_ABOVE,
    view: str = "auto",
) -> Path:
    """Draw the lesson graph into ``out`` (``.png``, ``.svg`` or ``.pdf``); see :func:`render`.

    Example
    -------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from knowledge_graph.examples import example_graph
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     render_graph(example_graph(), Path(folder) / "graph.svg", goal="recursion").name
    'graph.svg'
    >>> render_graph(example_graph(), "graph.gif")
    Traceback (most recent call last):
    ...
    ValueError: cannot draw 'graph.gif': use one of .pdf, .png, .svg
    """
    return render(
        graph,
        out,
        completed=completed,
        goal=goal,
        course=course,
        k=k,
        focus=focus,
        depth=depth,
        max_pixels=max_pixels,
        overview_above=overview_above,
        view=view,
    ).path


def render(
    graph: LessonGraph,
    out: str | os.PathLike[str],
    *,
    completed: Sequence[str] = (),
    goal: str | None = None,
    course: str | None = None,
    k: int = 3,
    focus: str | None = None,
    depth: int = 2,
    max_pixels: int = MAX_PIXELS,
    overview_above: int = OVERVIEW_ABOVE,
    view: str = "auto",
) -> RenderResult:
    """Draw the lesson graph (or an overview of it) within a pixel and a size budget.

    Parameters
    ----------
    graph : LessonGraph
    out : path
        Output file; its suffix selects the format. Parent directories must exist.
    completed : sequence of str, optional
        Lesson ids the learner completed (highlighted green).
    goal : str, optional
        The learner's goal (purple outline); lessons still needed for it are tinted purple.
    course : str, optional
        Draw only this course.
    k : int, default 3
        How many recommendations to highlight when ``completed`` or ``goal`` is given.
    focus : str, optional
        Draw only this lesson's neighbourhood: the lessons at most ``depth`` links away in
        either direction, any kind of link (the focus is outlined in blue).
    depth : int, default 2
        Links from ``focus``; reduced (with a note) when the neighbourhood would exceed
        ``overview_above`` lessons.
    max_pixels : int, default :data:`MAX_PIXELS`
        Largest picture, width x height in pixels. The resolution is lowered to fit (down
        to :data:`MIN_DPI`); a lesson view that still does not fit becomes the overview.
    overview_above : int, default :data:`OVERVIEW_ABOVE`
        With ``view="auto"``, more lessons than this are drawn as the overview. The default
        keeps a lesson view under about 15 s (about 0.05 s per lesson box with its arrows,
        measured on a 2-core machine: ``bench/results-authoring.md``).
    view : {"auto", "lessons", "modules", "courses"}
        ``lessons``: one box per lesson; ``modules``/``courses``: one box per module/course
        with its lesson count, and the links between them (width grows with their number).

    Returns
    -------
    RenderResult

    Raises
    ------
    ValueError
        For an unsupported suffix, an unknown course or view, a negative depth, or
        ``view="lessons"`` that does not fit ``max_pixels`` at :data:`MIN_DPI`.
    UnknownLessonError
        For an unknown ``completed``, ``goal`` or ``focus`` id.
    """
    path = Path(out)
    if path.suffix.lower() not in SUPPORTED_FORMATS:
        raise ValueError(
            f"cannot draw {path.name!r}: use one of {', '.join(sorted(SUPPORTED_FORMATS))}"
        )
    if course is not None and course not in graph.courses:
        raise ValueError(f"unknown course {course!r}; known: {', '.join(sorted(graph.courses))}")
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    if depth < 0:
        raise ValueError(f"depth must be 0 or more, got {depth}")
    notes: list[str] = []
    nodes = [lesson.id for lesson in graph.lessons() if course is None or lesson.course == course]
    focus_id = graph.resolve_id(focus) if focus else None
    if focus_id is not None:
        nodes, reached = neighbourhood(graph, focus_id, depth, overview_above, set(nodes))
        if reached < depth:
            notes.append(
                f"depth reduced from {depth} to {reached}: depth {reached + 1} holds more than "
                f"{overview_above:,} lessons (--overview-above)"
            )
    highlights = replace(_highlights(graph, completed, goal, k), focus=focus_id)
    chosen = view
    if view == "auto":
        chosen = "lessons" if len(nodes) <= overview_above else "modules"
        if chosen == "modules":
            notes.append(
                f"{len(nodes):,} lessons are more than --overview-above {overview_above:,}: "
                "drew the overview (modules as boxes); use --focus LESSON or --course ID to "
                "see lessons"
            )
    if chosen == "lessons":
        layout = compute_layout(graph, course, nodes)
        width, height = _lesson_canvas(layout)
        dpi = _fit_dpi(width, height, max_pixels)
        if dpi < MIN_DPI:
            needed = width * height * MIN_DPI**2 / 1e6
            if view == "lessons":
                raise ValueError(
                    f"{len(nodes):,} lessons need {needed:,.0f} megapixels at the smallest "
                    f"readable resolution; the budget is {max_pixels / 1e6:,.0f} "
                    "(--max-pixels): draw a part (--focus LESSON, --course ID) or the overview"
                )
            chosen = "modules"
            notes.append(
                f"the lessons would need {needed:,.0f} megapixels (budget "
                f"{max_pixels / 1e6:,.0f}, --max-pixels): drew the overview instead"
            )
    if chosen in ("modules", "courses"):
        overview = compute_overview(graph, nodes, by=chosen)
        if chosen == "modules" and len(overview.boxes) > MAX_OVERVIEW_BOXES:
            overview = compute_overview(graph, nodes, by="courses")
            notes.append(f"more than {MAX_OVERVIEW_BOXES} modules: drew courses as boxes instead")
        texts = [b.label for b in overview.boxes]
    else:
        texts = [graph.lesson(n).title for n in nodes]
    families, font_notes = font_setup(texts)
    notes += font_notes
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)  # no "findfont: ... bold" line per fallback font
    with matplotlib.rc_context({"font.family": families}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        warnings.filterwarnings("ignore", message=r"Matplotlib currently does not support")
        if chosen == "lessons":
            figure = _draw(graph, layout, highlights, course)
            boxes = len(layout.positions)
        else:
            figure = _draw_overview(graph, overview, highlights, course, len(nodes))
            boxes = len(overview.boxes)
        width, height = figure.get_size_inches()
        dpi = _fit_dpi(width, height, max_pixels)
        try:
            figure.savefig(path, dpi=dpi)
        finally:
            plt.close(figure)
            font_log.setLevel(level)
    result = RenderResult(
        path,
        overview.by if chosen != "lessons" else "lessons",
        len(nodes),
        boxes,
        int(width * dpi),
        int(height * dpi),
        tuple(notes),
    )
    logger.info(
        "lesson graph drawn",
        extra={"file": str(path), "view": result.view, "lessons": result.lessons},
    )
    return result


def _fit_dpi(width: float, height: float, max_pixels: int) -> float:
    """The resolution (dots per inch, at most :data:`DPI`) that fits ``max_pixels``."""
    return min(float(DPI), math.sqrt(max_pixels / max(width * height, 1e-9)))


def neighbourhood(
    graph: LessonGraph, focus: str, depth: int, limit: int, allowed: set[str] | None = None
) -> tuple[list[str], int]:
    """The lessons at most ``depth`` links from ``focus`` (any kind, either direction).

    Whole rings of neighbours are added while the total stays within ``limit`` lessons.
    Returns the lessons in load order and the depth actually reached.

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> neighbourhood(example_graph(), "demo/loops", 1, 100)
    (['demo/variables', 'demo/loops', 'demo/strings', 'demo/functions'], 1)
    """
    G = graph.graph
    seen = {focus}
    ring = [focus]
    reached = 0
    for level in range(1, depth + 1):
        following: list[str] = []
        for node in ring:
            for other in (*G.predecessors(node), *G.successors(node)):
                if other not in seen and (allowed is None or other in allowed):
                    seen.add(other)
                    following.append(other)
        if not following:
            reached = depth
            break
        if len(seen) > limit:
            seen.difference_update(following)
            break
        ring, reached = following, level
    order = G.nodes
    return sorted(seen, key=lambda n: order[n].get("order", 0)), reached


def _highlights(
    graph: LessonGraph, completed: Sequence[str], goal: str | None, k: int
) -> _Highlights:
    """Resolve ids and compute recommendations and the goal path."""
    done = frozenset(graph.resolve_id(c) for c in completed)
    goal_id = graph.resolve_id(goal) if goal else None
    recommended: dict[str, int] = {}
    if (done or goal_id) and k > 0:
        for rank, rec in enumerate(graph.recommend(sorted(done), k=k, goal=goal_id), start=1):
            recommended[rec.lesson_id] = rank
    path: frozenset[str] = frozenset()
    if goal_id is not None:
        path = frozenset(step.id for step in graph.path_to(goal_id, sorted(done)).steps)
    return _Highlights(done, recommended, goal_id, path)


def _lesson_canvas(layout: GraphLayout) -> tuple[float, float]:
    """Width and height, in inches, of the lesson view of ``layout``."""
    width = LEFT_MARGIN + max(layout.columns, 1) * COLUMN_WIDTH + RIGHT_MARGIN
    band_space = layout.rows * ROW_HEIGHT + 2 * BAND_PADDING * len(layout.bands)
    return width, TOP_MARGIN + band_space + BOTTOM_MARGIN


def _draw(graph: LessonGraph, layout: GraphLayout, marks: _Highlights, course: str | None) -> Any:
    """Build the matplotlib figure (imports matplotlib lazily, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width, height = _lesson_canvas(layout)
    figure = plt.figure(figsize=(width, height))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")

    centres = _centres(layout, height)
    _draw_bands(ax, layout, height, width)
    _draw_column_headers(ax, layout, height)
    boxes = _draw_boxes(ax, graph, layout, centres, marks)
    _draw_edges(ax, graph, centres, boxes)
    _draw_title(ax, graph, layout, marks, course, height)
    _draw_legend(ax, marks, width)
    return figure


def _band_offsets(layout: GraphLayout) -> dict[int, float]:
    """Extra vertical space (inches) above each row, from band padding."""
    offsets: dict[int, float] = {}
    for i, band in enumerate(layout.bands):
        for row in range(band.top, band.top + band.rows):
            offsets[row] = (2 * i + 1) * BAND_PADDING
    return offsets


def _row_y(
    row: float, layout: GraphLayout, height: float, offsets: dict[int, float] | None = None
) -> float:
    """The y coordinate (inches from the bottom) of the centre of ``row``."""
    offsets = _band_offsets(layout) if offsets is None else offsets
    pad = offsets.get(int(row), 0.0)
    return height - TOP_MARGIN - pad - (row + 0.5) * ROW_HEIGHT


def _centres(layout: GraphLayout, height: float) -> dict[str, tuple[float, float]]:
    """Centre of each lesson box, in inches."""
    offsets = _band_offsets(layout)
    return {
        node: (
            LEFT_MARGIN + (column + 0.5) * COLUMN_WIDTH,
            _row_y(row, layout, height, offsets),
        )
        for node, (column, row) in layout.positions.items()
    }


def _draw_bands(ax: Any, layout: GraphLayout, height: float, width: float) -> None:
    """One coloured band per module, labelled on the left."""
    from matplotlib.patches import FancyBboxPatch

    several_courses = len({b.course for b in layout.bands}) > 1
    for i, band in enumerate(layout.bands):
        top = _row_y(band.top, layout, height) + ROW_HEIGHT / 2 + BAND_PADDING * 0.8
        bottom = _row_y(band.top + band.rows - 1, layout, height) - ROW_HEIGHT / 2
        bottom -= BAND_PADDING * 0.8
        ax.add_patch(
            FancyBboxPatch(
                (0.08, bottom),
                width - 0.16,
                top - bottom,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=_BAND_COLOURS[i % len(_BAND_COLOURS)],
                edgecolor="none",
                zorder=0,
            )
        )
        label = "\n".join(textwrap.wrap(band.module, 16)[:3])
        if several_courses:
            label = f"{label}\n({band.course})"
        ax.text(
            0.2,
            (top + bottom) / 2,
            label,
            ha="left",
            va="center",
            fontsize=9.5,
            fontweight="bold",
            color="#333333",
            zorder=1,
        )


def _draw_column_headers(ax: Any, layout: GraphLayout, height: float) -> None:
    """Small "depth n" labels above the columns."""
    y = height - TOP_MARGIN + 0.1
    for column in range(layout.columns):
        x = LEFT_MARGIN + (column + 0.5) * COLUMN_WIDTH
        ax.text(x, y, f"depth {column}", ha="center", va="bottom", fontsize=7.5, color="#777777")


def _box_label(graph: LessonGraph, node: str, marks: _Highlights) -> tuple[str, str]:
    """The (title, details) text of one box."""
    lesson = graph.lesson(node)
    lines = textwrap.wrap(lesson.title, TITLE_WRAP) or [lesson.key]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), TITLE_WRAP, placeholder="…")]
    details = f"{lesson.key} · d{lesson.difficulty} · {lesson.minutes} min"
    if node in marks.completed:
        details = "✓ done · " + details
    return "\n".join(lines), details


def _draw_boxes(
    ax: Any,
    graph: LessonGraph,
    layout: GraphLayout,
    centres: dict[str, tuple[float, float]],
    marks: _Highlights,
) -> dict[str, Any]:
    """Draw the lesson boxes; return the patch of each node (arrows clip to them)."""
    from matplotlib.patches import Circle, FancyBboxPatch

    boxes: dict[str, Any] = {}
    for node, (x, y) in centres.items():
        face, edge, line = _BOX_FACE, _BOX_EDGE, 0.8
        if node in marks.path:
            face = _PATH_FACE
        if node in marks.completed:
            face, edge, line = _COMPLETED_FACE, _COMPLETED_EDGE, 1.2
        if node in marks.recommended:
            face, edge, line = _RECOMMENDED_FACE, _RECOMMENDED_EDGE, 2.2
        if node == marks.goal:
            edge, line = _GOAL_EDGE, 2.6
        if node == marks.focus:
            edge, line = _FOCUS_EDGE, 2.6
        box = FancyBboxPatch(
            (x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2),
            BOX_WIDTH,
            BOX_HEIGHT,
            boxstyle="round,pad=0,rounding_size=0.06",
            facecolor=face,
            edgecolor=edge,
            linewidth=line,
            zorder=3,
        )
        ax.add_patch(box)
        boxes[node] = box
        title, details = _box_label(graph, node, marks)
        ax.text(
            x,
            y + 0.075,
            title,
            ha="center",
            va="center",
            fontsize=7.6,
            zorder=4,
            linespacing=1.05,
            color="#111111",
        )
        ax.text(
            x,
            y - BOX_HEIGHT / 2 + 0.065,
            details,
            ha="center",
            va="center",
            fontsize=5.6,
            color="#666666",
            zorder=4,
        )
        rank = marks.recommended.get(node)
        if rank is not None:
            corner = (x - BOX_WIDTH / 2 + 0.02, y + BOX_HEIGHT / 2 - 0.02)
            ax.add_patch(
                Circle(
                    corner,
                    0.11,
                    facecolor=_RECOMMENDED_EDGE,
                    edgecolor="white",
                    linewidth=0.8,
                    zorder=5,
                )
            )
            ax.text(
                *corner,
                str(rank),
                ha="center",
                va="center",
                fontsize=7,
                color="white",
                fontweight="bold",
                zorder=6,
            )
        if node == marks.goal:
            corner = (x + BOX_WIDTH / 2 - 0.02, y + BOX_HEIGHT / 2 - 0.02)
            ax.text(*corner, "★", ha="center", va="center", fontsize=12, color=_GOAL_EDGE, zorder=6)
    return boxes


def _primary_kind(kinds: Iterable[str]) -> EdgeKind | None:
    """The strongest drawn kind among ``kinds`` (order of :data:`EDGE_STYLES`)."""
    present = set(kinds)
    return next((kind for kind in EDGE_STYLES if kind in present), None)


def _draw_edges(
    ax: Any,
    graph: LessonGraph,
    centres: dict[str, tuple[float, float]],
    boxes: dict[str, Any],
) -> None:
    """Draw one arrow per linked pair of drawn lessons (related pairs once)."""
    from matplotlib.patches import FancyArrowPatch

    drawn_related: set[frozenset[str]] = set()
    for u, v, data in graph.graph.edges(data=True):
        if u not in centres or v not in centres:
            continue
        kind = _primary_kind(data.get("kinds") or ())
        if kind is None:
            continue
        if kind in SYMMETRIC_KINDS:
            pair = frozenset((u, v))
            reverse = graph.graph.get_edge_data(v, u) or {}
            if pair in drawn_related or _primary_kind(reverse.get("kinds") or ()) != kind:
                continue  # drawn already, or the pair has a stronger link
            drawn_related.add(pair)
        style = EDGE_STYLES[kind]
        (x1, y1), (x2, y2) = centres[u], centres[v]
        if abs(x1 - x2) < 1e-6:  # same column: loop out to the right of the boxes
            arm = 9 + 7 * min(abs(y2 - y1) / ROW_HEIGHT, 3)
            ends: dict[str, Any] = {
                "posA": (x1 + BOX_WIDTH / 2, y1),
                "posB": (x2 + BOX_WIDTH / 2, y2),
                "connectionstyle": f"arc,angleA=0,angleB=0,armA={arm},armB={arm},rad=4",
            }
        else:
            ends = {
                "posA": (x1, y1),
                "posB": (x2, y2),
                "patchA": boxes[u],
                "patchB": boxes[v],
                "connectionstyle": f"arc3,rad={_curvature(x1, y1, x2, y2)}",
            }
        ax.add_patch(
            FancyArrowPatch(
                **ends,
                arrowstyle="-|>" if style.arrow else "-",
                mutation_scale=8,
                shrinkA=1,
                shrinkB=1,
                color=style.color,
                linestyle=style.linestyle,
                linewidth=style.linewidth,
                alpha=0.9 if kind in HARD_PREREQUISITE_KINDS else 0.75,
                zorder=2 if kind in HARD_PREREQUISITE_KINDS else 1,
            )
        )


def _curvature(x1: float, y1: float, x2: float, y2: float) -> float:
    """Bend long horizontal arrows a little so that they miss the boxes in between."""
    if abs(x2 - x1) > COLUMN_WIDTH * 1.5 and abs(y2 - y1) < ROW_HEIGHT * 0.5:
        return -0.12  # a long horizontal arrow would run through the boxes in between
    return 0.0


def _draw_title(
    ax: Any,
    graph: LessonGraph,
    layout: GraphLayout,
    marks: _Highlights,
    course: str | None,
    height: float,
) -> None:
    """Title line (course(s), counts) and, when given, the learner's situation."""
    if course is not None:
        title = graph.courses[course].title
    else:
        title = " + ".join(c.title for c in graph.courses.values()) or "Lesson graph"
    n_modules = len(layout.bands)
    counts = f"{len(layout.positions)} lessons · {n_modules} module{'s' * (n_modules != 1)}"
    ax.text(0.2, height - 0.3, title, ha="left", va="center", fontsize=13, fontweight="bold")
    subtitle = counts
    if marks.completed:
        subtitle += f" · {len(marks.completed)} completed"
    if marks.goal:
        subtitle += f" · goal: {graph.lesson(marks.goal).title}"
    ax.text(0.2, height - 0.58, subtitle, ha="left", va="center", fontsize=9, color="#444444")


def _draw_legend(ax: Any, marks: _Highlights, width: float) -> None:
    """Legend of link styles and of the highlights in use, along the bottom."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Line2D(
            [], [], color=s.color, linestyle=s.linestyle, linewidth=s.linewidth + 0.3, label=s.label
        )
        for s in EDGE_STYLES.values()
    ]
    if marks.completed:
        handles.append(
            Patch(facecolor=_COMPLETED_FACE, edgecolor=_COMPLETED_EDGE, label="completed")
        )
    if marks.recommended:
        handles.append(
            Patch(
                facecolor=_RECOMMENDED_FACE,
                edgecolor=_RECOMMENDED_EDGE,
                linewidth=2,
                label="recommended next (rank in orange)",
            )
        )
    if marks.goal:
        handles.append(Patch(facecolor="white", edgecolor=_GOAL_EDGE, linewidth=2, label="★ goal"))
        handles.append(
            Patch(facecolor=_PATH_FACE, edgecolor=_BOX_EDGE, label="still needed for the goal")
        )
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.1 / width, 0.02),
        bbox_transform=ax.transAxes,
        ncol=min(len(handles), 5),
        fontsize=8,
        frameon=False,
        handlelength=3.2,
        columnspacing=1.6,
    )


# ---------------------------------------------------------------------- overview


@dataclass(frozen=True)
class OverviewBox:
    """One module (or course) of the overview: where it goes and what it holds."""

    key: tuple[str, ...]
    label: str
    lessons: tuple[str, ...]
    column: int
    row: int


@dataclass(frozen=True)
class Overview:
    """Modules (``by="modules"``) or courses as boxes, and the links between them.

    ``links`` maps ``(box index, box index)`` to the number of lesson links
    (prerequisites and ``next``) from one box's lessons to the other's.
    """

    by: str
    boxes: tuple[OverviewBox, ...]
    links: dict[tuple[int, int], int]
    columns: int
    rows: int


def compute_overview(
    graph: LessonGraph,
    nodes: Sequence[str],
    by: str = "modules",
    max_lessons: int | None = None,
) -> Overview:
    """Group ``nodes`` by module (or course) and place the groups in depth columns.

    A group's column is the length of the longest chain of groups before it, following the
    lessons' prerequisite and ``next`` links (groups that link both ways share a column);
    groups of one column are stacked in load order. With ``max_lessons``, a group of more
    lessons is cut, in load order, into parts of at most that many (labelled
    ``"General (part 2 of 17)"``), so that no box stands for more lessons than a view of
    one box can show quickly.

    Example
    -------
    >>> from knowledge_graph.examples import example_graph
    >>> graph = example_graph()
    >>> view = compute_overview(graph, [lesson.id for lesson in graph.lessons()])
    >>> [(b.label, len(b.lessons), b.column) for b in view.boxes]
    [('Basics', 3, 0), ('Functions', 2, 1)]
    >>> view.links
    {(0, 1): 2}
    """
    import networkx as nx

    G = graph.graph
    keep = set(nodes)
    members: dict[tuple[str, ...], list[str]] = {}
    group_of: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        data = G.nodes[node]
        course = str(data.get("course", ""))
        key = (course, str(data.get("module", ""))) if by == "modules" else (course,)
        members.setdefault(key, []).append(node)
    if max_lessons is not None:
        split: dict[tuple[str, ...], list[str]] = {}
        for key, held in members.items():
            parts = -(-len(held) // max_lessons)
            for part in range(parts):
                name = key if parts == 1 else (*key, f"part {part + 1} of {parts}")
                split[name] = held[part * max_lessons : (part + 1) * max_lessons]
        members = split
    for key, held in members.items():
        group_of.update(dict.fromkeys(held, key))
    keys = list(members)
    index = {key: i for i, key in enumerate(keys)}
    ordering = {kind.value for kind in ORDERING_KINDS}
    links: dict[tuple[int, int], int] = {}
    for u, v, kinds in G.edges(data="kinds"):
        if u in keep and v in keep and ordering & set(kinds or ()):
            a, b = index[group_of[u]], index[group_of[v]]
            if a != b:
                links[(a, b)] = links.get((a, b), 0) + 1
    dag = nx.DiGraph()
    dag.add_nodes_from(range(len(keys)))
    dag.add_edges_from(links)
    condensed = nx.condensation(dag)
    column_of: dict[int, int] = {}
    for component in nx.topological_sort(condensed):
        preds = [column_of[p] + 1 for p in condensed.predecessors(component)]
        column_of[component] = max(preds, default=0)
    mapping = condensed.graph["mapping"]
    rows: dict[int, int] = {}
    boxes = []
    several = len({key[0] for key in keys}) > 1
    for i, key in enumerate(keys):
        column = column_of[mapping[i]]
        row = rows.get(column, 0)
        rows[column] = row + 1
        label = key[1] if by == "modules" else graph.courses[key[0]].title
        if by == "modules" and several:
            label = f"{label} ({key[0]})"
        if len(key) > (2 if by == "modules" else 1):
            label = f"{label} ({key[-1]})"
        boxes.append(OverviewBox(key, label, tuple(members[key]), column, row))
    return Overview(
        by,
        tuple(boxes),
        links,
        max(column_of.values(), default=-1) + 1,
        max(rows.values(), default=0),
    )


def _arc(start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
    """A gentle curve from ``start`` to ``end`` (12 segments), bent to the left of travel,
    so that links between boxes of one row do not run through the boxes between them."""
    (x1, y1), (x2, y2) = start, end
    bend = 0.18
    cx, cy = (x1 + x2) / 2 - bend * (y2 - y1), (y1 + y2) / 2 + bend * (x2 - x1)
    points = []
    for i in range(13):
        t = i / 12
        points.append(
            (
                (1 - t) ** 2 * x1 + 2 * (1 - t) * t * cx + t**2 * x2,
                (1 - t) ** 2 * y1 + 2 * (1 - t) * t * cy + t**2 * y2,
            )
        )
    return points


def _draw_overview(
    graph: LessonGraph, view: Overview, marks: _Highlights, course: str | None, lessons: int
) -> Any:
    """Draw the overview: one box per group, links as lines whose width grows with count.

    Boxes and links are drawn as two matplotlib collections (not one patch each), so that
    hundreds of boxes and thousands of links draw in seconds.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import Rectangle

    # Long chains of columns wrap into several bands of OVERVIEW_WRAP columns each.
    per_band = min(max(view.columns, 1), OVERVIEW_WRAP)
    bands = math.ceil(max(view.columns, 1) / per_band)
    band_rows = max(view.rows, 1) + 1
    width = LEFT_MARGIN / 2 + per_band * OVERVIEW_COLUMN + RIGHT_MARGIN
    height = TOP_MARGIN + bands * band_rows * OVERVIEW_ROW + BOTTOM_MARGIN
    figure = plt.figure(figsize=(width, height))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")

    def centre(box: OverviewBox) -> tuple[float, float]:
        band, column = divmod(box.column, per_band)
        x = LEFT_MARGIN / 2 + (column + 0.5) * OVERVIEW_COLUMN
        y = height - TOP_MARGIN - (band * band_rows + box.row + 0.5) * OVERVIEW_ROW
        return x, y

    centres = [centre(box) for box in view.boxes]
    strongest = sorted(view.links.items(), key=lambda item: -item[1])[:MAX_OVERVIEW_LINKS]
    if strongest:
        top = max(count for _, count in strongest)
        segments = []
        widths = []
        for (a, b), count in strongest:
            segments.append(_arc(centres[a], centres[b]))
            widths.append(0.4 + 3.0 * math.log1p(count) / math.log1p(top))
        ax.add_collection(
            LineCollection(segments, linewidths=widths, colors="#5b6b7f", alpha=0.35, zorder=1)
        )
    faces, edges, line_widths, patches = [], [], [], []
    colour_of: dict[str, str] = {}
    for box, (x, y) in zip(view.boxes, centres, strict=True):
        course_colour = colour_of.setdefault(
            box.key[0], _BAND_COLOURS[len(colour_of) % len(_BAND_COLOURS)]
        )
        held = set(box.lessons)
        edge, line = _BOX_EDGE, 0.6
        if held & marks.recommended.keys():
            edge, line = _RECOMMENDED_EDGE, 2.2
        if marks.goal in held or marks.focus in held:
            edge, line = _GOAL_EDGE, 2.6
        patches.append(
            Rectangle(
                (x - OVERVIEW_BOX_WIDTH / 2, y - OVERVIEW_BOX_HEIGHT / 2),
                OVERVIEW_BOX_WIDTH,
                OVERVIEW_BOX_HEIGHT,
            )
        )
        faces.append(course_colour)
        edges.append(edge)
        line_widths.append(line)
        label = "\n".join(textwrap.wrap(box.label, 26)[:2])
        done = len(held & marks.completed)
        count = f"{len(box.lessons):,} lesson{'s' * (len(box.lessons) != 1)}"
        if done:
            count += f" · {done} done"
        ax.text(x, y + 0.06, label, ha="center", va="center", fontsize=7.2, zorder=4)
        ax.text(
            x,
            y - OVERVIEW_BOX_HEIGHT / 2 + 0.1,
            count,
            ha="center",
            va="center",
            fontsize=6,
            color="#555555",
            zorder=4,
        )
    ax.add_collection(
        PatchCollection(
            patches, facecolors=faces, edgecolors=edges, linewidths=line_widths, zorder=3
        )
    )
    if course is not None:
        title = graph.courses[course].title
    else:
        title = " + ".join(c.title for c in graph.courses.values()) or "Lesson graph"
    ax.text(0.2, height - 0.3, title[:200], ha="left", va="center", fontsize=13, fontweight="bold")
    noun = "modules" if view.by == "modules" else "courses"
    shown = len(strongest)
    subtitle = (
        f"Overview: {lessons:,} lessons in {len(view.boxes):,} {noun}; a line joins two "
        f"{noun} linked by prerequisites or next (thicker: more links; "
        f"{shown:,} of {len(view.links):,} drawn); earlier {noun} on the left"
    )
    ax.text(0.2, height - 0.58, subtitle, ha="left", va="center", fontsize=9, color="#444444")
    return figure
