"""Realistic lesson graphs in the authoring format (``knowledge_graph/FORMAT.md``), by seed.

A graph of ``n`` lessons is a folder of JSON course files (JSON loads faster than YAML) of
at most :data:`COURSE_SIZE` lessons each. Within a course, lessons come in modules of 15-40
lessons with rising difficulty. Every lesson but the first of the first course has 1-4 hard
``requires`` (mostly the lessons just before it, some weighted), and 0-2 ``recommends``,
0-2 ``related`` links to earlier lessons; most lessons name the following lesson as
``next``; the first lesson of each later course requires a lesson of the previous course.
All links point backwards in load order, so the graph has no cycles and every lesson is
reachable from the first lesson.

Usage::

    python -m bench.generate_graph 100 1000 10000 100000   # prints the folders

Example
-------
>>> docs = generate_courses(100, seed=1)
>>> len(docs), len(docs[0]["lessons"])
(1, 100)
>>> docs == generate_courses(100, seed=1)
True
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any, Final

#: Lessons per course file (the format allows up to 5,000).
COURSE_SIZE: Final[int] = 2_000
#: The graph sizes of the benchmark.
SIZES: Final[tuple[int, ...]] = (100, 1_000, 10_000, 100_000)
DEFAULT_SEED: Final[int] = 7
#: Bump when the generator's output changes, so cached graphs are rebuilt.
GENERATOR_VERSION: Final[int] = 3
CACHE_DIR: Final[Path] = Path(__file__).resolve().parent / ".cache"
_DONE_MARKER: Final[str] = ".complete"

#: How many hard ``requires`` a lesson gets (1-4), and how often.
REQUIRES_COUNTS: Final[tuple[int, ...]] = (1, 2, 3, 4)
REQUIRES_FREQUENCIES: Final[tuple[int, ...]] = (45, 30, 15, 10)

_TOPICS = (
    "variables",
    "types",
    "strings",
    "lists",
    "loops",
    "functions",
    "classes",
    "modules",
    "errors",
    "files",
    "testing",
    "iterators",
    "generators",
    "decorators",
    "closures",
    "recursion",
    "sorting",
    "searching",
    "graphs",
    "trees",
    "queues",
    "stacks",
    "hashing",
    "regex",
    "networking",
    "threads",
    "async",
    "databases",
    "parsing",
    "logging",
)
_ADJECTIVES = (
    "basic",
    "practical",
    "advanced",
    "applied",
    "intro",
    "deep",
    "hands-on",
    "guided",
    "core",
    "modern",
    "idiomatic",
    "efficient",
    "safe",
    "clean",
    "robust",
    "quick",
)
_NOUNS = (
    "patterns",
    "exercises",
    "concepts",
    "techniques",
    "tools",
    "workshop",
    "recipes",
    "projects",
    "review",
    "drills",
    "walkthrough",
    "primer",
    "lab",
    "essentials",
)
_TAGS = ("core", "practice", "theory", "project", "quiz", "video", "reading", "advanced")
_MINUTES = (5, 10, 15, 20, 25, 30, 45)


def course_id(c: int) -> str:
    """The id of course number ``c`` (``course-000``...)."""
    return f"course-{c:03d}"


def lesson_key(g: int) -> str:
    """The bare id of the lesson with global number ``g``; unique across courses."""
    return f"l{g:06d}"


def _reference(rng: random.Random, ref: str, weighted_share: float, low: float) -> Any:
    """A bare reference, or (with probability ``weighted_share``) a weighted one."""
    if rng.random() < weighted_share:
        return {"id": ref, "weight": round(rng.uniform(low, 1.0), 2)}
    return ref


def _earlier(
    rng: random.Random, j: int, count: int, mean_gap: float, exclude: set[int]
) -> list[int]:
    """Up to ``count`` distinct positions before ``j``, mostly close to it."""
    chosen: list[int] = []
    for _ in range(count * 4):
        if len(chosen) == count:
            break
        gap = 1 + int(rng.expovariate(1.0 / mean_gap))
        p = j - gap
        if p >= 0 and p not in exclude and p not in chosen:
            chosen.append(p)
    for p in range(j - 1, -1, -1):  # too few far picks: fill up with the closest lessons
        if len(chosen) >= count:
            break
        if p not in exclude and p not in chosen:
            chosen.append(p)
    return chosen


def _module_sizes(rng: random.Random, m: int) -> list[int]:
    """Split ``m`` lessons into modules of 15-40 lessons (the last one may be smaller)."""
    sizes: list[int] = []
    while sum(sizes) < m:
        sizes.append(min(rng.randint(15, 40), m - sum(sizes)))
    return sizes


def _course(c: int, first: int, m: int, seed: int) -> dict[str, Any]:
    """Course number ``c`` holding the global lessons ``first .. first + m - 1``."""
    rng = random.Random(f"{seed}:{c}")
    cid = course_id(c)
    modules: list[tuple[str, int]] = []  # (name, position of the module's first lesson)
    start = 0
    for k, size in enumerate(_module_sizes(rng, m)):
        modules.append((f"{rng.choice(_TOPICS).title()} {c + 1}.{k + 1}", start))
        start += size
    module_of = []
    for k, (name, begin) in enumerate(modules):
        end = modules[k + 1][1] if k + 1 < len(modules) else m
        module_of += [(name, begin, end)] * (end - begin)

    lessons = []
    for j in range(m):
        g = first + j
        name, _, module_end = module_of[j]
        topic = rng.choice(_TOPICS)
        lesson: dict[str, Any] = {
            "id": lesson_key(g),
            "title": f"{rng.choice(_ADJECTIVES).title()} {topic.title()} {rng.choice(_NOUNS)} {g}",
            "summary": f"Lesson {g} of {cid}: {topic} {rng.choice(_NOUNS)}.",
            "module": name,
            "difficulty": max(1, min(5, 1 + (5 * j) // m + rng.choice((-1, 0, 0, 1)))),
            "minutes": rng.choice(_MINUTES),
        }
        aliases = [f"{topic} {g}", f"{topic} part {g}"][: rng.choice((0, 1, 1, 2))]
        if aliases:
            lesson["aliases"] = aliases
        tags = rng.sample(_TAGS, rng.choice((0, 1, 2)))
        if tags:
            lesson["tags"] = tags
        if rng.random() < 0.5:
            lesson["url"] = f"https://example.org/{cid}/{lesson_key(g)}"

        requires: list[Any] = []
        taken: set[int] = set()  # positions already linked from this lesson
        if j == 0 and c > 0:  # a later course builds on the end of the previous one
            prev = first - 1 - rng.randrange(min(50, first))
            requires.append(f"{course_id(c - 1)}/{lesson_key(prev)}")
        elif j > 0:
            count = rng.choices(REQUIRES_COUNTS, REQUIRES_FREQUENCIES)[0]
            taken = set(_earlier(rng, j, min(count, j), 6.0, set()))
            requires = [_reference(rng, lesson_key(first + p), 0.3, 0.5) for p in sorted(taken)]
        if j > 1:
            soft = _earlier(rng, j, rng.choice((0, 0, 1, 1, 2)), 30.0, taken)
            if soft:
                lesson["recommends"] = [
                    _reference(rng, lesson_key(first + p), 0.6, 0.2) for p in soft
                ]
            taken |= set(soft)
            near = _earlier(rng, j, rng.choice((0, 0, 1, 1, 2)), 12.0, taken)
            if near:
                lesson["related"] = [_reference(rng, lesson_key(first + p), 0.5, 0.2) for p in near]
        if requires:
            lesson["requires"] = requires
        # the author's path: on through the module, and usually on to the next module
        chance = 0.85 if j + 1 < module_end else 0.7 if j + 1 < m else 0.0
        if rng.random() < chance:
            lesson["next"] = [lesson_key(g + 1)]
        lessons.append(lesson)
    return {
        "course": {
            "id": cid,
            "title": f"Generated Course {c + 1}",
            "description": f"Benchmark course {c + 1} ({m} lessons, seed {seed}).",
        },
        "lessons": lessons,
    }


def generate_courses(lessons: int, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Return the course documents of a graph of ``lessons`` lessons (deterministic by seed).

    Parameters
    ----------
    lessons : int
        Total number of lessons (at least 1).
    seed : int
        Same seed and size, same documents.

    Returns
    -------
    list of dict
        One course document per :data:`COURSE_SIZE` lessons, in load order.

    Example
    -------
    >>> [len(d["lessons"]) for d in generate_courses(4_500)]
    [2000, 2000, 500]
    """
    if lessons < 1:
        raise ValueError("a graph needs at least one lesson")
    docs = []
    for c, first in enumerate(range(0, lessons, COURSE_SIZE)):
        docs.append(_course(c, first, min(COURSE_SIZE, lessons - first), seed))
    return docs


