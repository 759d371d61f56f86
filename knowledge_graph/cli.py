"""Command line tools for course authors: ``python -m knowledge_graph COMMAND``.

Commands
--------
``validate [PATH]``   check course files, errors by root cause (exit 1 on errors; ``--strict``:
                      on warnings too; ``--verbose``, ``--silence CODE,...``, ``--format json``,
                      ``--locales en_US,es_US``: the locales translations are expected for)
``stats``             courses, modules, links, start lessons, longest prerequisite chain;
                      ``--transitions SNAPSHOT``: where learners went after each lesson
                      and where they stopped
``recommend``         what a learner should study next, with reasons (``--transitions``:
                      blended with what learners took next)
``evaluate``          replay held-out learners' histories (``--trajectories FILE.csv``):
                      hit@1/3/5 and MRR@10 of graph-only, transitions-only and blended
``path GOAL``         the lessons still needed to reach a goal, in order
``find TEXT``         which lessons a learner's words name (``--locale es_US``: in that locale)
``render``            draw the graph to a PNG/SVG/PDF
``diff OLD NEW``      what changed between two versions of the course files
``explore [PATH]``    the graph in the browser (127.0.0.1 only): search, problems, suggestions
                      (``--transitions SNAPSHOT``: where learners went, blended suggestions)

Every command reads the graph from ``--graph PATH`` (default: ``$LESSON_GRAPH_PATH``, else the
bundled ``data/lessons``). Exit codes: 0 success, 1 invalid files / unknown lesson / not
found, 2 wrong usage.

Example
-------
>>> main(["find", "for loop", "--graph", "data/lessons"])
* 100%  For Loops  [python-intro/for-loops]  (matched 'for loop')
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from knowledge_graph.compiled import write_compiled
from knowledge_graph.diff import EdgeChange, GraphDiff, diff_graphs
from knowledge_graph.errors import (
    GraphSourceError,
    GraphValidationError,
    TransitionsSnapshotError,
    UnknownLessonError,
)
from knowledge_graph.file_format import (
    EDGE_KINDS,
    PREREQUISITE_KINDS,
    SYMMETRIC_KINDS,
    WARNING_CODES,
)
from knowledge_graph.loader import BUNDLED_LOCATION, load_graph
from knowledge_graph.reason_text import DEFAULT_LOCALE, LOCALES, reason_text
from knowledge_graph.render import MAX_PIXELS, OVERVIEW_ABOVE, VIEWS, render
from knowledge_graph.search import AMBIGUITY_MARGIN
from knowledge_graph.sources import open_source
from knowledge_graph.stats import compute_stats
from knowledge_graph.tables import CompiledIndexError
from knowledge_graph.transitions import TransitionModel, load_transitions
from knowledge_graph.validation import validate_documents
from knowledge_graph.validation.issues import ValidationReport

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.model import LessonGraph

__all__ = [
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "default_graph_location",
    "main",
]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A problem to report on stderr with exit code 1 (bad input, not a crash)."""


