"""A graph explorer for authors in the browser: ``python -m knowledge_graph explore PATH``.

A small HTTP server on 127.0.0.1 only (standard library :mod:`http.server`) serves one page
(``knowledge_graph/explorer/``: HTML, JavaScript, CSS and a vendored copy of Cytoscape.js, a
maintained graph-drawing library, at the pinned version of ``explorer/VENDOR.md``) and a JSON
API over one validated graph:

=========================  ===================================================================
``GET /api/summary``       title, counts, the validation summary, whether suggestions work
``GET /api/overview``      modules as nodes (lesson and problem counts, positions) and the
                           links between modules with their counts
``GET /api/module?box=I``  the lessons of overview box ``I`` and the lessons they link to
``GET /api/lesson?id=ID``  a lesson's fields, links and validation problems, and with a
                           transitions snapshot (``explore --transitions``) where learners
                           went after it and how many stopped there
``GET /api/search?q=T``    lessons matching ``T``, as the bot would find them
``GET /api/problems``      the validation problems, causes first
``POST /api/recommend``    ``{"completed": [ids], "goal": id or null, "k": n}``: the bot's top
                           suggestions with their reasons in its words
                           (:func:`knowledge_graph.reason_text.because`) and the path to the goal
=========================  ===================================================================

It stays responsive at 10,000 lessons: the page starts with the overview (a few hundred
module boxes) and draws a module's lessons only when the author opens it. Positions are
computed here, with the same layouts as ``render`` (depth columns, module bands).

Files with errors can still be explored: the lessons that passed the field checks are shown
with their problems; suggestions are previewed on them when they can be computed.

Example
-------
>>> from knowledge_graph.validation import validate_path
>>> explorer = Explorer.from_report(validate_path("data/lessons"), "data/lessons")
>>> explorer.summary()["lessons"], len(explorer.overview()["nodes"]) > 3
(52, True)
>>> [s["id"] for s in explorer.recommend(["python-intro/installing-python"], k=2)["suggestions"]]
['python-intro/the-repl', 'python-intro/hello-world']
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlsplit

from knowledge_graph.errors import GraphError
from knowledge_graph.file_format import EDGE_KINDS, PREREQUISITE_KINDS
from knowledge_graph.reason_text import because
from knowledge_graph.render import compute_layout, compute_overview
from knowledge_graph.text import fold_text

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.model import LessonGraph
    from knowledge_graph.transitions import TransitionModel
    from knowledge_graph.validation.issues import ValidationIssue, ValidationReport

__all__ = ["HOST", "STATIC_DIR", "Explorer", "ExplorerServer", "serve"]

logger = logging.getLogger(__name__)

#: The only address the explorer listens on: it is for the author at this machine.
HOST: Final[str] = "127.0.0.1"
#: The page, its script and style, and the vendored Cytoscape.js.
STATIC_DIR: Final[Path] = Path(__file__).resolve().parent / "explorer"
#: Pixels between depth columns and between rows in the module and overview views.
COLUMN_PX: Final[int] = 230
ROW_PX: Final[int] = 80
#: Overview columns per band before the layout wraps (as ``render`` does).
WRAP_COLUMNS: Final[int] = 12
#: A module of more lessons is shown as several boxes of at most this many (in load order):
#: opening a box draws its lessons, and a few hundred draw at once in the browser.
MAX_BOX_LESSONS: Final[int] = 200
#: Most lessons returned by a search, suggestions by a preview, bytes of a request body.
MAX_RESULTS: Final[int] = 20
MAX_SUGGESTIONS: Final[int] = 10
MAX_BODY_BYTES: Final[int] = 1_000_000


class ExplorerError(ValueError):
    """A bad request: unknown lesson or module, malformed body (answered with HTTP 400)."""


@dataclass
class Explorer:
    """The data behind the page: the draft graph, its problems, and the query graph.

    Build it with :meth:`from_report`. ``lesson_graph`` is None when no suggestions can be
    computed (the files have errors that make the graph unusable). ``transitions``, when
    set, adds what learners took next to lessons and to the previewed suggestions.
    """

    location: str
    report: ValidationReport
    lesson_graph: LessonGraph | None
    boxes: list[dict[str, Any]] = field(default_factory=list)
    box_of: dict[str, int] = field(default_factory=dict)
    problems: dict[str, list[ValidationIssue]] = field(default_factory=dict)
    transitions: TransitionModel | None = None
    _overview: dict[str, Any] | None = None

    @classmethod
    def from_report(cls, report: ValidationReport, location: str) -> Explorer:
        """Index a validation report (its ``graph`` or, with errors, its ``draft_graph``)."""
        from knowledge_graph.model import LessonGraph

        graph = report.graph if report.graph is not None else report.draft_graph
        lesson_graph = None
        if graph is not None:
            try:
                lesson_graph = LessonGraph.from_networkx(graph)
            except (GraphError, ValueError, KeyError, IndexError) as exc:
                logger.warning("explorer: no suggestions for these files: %s", exc)
        explorer = cls(location, report, lesson_graph)
        for issue in report.issues:
            if issue.subject is not None:
                explorer.problems.setdefault(issue.subject, []).append(issue)
        return explorer

    # ----------------------------------------------------------------- queries

    @property
    def _graph(self) -> LessonGraph:
        if self.lesson_graph is None:
            raise ExplorerError("the files have errors that leave no graph to show")
        return self.lesson_graph

    def summary(self) -> dict[str, Any]:
        """Title, counts and the validation verdict of the explored files."""
        graph = self.lesson_graph
        titles = [c.title for c in graph.courses.values()] if graph else []
        return {
            "location": self.location,
            "title": " + ".join(titles[:3]) + (" + ..." if len(titles) > 3 else ""),
            "lessons": len(graph) if graph else 0,
            "courses": len(titles),
            "ok": self.report.ok,
            "summary": self.report.summary(),
            "can_recommend": graph is not None,
        }

    def overview(self) -> dict[str, Any]:
        """Modules as nodes with positions, and the links between modules (computed once)."""
        if self._overview is not None:
            return self._overview
        graph = self._graph
        nodes = [lesson.id for lesson in graph.lessons()]
        view = compute_overview(graph, nodes, by="modules", max_lessons=MAX_BOX_LESSONS)
        per_band = min(max(view.columns, 1), WRAP_COLUMNS)
        band_rows = max(view.rows, 1) + 1
        out_nodes = []
        self.boxes = []
        for i, box in enumerate(view.boxes):
            band, column = divmod(box.column, per_band)
            problems = sum(len(self.problems.get(n, ())) for n in box.lessons)
            info = {
                "id": f"m{i}",
                "box": i,
                "label": box.label,
                "course": box.key[0],
                "count": len(box.lessons),
                "problems": problems,
                "x": column * COLUMN_PX,
                "y": (band * band_rows + box.row) * ROW_PX,
            }
            self.boxes.append({**info, "lessons": list(box.lessons)})
            self.box_of.update(dict.fromkeys(box.lessons, i))
            out_nodes.append(info)
        edges = [
            {"id": f"m{a}-m{b}", "source": f"m{a}", "target": f"m{b}", "count": count}
            for (a, b), count in sorted(view.links.items())
        ]
        self._overview = {"nodes": out_nodes, "edges": edges}
        return self._overview

    def module(self, box: int) -> dict[str, Any]:
        """The lessons of overview box ``box``, and the lessons outside it they link to.

        Lessons of the module are laid out in depth columns (as ``render`` does); linked
        lessons of other modules are marked ``outside`` and placed in a column to the left
        (prerequisites) or right (what follows).
        """
        self.overview()
        if not 0 <= box < len(self.boxes):
            raise ExplorerError(f"no module box {box}")
        graph = self._graph
        G = graph.graph
        inside = self.boxes[box]["lessons"]
        members = set(inside)
        layout = compute_layout(graph, nodes=inside)
        nodes = [
            self._lesson_node(n, layout.positions[n][0] * COLUMN_PX, layout.positions[n][1])
            for n in inside
        ]
        before: list[str] = []
        after: list[str] = []
        edges = []
        for u, v, kinds in G.edges(data="kinds"):
            if (u in members) == (v in members) and u not in members:
                continue
            if u in members and v not in members and v not in after and v not in before:
                after.append(v)
            elif v in members and u not in members and u not in before and u not in after:
                before.append(u)
            kind = next((k.value for k in EDGE_KINDS if k.value in (kinds or {})), "next")
            edges.append({"id": f"{u}->{v}", "source": u, "target": v, "kind": kind})
        for row, n in enumerate(before):
            nodes.append(self._lesson_node(n, -COLUMN_PX, row, outside=True))
        right = (layout.columns + 0.3) * COLUMN_PX
        for row, n in enumerate(after):
            nodes.append(self._lesson_node(n, right, row, outside=True))
        return {"box": box, "label": self.boxes[box]["label"], "nodes": nodes, "edges": edges}

    def _lesson_node(self, node: str, x: float, row: float, outside: bool = False) -> dict:
        data = self._graph.graph.nodes[node]
        return {
            "id": node,
            "label": str(data.get("title", node)),
            "problems": len(self.problems.get(node, ())),
            "outside": outside,
            "box": self.box_of.get(node),
            "x": x,
            "y": row * ROW_PX,
        }

    def lesson(self, lesson_id: str) -> dict[str, Any]:
        """Everything about one lesson: fields, links both ways, problems, its module box."""
        self.overview()
        graph = self._graph
        try:
            qid = graph.resolve_id(lesson_id)
        except GraphError as exc:
            raise ExplorerError(str(exc)) from exc
        lesson = graph.lesson(qid)
        G = graph.graph
        links: dict[str, list[str]] = {kind.value: [] for kind in EDGE_KINDS}
        dependents = []
        for u, _, kinds in G.in_edges(qid, data="kinds"):
            for kind in kinds or {}:
                if kind in PREREQUISITE_KINDS and kind != "requires_any":
                    links[kind].append(u)
        for _, v, kinds in G.out_edges(qid, data="kinds"):
            for kind in kinds or {}:
                if kind in ("next", "related"):
                    links[kind].append(v)
                elif kind in PREREQUISITE_KINDS:
                    dependents.append(v)
        data = G.nodes[qid]
        return {
            "id": qid,
            "title": lesson.title,
            "summary": lesson.summary,
            "course": lesson.course,
            "module": lesson.module,
            "difficulty": lesson.difficulty,
            "minutes": lesson.minutes,
            "aliases": list(lesson.aliases),
            "tags": list(lesson.tags),
            "url": lesson.url,
            "file": data.get("source"),
            "line": data.get("line"),
            "requires": links["requires"],
            "requires_any": [list(g) for g in data.get("requires_any") or ()],
            "recommends": links["recommends"],
            "related": links["related"],
            "next": links["next"],
            "dependents": sorted(set(dependents), key=lambda n: G.nodes[n]["order"]),
            "titles": {
                n: str(G.nodes[n].get("title", n))
                for n in {*links["requires"], *links["recommends"], *links["related"]}
                | {*links["next"], *dependents}
                | {m for g in data.get("requires_any") or () for m in g}
            },
            "problems": [i.as_dict() for i in self.problems.get(qid, ())],
            "box": self.box_of.get(qid),
            "learners": self._learners(qid),
        }

    def _learners(self, qid: str) -> dict[str, Any] | None:
        """Where learners went after ``qid`` (``None`` without a snapshot); counts below the
        snapshot's floor are not known (``stopped`` is then ``None``)."""
        model = self.transitions
        if model is None:
            return None
        finished = model.finished(qid)
        G = self._graph.graph
        return {
            "min_learners": model.min_learners,
            "finished": finished,
            "stopped": model.stopped(qid) or None,
            "next": [
                {
                    "id": s.lesson_id,
                    "title": str(G.nodes[s.lesson_id].get("title", s.lesson_id))
                    if s.lesson_id in G
                    else s.lesson_id,
                    "learners": s.learners,
                    "share": round(s.learners / finished, 4) if finished else None,
                }
                for s in model.successors(qid)[:MAX_SUGGESTIONS]
            ],
        }

    def search(self, text: str) -> dict[str, Any]:
        """Lessons matching ``text`` as the bot finds them (ids, titles, aliases, typos)."""
        self.overview()
        graph = self._graph
        result = graph.find(text, limit=MAX_RESULTS)
        matches = [
            {
                "id": m.lesson_id,
                "title": m.title,
                "confidence": m.confidence,
                "matched": m.matched,
                "box": self.box_of.get(m.lesson_id),
            }
            for m in result.matches
        ]
        if not matches and fold_text(text):  # a plain substring, for partial words
            folded = fold_text(text)
            matches = [
                {"id": lesson.id, "title": lesson.title, "confidence": 0.5, "matched": ""}
                | {"box": self.box_of.get(lesson.id)}
                for lesson in graph.lessons()
                if folded in fold_text(lesson.title)
            ][:MAX_RESULTS]
        return {"query": text, "matches": matches}

    def problem_list(self) -> dict[str, Any]:
        """The problems, causes first, each with the number of lessons it blocks."""
        report = self.report
        causes = [
            {**i.as_dict(), "subject": i.subject, "blocks": len(report.follow_ons(i))}
            for i in report.causes
        ]
        warnings = [{**i.as_dict(), "subject": i.subject} for i in report.warnings]
        return {
            "summary": report.summary(),
            "errors": causes,
            "warnings": warnings,
            "warning_counts": report.warning_counts(),
        }

    def recommend(
        self, completed: Sequence[str], goal: str | None = None, k: int = 5
    ) -> dict[str, Any]:
        """The bot's top ``k`` suggestions for a learner who completed ``completed`` (in that
        order, most recent last), with the reasons in the bot's words, and the path to
        ``goal``."""
        graph = self._graph
        try:
            done = [graph.resolve_id(c) for c in completed]
            goal_id = graph.resolve_id(goal) if goal else None
        except GraphError as exc:
            raise ExplorerError(str(exc)) from exc
        k = max(1, min(int(k), MAX_SUGGESTIONS))
        suggestions = [
            {
                "id": r.lesson_id,
                "title": r.title,
                "score": round(r.score, 4),
                "because": because(graph, r),
            }
            for r in graph.recommend(
                done, k=k, goal=goal_id, recent=done, transitions=self.transitions
            )
        ]
        path = None
        if goal_id is not None:
            plan = graph.path_to(goal_id, done)
            path = {
                "goal": goal_id,
                "steps": [{"id": s.id, "title": s.title} for s in plan.steps],
                "total_minutes": plan.total_minutes,
                "already_done": plan.already_done,
            }
        return {"completed": done, "suggestions": suggestions, "path": path}