def graph_dir(lessons: int, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR) -> Path:
    """The folder where the graph of ``lessons`` lessons and ``seed`` is cached."""
    return cache_dir / f"lessons-{lessons}-seed{seed}-v{GENERATOR_VERSION}"


def write_graph(lessons: int, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR) -> Path:
    """Generate the graph into the cache (once) and return its folder of JSON course files.

    The folder is written under a temporary name and renamed when complete, so an
    interrupted run never leaves a half-written graph behind.

    Example
    -------
    >>> folder = write_graph(100)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.glob("*.json"))  # doctest: +SKIP
    ['course-000.json']
    """
    target = graph_dir(lessons, seed, cache_dir)
    if (target / _DONE_MARKER).exists():
        from knowledge_graph.compiled import current_version, open_index, write_compiled
        from knowledge_graph.tables import CompiledIndexError

        version = current_version(target)
        try:
            if version is not None:
                open_index(version)
        except CompiledIndexError:  # written by an older index format: compile it again
            version = None
        if version is None:  # cached before the compiled index existed, or stale
            write_compiled(target)
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache_dir))
    try:
        for doc in generate_courses(lessons, seed):
            path = staging / f"{doc['course']['id']}.json"
            path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
        # Published graphs are compiled (``python -m knowledge_graph compile``, run by the
        # publishing command); do the same so the bot cold-starts as deployed.
        from knowledge_graph.compiled import write_compiled

        write_compiled(staging)
        (staging / _DONE_MARKER).write_text("ok\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def published_graph(lessons: int, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE_DIR) -> Path:
    """A copy of the graph as ``make publish-graph`` leaves it: course files, compiled index
    and, written last, the publish manifest naming the index (cached like the graph)."""
    from knowledge_graph.compiled import (
        MANIFEST_NAME,
        current_version,
        read_manifest,
        write_manifest,
    )

    source = write_graph(lessons, seed, cache_dir)
    version = current_version(source)
    assert version is not None
    target = source.parent / f"{source.name}-published"
    manifest = read_manifest(target) if (target / MANIFEST_NAME).exists() else None
    if manifest is not None and manifest["index"] == version.name:
        return target
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache_dir))
    try:
        for path in source.iterdir():
            if path.suffix == ".json":
                shutil.copy2(path, staging / path.name)
        shutil.copytree(version, staging / version.relative_to(source))
        (staging / version.parent.relative_to(source) / "CURRENT").write_text(version.name + "\n")
        write_manifest(staging, staging / version.relative_to(source))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> None:
    """Command line: generate the given sizes and print their folders."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    for n in args.sizes:
        print(write_graph(n, args.seed))


if __name__ == "__main__":
    main()
