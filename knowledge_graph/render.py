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
import os
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from knowledge_graph.file_format import HARD_PREREQUISITE_KINDS, SYMMETRIC_KINDS, EdgeKind

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from knowledge_graph.model import LessonGraph

__all__ = [
    "EDGE_STYLES",
    "SUPPORTED_FORMATS",
    "Band",
    "GraphLayout",
    "compute_layout",
    "prerequisite_depths",
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


def compute_layout(graph: LessonGraph, course: str | None = None) -> GraphLayout:
    """Place the lessons (of ``course``, or all) in depth columns and module bands.

    Parameters
    ----------
    graph : LessonGraph
    course : str, optional
        Only lay out this course's lessons.

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
    lessons = [lesson for lesson in graph.lessons() if course is None or lesson.course == course]
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


def render_graph(
    graph: LessonGraph,
    out: str | os.PathLike[str],
    *,
    completed: Sequence[str] = (),
    goal: str | None = None,
    course: str | None = None,
    k: int = 3,
) -> Path:
    """Draw the lesson graph into ``out`` (``.png``, ``.svg`` or ``.pdf``).

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

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        For an unsupported suffix or an unknown course.
    UnknownLessonError
        For an unknown ``completed`` or ``goal`` id.

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
    path = Path(out)
    if path.suffix.lower() not in SUPPORTED_FORMATS:
        raise ValueError(
            f"cannot draw {path.name!r}: use one of {', '.join(sorted(SUPPORTED_FORMATS))}"
        )
    if course is not None and course not in graph.courses:
        raise ValueError(f"unknown course {course!r}; known: {', '.join(sorted(graph.courses))}")
    highlights = _highlights(graph, completed, goal, k)
    layout = compute_layout(graph, course)
    figure = _draw(graph, layout, highlights, course)
    try:
        figure.savefig(path, dpi=DPI)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)
    logger.info(
        "lesson graph drawn",
        extra={"file": str(path), "lessons": len(layout.positions), "bands": len(layout.bands)},
    )
    return path


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


def _draw(graph: LessonGraph, layout: GraphLayout, marks: _Highlights, course: str | None) -> Any:
    """Build the matplotlib figure (imports matplotlib lazily, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = LEFT_MARGIN + max(layout.columns, 1) * COLUMN_WIDTH + RIGHT_MARGIN
    band_space = layout.rows * ROW_HEIGHT + 2 * BAND_PADDING * len(layout.bands)
    height = TOP_MARGIN + band_space + BOTTOM_MARGIN
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


def _row_y(row: float, layout: GraphLayout, height: float) -> float:
    """The y coordinate (inches from the bottom) of the centre of ``row``."""
    offsets = _band_offsets(layout)
    pad = offsets.get(int(row), 0.0)
    return height - TOP_MARGIN - pad - (row + 0.5) * ROW_HEIGHT


def _centres(layout: GraphLayout, height: float) -> dict[str, tuple[float, float]]:
    """Centre of each lesson box, in inches."""
    return {
        node: (
            LEFT_MARGIN + (column + 0.5) * COLUMN_WIDTH,
            _row_y(row, layout, height),
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
