"""Run the whole benchmark: ``python -m bench.run [--sizes 100,1000,10000,100000] [--quick]``.

For each size: generate (or reuse) the graph, time cold starts against the import-only
floor, then measure ours and the naive baseline, each in its own process (so each peak
memory figure is that process's own). Writes ``bench/results.md``, ``bench/results.json``
and ``bench/results.png`` (log-log latency against graph size).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate_graph import SIZES, write_graph

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
INTENTS = ("RecommendNextLesson", "CompleteLesson", "ShowLearningPath")


@dataclass(frozen=True)
class Plan:
    """How much to measure at one size (the big sizes get fewer naive turns and cold starts)."""

    turns: int
    other_turns: int
    loads: int
    cold_runs: int
    naive_turns: int
    naive_min_turns: int
    naive_budget_s: float


def plan_for(lessons: int, quick: bool) -> Plan:
    """The measurement plan of a size (see :class:`Plan`)."""
    if quick:
        return Plan(100, 50, 1, 3, 20, 2, 0.5)
    if lessons <= 1_000:
        return Plan(1_000, 1_000, 3, 7, 1_000, 3, 4.0)
    if lessons <= 10_000:
        return Plan(1_000, 1_000, 3, 5, 1_000, 3, 6.0)
    return Plan(1_000, 1_000, 1, 1, 1_000, 2, 0.0)


def _env(graph: Path, lessons: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LESSON_GRAPH_PATH=str(graph),
        PROGRESS_STORE="memory://",
        POWERTOOLS_METRICS_DISABLED="true",
        LOG_LEVEL="ERROR",
        BENCH_LESSONS=str(lessons),
        PYTHONPATH=str(REPO),
    )
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    return env


def _run(args: list[str], env: dict[str, str]) -> float:
    """Run a Python subprocess in the repo; return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return time.perf_counter() - start


def cold_starts(graph: Path, lessons: int, runs: int, tmp: Path) -> dict[str, Any]:
    """Median wall time of fresh cold-start processes and of the import-only floor."""
    env = _env(graph, lessons)
    from bench.cold_start import FLOOR_CODE

    _run(["-c", FLOOR_CODE], env)  # warm the OS file cache once
    ours, floor, details = [], [], []
    for i in range(runs):  # interleaved, so drifting machine load hits both alike
        floor.append(_run(["-c", FLOOR_CODE], env))
        out = tmp / f"cold-{lessons}-{i}.json"
        ours.append(_run(["-m", "bench.cold_start", str(out)], env))
        details.append(json.loads(out.read_text()))
    return {
        "runs": runs,
        "ours_s": statistics.median(ours),
        "floor_s": statistics.median(floor),
        "ratio": statistics.median(ours) / statistics.median(floor),
        "import_s": statistics.median(d["import_s"] for d in details),
        "first_turn_s": statistics.median(d["first_turn_s"] for d in details),
        "maxrss_mb": statistics.median(d["maxrss_mb"] for d in details),
    }


def measure_size(lessons: int, plan: Plan, tmp: Path) -> dict[str, Any]:
    """Every measurement of one size."""
    graph = write_graph(lessons)
    env = _env(graph, lessons)
    print(f"[{lessons}] cold starts ({plan.cold_runs} runs)", flush=True)
    cold = cold_starts(graph, lessons, plan.cold_runs, tmp)
    print(f"[{lessons}] ours", flush=True)
    ours_out = tmp / f"ours-{lessons}.json"
    _run(
        [
            "-m",
            "bench.measure_ours",
            "--path",
            str(graph),
            "--lessons",
            str(lessons),
            "--turns",
            str(plan.turns),
            "--other-turns",
            str(plan.other_turns),
            "--loads",
            str(plan.loads),
            "--out",
            str(ours_out),
        ],
        env,
    )
    print(f"[{lessons}] naive baseline", flush=True)
    naive_out = tmp / f"naive-{lessons}.json"
    _run(
        [
            "-m",
            "bench.measure_naive",
            "--path",
            str(graph),
            "--out",
            str(naive_out),
            "--turns",
            str(plan.naive_turns),
            "--min-turns",
            str(plan.naive_min_turns),
            "--budget",
            str(plan.naive_budget_s),
            "--loads",
            str(plan.loads),
        ],
        env,
    )
    return {
        "lessons": lessons,
        "cold": cold,
        "ours": json.loads(ours_out.read_text()),
        "naive": json.loads(naive_out.read_text()),
    }


# ------------------------------------------------------------------ reporting