def default_graph_location(environ: dict[str, str] | None = None) -> str:
    """Return ``$LESSON_GRAPH_PATH`` when set, else the bundled ``data/lessons`` folder.

    Example
    -------
    >>> default_graph_location({"LESSON_GRAPH_PATH": "/srv/lessons"})
    '/srv/lessons'
    """
    env = os.environ if environ is None else environ
    return env.get("LESSON_GRAPH_PATH", "").strip() or BUNDLED_LOCATION


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m knowledge_graph``."""
    parser = argparse.ArgumentParser(
        prog="python -m knowledge_graph",
        description="Check, explore and draw the lesson graph (course files in YAML/JSON).",
        epilog="The graph location defaults to $LESSON_GRAPH_PATH, else the bundled "
        "data/lessons. Exit codes: 0 ok, 1 invalid files or unknown lesson, 2 usage.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str, func: Callable[..., int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--graph",
            metavar="PATH",
            default=None,
            help="course file, folder of course files or s3:// location "
            "(default: $LESSON_GRAPH_PATH, else the bundled data/lessons)",
        )
        sub.set_defaults(func=func)
        return sub

    sub = command(
        "validate",
        "Check course files and report errors by root cause, then warnings by code.",
        _validate,
    )
    sub.add_argument("path", nargs="?", metavar="PATH", help="what to check (default: --graph)")
    sub.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")
    sub.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="list every issue: the lessons each cause blocks, and every warning",
    )
    sub.add_argument(
        "--silence",
        default="",
        metavar="CODE,...",
        help="warning codes not to report in this run (also: silence_warnings in a course "
        f"block); one of: {', '.join(WARNING_CODES)}",
    )
    sub.add_argument(
        "--locales",
        default=None,
        metavar="LOCALE,...",
        help="the locales the bot serves, e.g. en_US,es_US: warn about lessons without a "
        "translation for one of them (default: each course's 'locales', else the bot's "
        "locales for a course that translates anything)",
    )
    sub.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: one object with every issue (file, line, column, lesson, field, code, "
        "severity, message, hint, cause) for editors and CI",
    )
    sub.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the report (auto: when writing to a terminal)",
    )
    _add_json(sub)

    sub = command(
        "compile",
        "Validate a folder of course files and write its compiled index (.lessonbot-index/)"
        " for fast, memory-mapped cold starts; files changed since are checked on their own.",
        _compile,
    )
    sub.add_argument("path", nargs="?", metavar="PATH", help="the folder (default: --graph)")

    sub = command("stats", "Summarise the graph: modules, links, start lessons, chains.", _stats)
    sub.add_argument(
        "--transitions",
        metavar="SNAPSHOT",
        help="instead: where learners went after each lesson and where they stopped, "
        "from a transitions snapshot (lessonbot-transitions/1)",
    )
    sub.add_argument(
        "--top", type=_positive_int, default=3, metavar="N", help="successors shown per lesson"
    )
    _add_json(sub)

    sub = command(
        "recommend", "Suggest what a learner should study next, with reasons.", _recommend
    )
    _add_progress(sub)
    sub.add_argument("--goal", metavar="LESSON", help="the learner's goal lesson")
    sub.add_argument(
        "-k", type=_positive_int, default=3, metavar="N", help="how many suggestions (default 3)"
    )
    sub.add_argument(
        "--locale",
        choices=LOCALES,
        default=DEFAULT_LOCALE,
        help=f"language of the reasons, as the bot words them (default {DEFAULT_LOCALE})",
    )
    sub.add_argument(
        "--transitions",
        metavar="SNAPSHOT",
        help="blend in what learners took next, from a transitions snapshot",
    )
    _add_json(sub)

    sub = command(
        "evaluate",
        "Replay held-out learners (learner-split folds): hit@1/3/5 and MRR@10, with 95%% "
        "bootstrap intervals, of graph-only, transitions-only and blended suggestions.",
        _evaluate,
    )
    sub.add_argument(
        "--trajectories",
        required=True,
        metavar="FILE.csv",
        help="completions: columns learner_id, lesson_id, timestamp (number or ISO-8601)",
    )
    sub.add_argument("--folds", type=_positive_int, default=5, metavar="N", help="default 5")
    sub.add_argument(
        "--min-learners",
        type=_positive_int,
        default=5,
        metavar="N",
        help="privacy and noise floor of the learned transitions (default 5)",
    )
    sub.add_argument("--seed", type=int, default=0, help="fold split and bootstrap (default 0)")
    sub.add_argument(
        "--bootstrap", type=_positive_int, default=1000, metavar="N", help="default 1000"
    )
    sub.add_argument(
        "--sparse-below",
        type=_positive_int,
        default=20,
        metavar="N",
        help="a step is sparse when its latest lesson has fewer training learners (default 20)",
    )
    _add_json(sub)

    sub = command("path", "List the lessons still needed to reach a goal, in order.", _path)
    sub.add_argument("goal", metavar="GOAL", help="goal lesson (id, title or alias)")
    _add_progress(sub)
    _add_json(sub)

    sub = command("find", "Find the lessons a learner's words name (ids, titles, aliases).", _find)
    sub.add_argument("text", nargs="+", metavar="TEXT", help="what the learner said")
    sub.add_argument(
        "--locale",
        default=None,
        metavar="LOCALE",
        help="the learner's locale, e.g. es_US: its translated titles and aliases match too",
    )
    sub.add_argument(
        "--limit",
        type=_positive_int,
        default=5,
        metavar="N",
        help="at most N candidates (default 5)",
    )
    _add_json(sub)

    sub = command(
        "render", "Draw the graph (modules as bands, prerequisites left to right).", _render
    )
    sub.add_argument(
        "--out",
        default="lesson-graph.png",
        metavar="FILE",
        help="output file: .png, .svg or .pdf (default lesson-graph.png)",
    )
    _add_progress(sub)
    sub.add_argument("--goal", metavar="LESSON", help="highlight a goal and the path to it")
    sub.add_argument("--course", metavar="ID", help="draw only this course")
    sub.add_argument(
        "-k",
        type=int,
        default=3,
        metavar="N",
        help="recommendations to highlight with --completed/--goal (default 3)",
    )
    sub.add_argument(
        "--focus",
        metavar="LESSON",
        help="draw only this lesson's neighbourhood (see --depth), outlined in blue",
    )
    sub.add_argument(
        "--depth",
        type=int,
        default=2,
        metavar="N",
        help="with --focus: lessons at most N links away, either direction (default 2)",
    )
    sub.add_argument(
        "--view",
        choices=VIEWS,
        default="auto",
        help="lessons: a box per lesson; modules/courses: the overview, a box per module or "
        f"course with counts (auto: lessons up to --overview-above, default {OVERVIEW_ABOVE})",
    )
    sub.add_argument(
        "--overview-above",
        type=_positive_int,
        default=OVERVIEW_ABOVE,
        metavar="N",
        help=f"with --view auto, draw the overview above N lessons (default {OVERVIEW_ABOVE})",
    )
    sub.add_argument(
        "--max-pixels",
        type=_positive_int,
        default=MAX_PIXELS,
        metavar="N",
        help=f"largest picture, width x height in pixels (default {MAX_PIXELS:,})",
    )

    sub = command(
        "explore",
        "Explore the graph in your browser: pan, zoom, search, see problems on the lessons, "
        "preview suggestions for a simulated learner (served on 127.0.0.1 only).",
        _explore,
    )
    sub.add_argument("path", nargs="?", metavar="PATH", help="what to explore (default: --graph)")
    sub.add_argument(
        "--port", type=int, default=8765, metavar="N", help="port (default 8765; 0: any free)"
    )
    sub.add_argument(
        "--transitions",
        metavar="SNAPSHOT",
        help="show where learners went after each lesson, and blend it into the previewed "
        "suggestions (a transitions snapshot)",
    )

    sub = command("diff", "Compare two versions of the course files.", _diff)
    sub.add_argument("old", metavar="OLD", help="old course file or folder")
    sub.add_argument("new", metavar="NEW", help="new course file or folder")
    _add_json(sub)
    return parser


def _add_json(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")


def _add_progress(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--completed",
        default="",
        metavar="A,B,...",
        help="comma-separated lessons the learner completed (ids, titles or aliases)",
    )


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run one command and return its exit code (never calls ``sys.exit``).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).
    stdout : text stream, optional
        Where results go (default: ``sys.stdout``); problems go to ``sys.stderr``.

    Returns
    -------
    int
        0 ok, 1 invalid files / unknown lesson / not found, 2 usage error.

    Example
    -------
    >>> main(["validate", "data/lessons"])
    OK: data/lessons: 0 errors, 0 warnings in 2 files
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    out = stdout if stdout is not None else sys.stdout
    if args.graph is None:
        args.graph = default_graph_location()
    try:
        return int(args.func(args, out))
    except GraphValidationError as exc:
        print(f"{args.graph}: the course files have errors:", file=sys.stderr)
        print(exc.report.format(), file=sys.stderr)
        print(f"run: python -m knowledge_graph validate {args.graph}", file=sys.stderr)
    except (GraphSourceError, UnknownLessonError, CliError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    return EXIT_INVALID


# --------------------------------------------------------------------------- helpers


def _resolve(graph: LessonGraph, text: str) -> str:
    """Qualified id of a lesson named by id, or (confidently) by title or alias."""
    text = text.strip()
    if text in graph:
        return graph.resolve_id(text)
    found = graph.find(text, limit=3)
    if found.is_confident and found.best is not None:
        return found.best.lesson_id
    raise UnknownLessonError(text, tuple(m.lesson_id for m in found.matches))


def _progress(graph: LessonGraph, completed: str) -> list[str]:
    """Qualified ids of a comma-separated ``--completed`` list (order kept, no repeats)."""
    ids = [_resolve(graph, item) for item in completed.split(",") if item.strip()]
    return list(dict.fromkeys(ids))


def _title(graph: LessonGraph, lesson_id: str) -> str:
    return graph.lesson(lesson_id).title


def _dump(data: Any, out: TextIO) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str), file=out)


# --------------------------------------------------------------------------- validate


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    location = args.path or args.graph
    silence = [c.strip() for c in args.silence.split(",") if c.strip()]
    locales = None
    if args.locales is not None:
        locales = [x.strip() for x in args.locales.split(",") if x.strip()]
    try:
        report = _validation_report(location, silence, locales)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    failed = not report.ok or (args.strict and bool(report.warnings))
    if args.json or args.format == "json":
        _dump(
            {
                "location": location,
                "ok": not failed,
                "summary": report.summary(),
                "files": report.files,
                "warning_counts": report.warning_counts(),
                "silenced": report.silenced,
                "issues": [i.as_dict() for i in report.issues],
            },
            out,
        )
    elif _use_colour(args.color, out):
        _print_report_rich(
            report, location, failed, out, force=args.color == "always", verbose=args.verbose
        )
    else:
        if report.issues:
            print(report.format(verbose=args.verbose), file=out)
        verdict = "FAILED" if failed else "OK"
        print(f"{verdict}: {location}: {report.summary()}", file=out)
    return EXIT_INVALID if failed else EXIT_OK


def _compile(args: argparse.Namespace, out: TextIO) -> int:
    location = args.path or args.graph
    try:
        target = write_compiled(location)
    except GraphValidationError as exc:
        print(exc.report.format(), file=out)
        print(f"FAILED: {location}: not compiled ({exc.report.summary()})", file=out)
        return EXIT_INVALID
    except CompiledIndexError as exc:
        raise CliError(str(exc)) from exc
    print(f"OK: wrote {target}", file=out)
    return EXIT_OK


def _validation_report(
    location: str, silence: Sequence[str] = (), locales: Sequence[str] | None = None
) -> ValidationReport:
    """Validate a local path or an s3:// location (ValueError for an unknown silence code
    or locale id)."""
    return validate_documents(open_source(location).read(), silence=silence, locales=locales)


def _use_colour(choice: str, out: TextIO) -> bool:
    if choice == "auto":
        return bool(getattr(out, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ
    return choice == "always"


def _print_report_rich(
    report: ValidationReport,
    location: str,
    failed: bool,
    out: TextIO,
    *,
    force: bool,
    verbose: bool = False,
) -> None:
    """Coloured report: the lines of ``report.format``, then a verdict (rich imported lazily).

    Issue lines are coloured by severity with their code dimmed after them; the fix and
    "... and N more" lines are dimmed.
    """
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, force_terminal=force or None, highlight=False, soft_wrap=True)
    by_line = {issue.format(): issue for issue in report.issues}
    for raw in report.format(verbose=verbose).splitlines() if report.issues else []:
        stripped = raw.strip()
        issue = by_line.get(stripped)
        line = Text()
        if issue is None:
            line.append(raw, style="dim")
            console.print(line)
            continue
        colour = "red" if issue.severity.value == "error" else "yellow"
        where = issue.file if issue.line is None else f"{issue.file}:{issue.line}"
        line.append(raw[: len(raw) - len(stripped)])
        line.append(where, style="bold")
        line.append(": ")
        line.append(issue.severity.value, style=f"bold {colour}")
        if issue.course or issue.lesson:
            subject = "/".join(p for p in (issue.course, issue.lesson) if p)
            line.append(f" [{subject}]", style="cyan")
        if issue.field:
            line.append(f" {issue.field}:", style="magenta")
        line.append(f" {issue.message}")
        line.append(f"  ({issue.code})", style="dim")
        console.print(line)
    verdict = Text()
    verdict.append("FAILED" if failed else "OK", style="bold red" if failed else "bold green")
    verdict.append(f": {location}: {report.summary()}")
    console.print(verdict)


# --------------------------------------------------------------------------- stats


def _stats(args: argparse.Namespace, out: TextIO) -> int:
    graph = load_graph(args.graph)
    if args.transitions:
        return _transition_stats(graph, _snapshot(args.transitions), args, out)
    stats = compute_stats(graph)
    if args.json:
        _dump(stats.__dict__, out)
        return EXIT_OK
    print(f"Graph: {args.graph}", file=out)
    print(
        f"{stats.lessons} lessons in {len(stats.courses)} course(s), "
        f"{_hours(stats.total_minutes)} of study in all",
        file=out,
    )
    for course_id, count in stats.courses.items():
        print(f"  {course_id}: {graph.courses[course_id].title} ({count} lessons)", file=out)
    print("\nLessons per module:", file=out)
    width = max((len(m) for m in stats.modules), default=0)
    for module, count in stats.modules.items():
        print(f"  {module:<{width}}  {count:>3}", file=out)
    print("\nLinks per kind:", file=out)
    for kind in EDGE_KINDS:
        note = " (pairs)" if kind in SYMMETRIC_KINDS else ""
        print(f"  {kind.value:<13} {stats.edges.get(kind.value, 0):>4}{note}", file=out)
    print(
        f"\nStart lessons ({len(stats.roots)}): {', '.join(_title(graph, r) for r in stats.roots)}",
        file=out,
    )
    print(
        f"Final lessons ({len(stats.leaves)}): {', '.join(_title(graph, r) for r in stats.leaves)}",
        file=out,
    )
    chain = stats.longest_chain
    print(
        f"Longest prerequisite chain ({len(chain)} lessons): "
        f"{' -> '.join(_title(graph, n) for n in chain) or '-'}",
        file=out,
    )
    return EXIT_OK


def _snapshot(path: str) -> TransitionModel:
    try:
        return load_transitions(path)
    except TransitionsSnapshotError as exc:
        raise CliError(str(exc)) from None


def _transition_stats(
    graph: LessonGraph, model: TransitionModel, args: argparse.Namespace, out: TextIO
) -> int:
    """Per lesson (load order): learners who finished it, stopped there, and went where."""
    from rich.console import Console
    from rich.table import Table

    rows = []
    for lesson_id in graph.index.ids:
        finished = model.finished(lesson_id)
        if not finished:
            continue
        successors = model.successors(lesson_id)
        rows.append(
            {
                "lesson_id": lesson_id,
                "title": _title(graph, lesson_id),
                "finished": finished,
                "stopped": model.stopped(lesson_id),
                "next": [
                    {
                        "lesson_id": s.lesson_id,
                        "title": _title(graph, s.lesson_id) if s.lesson_id in graph else None,
                        "learners": s.learners,
                        "share": round(s.learners / finished, 4),
                    }
                    for s in successors[: args.top]
                ],
            }
        )
    unknown = sorted(x for x in model.lessons if x not in graph)
    if args.json:
        _dump(
            {
                "min_learners": model.min_learners,
                "generated_at": model.generated_at,
                "lessons": rows,
                "not_in_graph": unknown,
            },
            out,
        )
        return EXIT_OK
    console = Console(file=out, highlight=False, width=max(100, Console(file=out).width))
    console.print(
        f"Transitions snapshot: {args.transitions} (generated {model.generated_at or 'unknown'}),"
        f" counts of at least {model.min_learners} distinct learners"
    )
    table = Table(show_lines=False)
    table.add_column("Lesson")
    table.add_column("Finished", justify="right")
    table.add_column("Stopped there", justify="right")
    table.add_column(f"Took next (top {args.top}; share of those who finished)")
    for row in rows:
        stopped = str(row["stopped"]) if row["stopped"] else f"<{model.min_learners}"
        taken = "\n".join(
            f"{n['title'] or n['lesson_id']}  {n['learners']} ({n['share']:.0%})"
            for n in row["next"]
        )
        table.add_row(
            f"{row['title']}\n[dim]{row['lesson_id']}[/dim]",
            str(row["finished"]),
            stopped,
            taken or "-",
        )
    console.print(table)
    if not rows:
        console.print("No lesson of this graph has counts in the snapshot.")
    if unknown:
        console.print(
            f"{len(unknown)} lesson(s) of the snapshot are not in the graph: "
            f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}"
        )
    console.print(
        "[dim]Counts below the floor are not kept: a lesson's successors and stops may add up"
        " to fewer learners than finished it.[/dim]"
    )
    return EXIT_OK


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


# --------------------------------------------------------------------------- recommend


def _recommend(args: argparse.Namespace, out: TextIO) -> int:
    graph = load_graph(args.graph)
    done = _progress(graph, args.completed)
    goal = _resolve(graph, args.goal) if args.goal else None
    model = _snapshot(args.transitions) if args.transitions else None
    results = graph.recommend(done, k=args.k, goal=goal, transitions=model)
    if args.json:
        _dump(
            [
                {
                    "lesson_id": r.lesson_id,
                    "title": r.title,
                    "score": r.score,
                    "reasons": [
                        {
                            "kind": str(reason.kind),
                            "lessons": list(reason.lessons),
                            "count": reason.count,
                            "total": reason.total,
                            "text": reason_text(graph, reason, args.locale) or str(reason.kind),
                        }
                        for reason in r.reasons
                    ],
                }
                for r in results
            ],
            out,
        )
        return EXIT_OK
    situation = f"{len(done)} completed lesson{'s' * (len(done) != 1)}" if done else "a new learner"
    if goal:
        situation += f", goal: {_title(graph, goal)}"
    print(f"Suggestions for {situation}:", file=out)
    if not results:
        print("  nothing left to suggest: every available lesson is completed", file=out)
    for rank, rec in enumerate(results, start=1):
        lesson = graph.lesson(rec.lesson_id)
        print(
            f"{rank:>2}. {rec.title}  [{rec.lesson_id}]  score {rec.score:.2f}  "
            f"({lesson.minutes} min, difficulty {lesson.difficulty})",
            file=out,
        )
        for reason in rec.reasons:
            text = reason_text(graph, reason, args.locale) or str(reason.kind)
            print(f"      - {text}", file=out)
    return EXIT_OK


# --------------------------------------------------------------------------- evaluate


def _evaluate(args: argparse.Namespace, out: TextIO) -> int:
    from knowledge_graph.evaluation import (
        CUTOFFS,
        DEPTH,
        METHODS,
        evaluate,
        histories_from_rows,
        read_trajectories,
    )

    graph = load_graph(args.graph)
    histories, dropped = histories_from_rows(graph, read_trajectories(args.trajectories))
    try:
        report = evaluate(
            graph,
            histories,
            folds=args.folds,
            min_learners=args.min_learners,
            seed=args.seed,
            bootstrap=args.bootstrap,
            sparse_below=args.sparse_below,
        )
    except ValueError as exc:
        raise CliError(f"{args.trajectories}: {exc}") from None
    if args.json:
        _dump({**report.as_dict(), "unknown_lesson_rows": dropped}, out)
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, highlight=False, width=max(110, Console(file=out).width))
    console.print(
        f"{report.learners} learners, {report.steps} steps, {report.folds} learner-split folds,"
        f" min_learners {report.min_learners}, seed {report.seed}"
        + (f"; {dropped} rows with lessons not in the graph dropped" if dropped else "")
    )
    console.print(
        f"Target locked for the learner at {report.locked_share:.1%} of steps (graph and "
        "blended never suggest a locked lesson)"
    )
    parts = (
        (f"All steps ({report.steps})", report.overall),
        (
            f"Sparse steps ({report.sparse_steps}): latest lesson finished by fewer than "
            f"{report.sparse_below} training learners",
            report.sparse,
        ),
    )
    for title, scores in parts:
        table = Table(title=title, title_justify="left")
        table.add_column("method", no_wrap=True)
        for k in CUTOFFS:
            table.add_column(f"hit@{k}", justify="right", no_wrap=True)
        table.add_column(f"MRR@{DEPTH}", justify="right", no_wrap=True)
        for name in METHODS:
            s = scores[name]
            cells = [*(s.hits[k] for k in CUTOFFS), s.mrr]
            table.add_row(name, *(f"{c.value:.3f} [{c.low:.2f}-{c.high:.2f}]" for c in cells))
        console.print(table)
    console.print("[dim]value [95% bootstrap interval over learners][/dim]")
    return EXIT_OK


# --------------------------------------------------------------------------- path


def _path(args: argparse.Namespace, out: TextIO) -> int:
    graph = load_graph(args.graph)
    done = _progress(graph, args.completed)
    goal = _resolve(graph, args.goal)
    plan = graph.path_to(goal, done)
    if args.json:
        _dump(
            {
                "goal": plan.goal,
                "already_done": plan.already_done,
                "total_minutes": plan.total_minutes,
                "steps": [
                    {"lesson_id": s.id, "title": s.title, "minutes": s.minutes, "module": s.module}
                    for s in plan.steps
                ],
            },
            out,
        )
        return EXIT_OK
    title = _title(graph, plan.goal)
    if plan.already_done:
        print(f"{title} [{plan.goal}] is already completed.", file=out)
        return EXIT_OK
    n = len(plan.steps)
    print(
        f"Path to {title} [{plan.goal}]: {n} lesson{'s' * (n != 1)}, {_hours(plan.total_minutes)}",
        file=out,
    )
    width = max(len(s.title) for s in plan.steps)
    for i, step in enumerate(plan.steps, start=1):
        print(
            f"{i:>3}. {step.title:<{width}}  {step.minutes:>3} min  {step.module}  [{step.id}]",
            file=out,
        )
    print(f"Total: {plan.total_minutes} min ({_hours(plan.total_minutes)})", file=out)
    return EXIT_OK


# --------------------------------------------------------------------------- find


def _find(args: argparse.Namespace, out: TextIO) -> int:
    graph = load_graph(args.graph)
    text = " ".join(args.text)
    result = graph.find(text, limit=args.limit, locale=args.locale)
    if args.json:
        _dump(
            {
                "query": result.query,
                "ambiguous": result.ambiguous,
                "confident": result.is_confident,
                "matches": [m.__dict__ for m in result.matches],
            },
            out,
        )
        return EXIT_OK if result.matches else EXIT_INVALID
    if not result.matches:
        print(f"no lesson matches {text!r}", file=out)
        return EXIT_INVALID
    best = result.matches[0].confidence
    for match in result.matches:
        close = result.ambiguous and match.confidence >= best - AMBIGUITY_MARGIN
        marker = "?" if close else ("*" if match is result.best else " ")
        print(
            f"{marker} {match.confidence:>4.0%}  {match.title}  [{match.lesson_id}]  "
            f"(matched {match.matched!r})",
            file=out,
        )
    if result.ambiguous:
        print("ambiguous: the lessons marked '?' match about equally well; ask which one", file=out)
    elif not result.is_confident:
        print("not sure: the best match is weak; confirm it with the learner", file=out)
    return EXIT_OK


# --------------------------------------------------------------------------- render


def _render(args: argparse.Namespace, out: TextIO) -> int:
    graph = load_graph(args.graph)
    done = _progress(graph, args.completed)
    goal = _resolve(graph, args.goal) if args.goal else None
    try:
        result = render(
            graph,
            args.out,
            completed=done,
            goal=goal,
            course=args.course,
            k=args.k,
            focus=_resolve(graph, args.focus) if args.focus else None,
            depth=args.depth,
            view=args.view,
            overview_above=args.overview_above,
            max_pixels=args.max_pixels,
        )
    except (ValueError, OSError) as exc:
        raise CliError(str(exc)) from exc
    for note in result.notes:
        print(f"note: {note}", file=out)
    print(
        f"wrote {result.path} ({result.view}: {result.boxes:,} boxes for {result.lessons:,} "
        f"lessons, {result.width_px:,} x {result.height_px:,} px)",
        file=out,
    )
    return EXIT_OK


# --------------------------------------------------------------------------- explore


def _explore(args: argparse.Namespace, out: TextIO) -> int:
    from knowledge_graph.explore import Explorer, serve

    location = args.path or args.graph
    report = _validation_report(location)
    explorer = Explorer.from_report(report, location)
    if args.transitions:
        explorer.transitions = _snapshot(args.transitions)
    try:
        server = serve(explorer, args.port)
    except OSError as exc:
        raise CliError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from exc
    print(f"{location}: {report.summary()}", file=out)
    print(f"explore the graph at {server.url} (Ctrl+C to stop)", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


# --------------------------------------------------------------------------- diff


def _diff(args: argparse.Namespace, out: TextIO) -> int:
    graphs = []
    for path in (args.old, args.new):
        try:
            graphs.append(load_graph(path))
        except GraphValidationError:
            args.graph = path  # the report and the validate hint name the broken folder
            raise
    result = diff_graphs(*graphs)
    if args.json:
        _dump(result.as_dict(), out)
    else:
        _print_diff(result, args.old, args.new, out)
    return EXIT_OK


def _print_diff(d: GraphDiff, old: str, new: str, out: TextIO) -> None:
    print(f"--- {old}\n+++ {new}", file=out)
    if d.is_empty:
        print("no differences", file=out)
        return
    for course in d.courses_added:
        print(f"+ course {course}", file=out)
    for course in d.courses_removed:
        print(f"- course {course}", file=out)
    for change in d.courses_changed:
        print(f"~ course {change.course_id}: {', '.join(change.fields)}", file=out)
    for rename in d.renamed:
        print(f"> lesson {rename.old_id} -> {rename.new_id}", file=out)
        print(f"  warning: {rename.warning}", file=out)
    for lesson in d.lessons_added:
        print(f"+ lesson {lesson}", file=out)
    for lesson in d.lessons_removed:
        print(f"- lesson {lesson}", file=out)
    for change in d.lessons_changed:
        print(f"~ lesson {change.lesson_id}: {', '.join(change.fields)} changed", file=out)
        for field in change.changes:
            print(f"    {field.field}: {field.old!r} -> {field.new!r}", file=out)
    for edge in d.edges_added:
        print(f"+ link   {_edge_text(edge)} (weight {edge.new_weight:g})", file=out)
    for edge in d.edges_removed:
        print(f"- link   {_edge_text(edge)} (weight {edge.old_weight:g})", file=out)
    for edge in d.edges_reweighted:
        print(f"~ weight {_edge_text(edge)}: {edge.old_weight:g} -> {edge.new_weight:g}", file=out)
    counts = (
        f"{len(d.lessons_added)} added, {len(d.lessons_removed)} removed, "
        f"{len(d.lessons_changed)} changed, {len(d.renamed)} renamed lessons; "
        f"{len(d.edges_added)} added, "
        f"{len(d.edges_removed)} removed, {len(d.edges_reweighted)} re-weighted links"
    )
    print(counts, file=out)


def _edge_text(edge: EdgeChange) -> str:
    """A link in author terms: ``b requires a``, ``a next b``, ``a related b``."""
    if edge.kind in PREREQUISITE_KINDS:
        return f"{edge.target} {edge.kind} {edge.source}"
    return f"{edge.source} {edge.kind} {edge.target}"
