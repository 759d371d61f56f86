"""Authoring tools at scale: ``render``, ``find``, ``validate`` and ``explore`` timings and memory.

Usage::

    .venv/bin/python -m bench.authoring                    # 500, 3,000 and 10,000 lessons
    .venv/bin/python -m bench.authoring --sizes 500        # one size

Writes ``bench/results-authoring.md`` (its own file: ``bench/results.md`` belongs to the
serving benchmark, ``make bench``). Graphs are ``bench/generate_graph.py``'s (seed 7, cached
in ``bench/.cache/``). Every measurement runs in a fresh Python process, so its peak memory
(``ru_maxrss``) is its own; times are wall-clock seconds on the machine that ran it.

What is measured per size:

* **validate**: ``validate_path`` of the folder (parse, checks, graph), peak memory.
* **render**: ``render`` with the defaults (the overview above 250 lessons) to a PNG: time of
  the call (the graph already loaded), peak memory of the process, picture size.
* **render --focus**: a lesson in the middle of the graph, ``--depth 2``.
* **find**: the search index built on the first query, then 300 queries (exact titles,
  titles with a typo, two-word queries): median and 99th percentile per query.
* **explore**: the explorer's data (``Explorer.from_report``) and its two largest answers,
  the overview (time, JSON size) and a module.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any, Final

from bench.generate_graph import write_graph
from bench.process import peak_rss_mb

SIZES: Final[tuple[int, ...]] = (500, 3_000, 10_000)
RESULTS: Final[Path] = Path(__file__).resolve().parent / "results-authoring.md"
QUERIES: Final[int] = 300


def _typo(text: str, rng: random.Random) -> str:
    """``text`` with two neighbouring letters swapped in its longest word."""
    words = text.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) > 3:
        i = rng.randrange(1, len(word) - 2)
        words[longest] = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return " ".join(words)


def measure(what: str, size: int) -> dict[str, Any]:
    """Run one measurement in this process and return its figures."""
    from knowledge_graph.loader import load_graph
    from knowledge_graph.validation import validate_path

    folder = write_graph(size)
    if what == "validate":
        start = time.perf_counter()
        report = validate_path(folder)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "peak_mb": peak_rss_mb(), "summary": report.summary()}
    graph = load_graph(folder)
    if what in ("render", "render-focus"):
        from knowledge_graph.render import render

        focus = graph.lessons()[size // 2].id if what == "render-focus" else None
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            result = render(graph, Path(tmp) / "graph.png", focus=focus, depth=2)
            seconds = time.perf_counter() - start
            png_mb = result.path.stat().st_size / 1e6
        return {
            "seconds": seconds,
            "peak_mb": peak_rss_mb(),
            "view": result.view,
            "boxes": result.boxes,
            "pixels": f"{result.width_px:,} x {result.height_px:,}",
            "png_mb": png_mb,
        }
    if what == "find":
        rng = random.Random(7)
        titles = [lesson.title for lesson in graph.lessons()]
        start = time.perf_counter()
        graph.find("warm-up")
        build = time.perf_counter() - start
        queries = []
        for i in range(QUERIES):
            title = rng.choice(titles)
            kind = i % 3
            if kind == 0:
                queries.append(title)
            elif kind == 1:
                queries.append(_typo(title, rng))
            else:
                queries.append(" ".join(rng.sample(title.split(), min(2, len(title.split())))))
        times = []
        for query in queries:
            start = time.perf_counter()
            graph.find(query)
            times.append(time.perf_counter() - start)
        times.sort()
        return {
            "build_s": build,
            "p50_ms": statistics.median(times) * 1000,
            "p99_ms": times[int(len(times) * 0.99) - 1] * 1000,
            "max_ms": times[-1] * 1000,
            "peak_mb": peak_rss_mb(),
        }
    if what == "explore":
        from knowledge_graph.explore import Explorer

        report = validate_path(folder)
        start = time.perf_counter()
        explorer = Explorer.from_report(report, str(folder))
        prepare = time.perf_counter() - start
        start = time.perf_counter()
        overview = explorer.overview()
        overview_s = time.perf_counter() - start
        largest = max(range(len(explorer.boxes)), key=lambda i: explorer.boxes[i]["count"])
        start = time.perf_counter()
        module = explorer.module(largest)
        module_s = time.perf_counter() - start
        return {
            "prepare_s": prepare,
            "overview_s": overview_s,
            "overview_nodes": len(overview["nodes"]),
            "overview_kb": len(json.dumps(overview)) / 1000,
            "module_s": module_s,
            "module_nodes": len(module["nodes"]),
            "peak_mb": peak_rss_mb(),
        }
    raise ValueError(f"unknown measurement {what!r}")


def run_one(what: str, size: int) -> dict[str, Any]:
    """Run :func:`measure` in a fresh process (its own peak memory)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.authoring", "--measure", what, "--sizes", str(size)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_results(figures: dict[int, dict[str, dict[str, Any]]], path: Path = RESULTS) -> None:
    """Write the Markdown table of ``figures`` (size -> measurement -> values)."""
    lines = [
        "# Authoring tools at scale",
        "",
        f"Run of {date.today().isoformat()} with `python -m bench.authoring` on "
        f"{platform.machine()} (Python {platform.python_version()}); method in "
        "[`bench/authoring.py`](authoring.py). Graphs: `bench/generate_graph.py`, seed 7. "
        "Times are wall-clock seconds on a shared 2-core machine; memory is the peak resident "
        "size of the process that did the work (graph loaded).",
        "",
        "| lessons | validate | render (default view) | render --focus, depth 2 "
        "| find: index build | find: query p50 / p99 / max | explore: overview "
        "| explore: largest module |",
        "|---:|---|---|---|---:|---|---|---|",
    ]
    for size, f in sorted(figures.items()):
        v, r, rf, fi, ex = (
            f["validate"],
            f["render"],
            f["render-focus"],
            f["find"],
            f["explore"],
        )
        lines.append(
            f"| {size:,} | {v['seconds']:.1f} s, {v['peak_mb']:.0f} MB "
            f"| {r['seconds']:.1f} s, {r['peak_mb']:.0f} MB: {r['view']}, {r['boxes']:,} boxes, "
            f"{r['pixels']} px, {r['png_mb']:.1f} MB PNG "
            f"| {rf['seconds']:.1f} s, {rf['peak_mb']:.0f} MB: {rf['boxes']:,} lessons "
            f"| {fi['build_s']:.2f} s "
            f"| {fi['p50_ms']:.2f} / {fi['p99_ms']:.2f} / {fi['max_ms']:.2f} ms "
            f"| {ex['overview_s']:.2f} s, {ex['overview_nodes']:,} modules, "
            f"{ex['overview_kb']:.0f} kB JSON "
            f"| {ex['module_s']:.2f} s, {ex['module_nodes']:,} lessons |"
        )
    lines += [
        "",
        "Targets (issue #17): `render` at most 30 s and 1 GB for any graph up to 10,000 "
        "lessons; `find` at most 10 ms per query at 10,000 lessons. The search index is built "
        "once per loaded graph, on the first query (the bot keeps it between turns; each "
        "`python -m knowledge_graph find` call pays it, and the graph load, again).",
        "",
        "Before this work `render` drew every lesson: 500 lessons took 24 s and 0.5 GB "
        "(10,367 x 9,728 px), 3,285 lessons 224 s and 2.7 GB, 5,000 lessons 548 s and 15.7 GB.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.measure:
        print(json.dumps(measure(args.measure, sizes[0])))
        return
    figures: dict[int, dict[str, dict[str, Any]]] = {}
    for size in sizes:
        write_graph(size)
        figures[size] = {}
        for what in ("validate", "render", "render-focus", "find", "explore"):
            figures[size][what] = run_one(what, size)
            print(size, what, figures[size][what], flush=True)
    write_results(figures, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