def _ms(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def markdown(results: list[dict[str, Any]], quick: bool) -> str:
    """The results as markdown tables."""
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `python -m bench.run{' --quick' if quick else ''}` on "
        f"{time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs. Latencies in ms; p50/p99 over `n` turns per cell.",
        "",
        "## Cold start, load, change check, memory",
        "",
        "| lessons | edges | cold start ours (s) | import-only floor (s) | ratio | of which "
        "first turn (s) | load ours, compiled (s) | load ours, validating (s) | load naive (s) "
        "| change check p50 (ms) | peak RSS ours, serving (MB) | peak RSS naive (MB) | "
        "peak RSS after 1 cold turn (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c, o, n = r["cold"], r["ours"], r["naive"]
        lines.append(
            f"| {r['lessons']:,} | {o['edges']:,} | {c['ours_s']:.3f} | {c['floor_s']:.3f} | "
            f"{c['ratio']:.2f}x | {c['first_turn_s']:.3f} | {o['load_s']:.3f} | "
            f"{o['validate_load_s']:.3f} | "
            f"{n['load_s']:.3f} | {o['check_ms']['p50']:.3f} ({o['files']} files) | "
            f"{o['maxrss_mb']:.0f} | {n['maxrss_mb']:.0f} | {c['maxrss_mb']:.0f} |"
        )
    lines += [
        "",
        f"Cold-start medians of {', '.join(str(r['cold']['runs']) for r in results)} runs. "
        "Graphs are compiled as the publishing command does (`python -m knowledge_graph "
        "compile`), so a cold start loads the compiled file; *validating* is the load after "
        "an author edited a file since (full validation, networkx). Peak RSS *serving*: the "
        "process that loaded the graph once and ran every warm turn below (read before the "
        "repeated load timings).",
        "",
        "## Warm latency per turn (ms)",
        "",
        "| lessons | learner | intent | ours p50 | ours p99 | ours n | naive p50 | naive p99 "
        "| naive n | speed-up (p50) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for learner, cells in r["ours"]["turns"].items():
            for intent in INTENTS:
                o, n = cells[intent], r["naive"]["turns"][learner][intent]
                lines.append(
                    f"| {r['lessons']:,} | {learner} | {intent} | {_ms(o['p50'])} | "
                    f"{_ms(o['p99'])} | {o['n']} | {_ms(n['p50'])} | {_ms(n['p99'])} | "
                    f"{n['n']} | {n['p50'] / o['p50']:,.1f}x |"
                )
    pagerank = results[0]["naive"]["pagerank"] if results else "?"
    lines += [
        "",
        "Ours: the whole `lambda_function.lambda_handler` turn (event parsing, in-memory "
        "store, recommendation, response). Naive: only its recommend / complete / path "
        f"function (no Lex parsing or response), PageRank implementation: `{pagerank}`. "
        "Naive cells stop after the time budget of `bench/run.py` (`n` says how many turns "
        "ran), so their p99 is only indicative where `n` is small.",
        "",
    ]
    return "\n".join(lines)


def chart(results: list[dict[str, Any]], path: Path) -> None:
    """Log-log chart of RecommendNextLesson p50 against lessons, ours vs naive."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["lessons"] for r in results]
    fig, ax = plt.subplots(figsize=(8, 5))
    styles = {"0%": ":", "30%": "--", "90%": "-"}
    for learner, style in styles.items():
        for impl, colour in (("ours", "tab:blue"), ("naive", "tab:red")):
            values = [r[impl]["turns"][learner]["RecommendNextLesson"]["p50"] for r in results]
            ax.plot(
                sizes,
                values,
                style,
                color=colour,
                marker="o",
                label=f"{impl}, learner at {learner}",
            )
    ours_p99 = [
        max(c["RecommendNextLesson"]["p99"] for c in r["ours"]["turns"].values()) for r in results
    ]
    ax.plot(sizes, ours_p99, "-", color="tab:cyan", marker="^", label="ours, worst p99")
    targets = [(1_000, 1.0), (10_000, 5.0), (100_000, 50.0)]
    ax.scatter(*zip(*targets, strict=True), marker="_", s=400, color="black", label="p99 targets")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("lessons in the graph")
    ax.set_ylabel("RecommendNextLesson latency per turn (ms)")
    ax.set_title("Warm turn latency: lessonbot vs naive networkx + PageRank")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="lessonbot benchmark")
    parser.add_argument("--sizes", help="comma-separated lesson counts (default: all four)")
    parser.add_argument(
        "--quick", action="store_true", help="100 and 1,000 lessons, few turns (under a minute)"
    )
    parser.add_argument("--out-dir", help="default: bench/ (bench/.cache/quick with --quick)")
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    else:
        sizes = [100, 1_000] if args.quick else list(SIZES)
    out_dir = Path(args.out_dir or (BENCH_DIR / ".cache" / "quick" if args.quick else BENCH_DIR))
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lessonbot-bench-") as tmp:
        results = [measure_size(n, plan_for(n, args.quick), Path(tmp)) for n in sizes]
    (out_dir / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (out_dir / "results.md").write_text(markdown(results, args.quick), encoding="utf-8")
    chart(results, out_dir / "results.png")
    print(
        f"wrote {out_dir / 'results.md'} and results.png in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