class _Handler(BaseHTTPRequestHandler):
    """Routes the page's requests to an :class:`Explorer` (``server.explorer``)."""

    server: ExplorerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("explorer: " + format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _answer(self, compute: Callable[[], Any]) -> None:
        try:
            self._json(HTTPStatus.OK, compute())
        except ExplorerError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        explorer = self.server.explorer
        routes: dict[str, Callable[[], Any]] = {
            "/api/summary": explorer.summary,
            "/api/overview": explorer.overview,
            "/api/problems": explorer.problem_list,
            "/api/module": lambda: explorer.module(_int(query.get("box"))),
            "/api/lesson": lambda: explorer.lesson(query.get("id", "")),
            "/api/search": lambda: explorer.search(query.get("q", "")),
        }
        if url.path in routes:
            self._answer(routes[url.path])
            return
        name = "index.html" if url.path in ("", "/") else url.path.lstrip("/")
        target = (STATIC_DIR / name).resolve()
        if target.parent != STATIC_DIR or not target.is_file():
            self._json(HTTPStatus.NOT_FOUND, {"error": f"not found: {url.path}"})
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        charset = "; charset=utf-8" if kind.startswith("text/") or kind.endswith("script") else ""
        self._send(HTTPStatus.OK, target.read_bytes(), kind + charset)

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/api/recommend":
            self._json(HTTPStatus.NOT_FOUND, {"error": f"not found: {self.path}"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "request too large"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            completed = [str(c) for c in body.get("completed") or []]
            goal = body.get("goal") or None
            k = int(body.get("k") or 5)
        except (ValueError, TypeError, AttributeError) as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": f"bad request body: {exc}"})
            return
        self._answer(lambda: self.server.explorer.recommend(completed, goal, k))


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise ExplorerError(f"not a number: {text!r}") from None


class ExplorerServer(ThreadingHTTPServer):
    """The HTTP server of one :class:`Explorer`, bound to :data:`HOST` only."""

    daemon_threads = True

    def __init__(self, explorer: Explorer, port: int = 0) -> None:
        self.explorer = explorer
        super().__init__((HOST, port), _Handler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://{HOST}:{self.server_address[1]}/"

    def start(self) -> threading.Thread:
        """Serve in a daemon thread (tests, scripts); stop with ``shutdown()``."""
        thread = threading.Thread(target=self.serve_forever, name="explorer", daemon=True)
        thread.start()
        return thread


def serve(explorer: Explorer, port: int = 8765) -> ExplorerServer:
    """Return the server of ``explorer`` on ``127.0.0.1:port`` (0: any free port).

    Raises
    ------
    OSError
        When the port is taken.
    """
    server = ExplorerServer(explorer, port)
    explorer.overview()  # computed before the first request
    return server
