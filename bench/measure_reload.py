"""Reloads and the integrity checks' cost, in their own process: ``python -m bench.measure_reload``.

On a private copy of a compiled graph folder (course files and index, no publish manifest):

* **serving**: the loader's cold load from the index, then what a serving container does for
  the typical learner (recommendations, a learning path, lesson names found, the module
  list), then ``ru_maxrss`` (what the process holds while serving);
* **touch**: ``os.utime`` on one course file, then the ``GraphLoader.get()`` that notices it
  (one ``stat`` of every file, one read and hash of the touched one, no reload);
* **edit**: one course file edited (a title changed, alternately two ways so every reload
  has a real change), then the ``get()`` that reloads it: the changed file parsed and
  checked, spliced into the index, edges re-derived. The first edit also pays the lazy
  import of validation; both the first and the median of the others are reported. Settle
  time is set to 0 here: settling delays *when* a change is taken, not what it costs;
* **link edit**: the same file's links edited (one lesson also recommends the file's first
  lesson, then not again), then the ``get()`` that reloads it: every edge re-derived, and
  the line of any warning validation has found;
* peak ``ru_maxrss`` after the reloads, against serving (the peak so far, which includes
  the cold load's checks) and against the memory resident just before the first reload;
  the memory resident after the reloads;
* **cold after an edit**: a fresh loader on the edited folder (the index no longer matches
  one file): what a new container pays before anyone recompiles;
* **integrity**: ``open_index`` in full, and separately its digest verification and its
  structural checks;
* the peer's reload: ``NaiveRecommender.from_path`` (it reloads everything).

Writes one JSON object to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.process import peak_rss_mb, resident_mb


def measure(path: str, edits: int, touches: int) -> dict[str, Any]:
    """Every reload measurement on a copy of the folder at ``path``."""

    from bench.learners import learners
    from bench.naive_baseline import NaiveRecommender
    from knowledge_graph import GraphLoader
    from knowledge_graph.compiled import (
        ARRAYS_NAME,
        FORMAT,
        VERSION,
        current_version,
        open_index,
    )
    from knowledge_graph.mapped_arrays import map_version
    from knowledge_graph.tables import CompiledIndexError, check_tables

    with tempfile.TemporaryDirectory(prefix="lessonbot-reload-") as tmp:
        folder = Path(tmp) / "lessons"
        shutil.copytree(path, folder, ignore=shutil.ignore_patterns(".lessonbot-manifest.json"))
        loader = GraphLoader(folder, check_interval=0, settle_seconds=0)
        start = time.perf_counter()
        graph = loader.get()
        load_s = time.perf_counter() - start
        typical = learners(list(graph.index.ids))[1]
        for _ in range(20):  # what a serving container does: every intent's work
            graph.recommend(typical.mastery, k=3, goal=typical.goal)
            graph.path_to(typical.goal, typical.mastery)
        for lesson in list(typical.mastery)[:20]:
            graph.find(graph.lesson(lesson).title)
        graph.modules()
        serving_mb = peak_rss_mb()
        serving_now_mb = resident_mb()

        files = sorted(p for p in folder.iterdir() if p.suffix == ".json")
        target = files[len(files) // 2]
        original = target.read_text(encoding="utf-8")
        touch_ms = []
        for step in range(touches):
            os.utime(target, ns=(10**18 + step, 10**18 + step))
            start = time.perf_counter_ns()
            same = loader.get()
            touch_ms.append((time.perf_counter_ns() - start) / 1e6)
            if same is not graph:
                raise RuntimeError("a touch reloaded the graph")
            del same  # hold nothing but the served graph, as the bot does

        edit_s = []
        for step in range(edits):
            marker = f"Edited {step % 2} "
            target.write_text(original.replace('"title":"', f'"title":"{marker}', 1), "utf-8")
            start = time.perf_counter()
            new = loader.get()
            edit_s.append(time.perf_counter() - start)
            if new is graph or loader.status().via != "incremental":
                raise RuntimeError(f"the edit was not reloaded incrementally: {loader.status()}")
            graph = new
            del new
        # An edit of the links (one lesson recommends the file's first lesson, then not
        # again): the edges are re-derived, and validation may have a warning to place.
        linked = json.loads(original)
        first = linked["lessons"][0]["id"]
        edited = next(
            lesson
            for lesson in linked["lessons"][10:]
            if first not in (*lesson.get("recommends", ()), *lesson.get("requires", ()))
        )
        edited["recommends"] = [*edited.get("recommends", ()), first]
        link_s = []
        for step in range(edits):
            body = json.dumps(linked, separators=(",", ":")) if step % 2 == 0 else original
            target.write_text(body, "utf-8")
            start = time.perf_counter()
            new = loader.get()
            link_s.append(time.perf_counter() - start)
            if new is graph or loader.status().via != "incremental":
                raise RuntimeError(
                    f"the link edit was not reloaded incrementally: {loader.status()}"
                )
            graph = new
            del new
        reload_peak_mb = peak_rss_mb()
        after_reload_mb = resident_mb()

        start = time.perf_counter()
        fresh = GraphLoader(folder, check_interval=0, settle_seconds=0)
        fresh.get()
        cold_after_edit_s = time.perf_counter() - start
        if fresh.status().via != "incremental":
            raise RuntimeError(f"cold start after an edit: {fresh.status()}")
        del fresh

        version = current_version(folder)
        assert version is not None
        opens = []
        for _ in range(3):
            start = time.perf_counter()
            tables = open_index(version)
            opens.append(time.perf_counter() - start)
        mapped = map_version(version, FORMAT, VERSION, CompiledIndexError)
        digests, checks = [], []
        for _ in range(3):
            start = time.perf_counter()
            mapped.verify()
            digests.append(time.perf_counter() - start)
            start = time.perf_counter()
            check_tables(tables)
            checks.append(time.perf_counter() - start)
        index_mb = (version / ARRAYS_NAME).stat().st_size / 2**20

        start = time.perf_counter()
        NaiveRecommender.from_path(folder)
        naive_reload_s = time.perf_counter() - start
    return {
        "files": len(files),
        "edited_file_kb": len(original.encode()) / 1024,
        "load_s": load_s,
        "serving_mb": serving_mb,
        "touch_ms": statistics.median(touch_ms),
        "touch_max_ms": max(touch_ms),
        "edit_first_s": edit_s[0],
        "edit_s": statistics.median(edit_s[1:] or edit_s),
        "edits": edits,
        "link_edit_s": statistics.median(link_s),
        "reload_peak_mb": reload_peak_mb,
        "serving_now_mb": serving_now_mb,
        "after_reload_mb": after_reload_mb,
        "cold_after_edit_s": cold_after_edit_s,
        "open_index_s": statistics.median(opens),
        "digests_s": statistics.median(digests),
        "checks_s": statistics.median(checks),
        "index_mb": index_mb,
        "naive_reload_s": naive_reload_s,
    }


def main() -> None:
    """Command line: ``--path DIR --out FILE [--edits N --touches N]``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--path", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--touches", type=int, default=20)
    args = parser.parse_args()
    result = measure(args.path, args.edits, args.touches)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
