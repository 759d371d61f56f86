"""Measure what the packages' bytecode saves at a cold start (the figures in docs/DEPLOY.md).

``python -m deploy.measure_cold_start build/function.zip build/layer.zip [--runs 15]``

The zips must be for this machine's architecture (``make package ARCH=x86_64`` on x86_64).
Both are unpacked twice, as Lambda does (function in a task folder, layer under an ``opt``
folder whose ``python/`` is on the path): once as built, once without any ``__pycache__``
(what the zips held before they carried bytecode). A fresh CPython of the runtime's version
then cold-starts the bot in each, interleaved, ``--runs`` times: ``-I -S -B`` (only the
unpacked code importable; ``-B`` writes no bytecode, as on Lambda's read-only file system,
so the folder without bytecode compiles every imported module at every start). Each start
imports ``lambda_function`` with ``AWS_LAMBDA_FUNCTION_NAME`` set (so Powertools Tracer and
the X-Ray SDK load, as on Lambda), answers one RecommendNextLesson event for a new learner
(``PROGRESS_STORE=memory://``; the graph is read from ``--graph``), and creates the progress
store's DynamoDB client (which loads boto3's service model, as a first turn on Lambda does).
Each is also run stopping after the import, which on Lambda is the Init phase (limited to
10 s on its own, outside the function's timeout: Lambda Developer Guide, "Understanding the
Lambda execution environment lifecycle",
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html); the rest is
the first invocation, which the function's timeout covers. It prints the median user+sys CPU
seconds of each and the zips' sizes with and without bytecode.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path

from deploy.artefacts import ZipEntry, require_target_python, write_deterministic_zip
from deploy.package import DEFAULT_PYTHON_VERSION, REPO_ROOT

_COLD_START = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import lambda_function
if sys.argv[4] == "import":
    raise SystemExit(0)
from lex_bot.lesson_app.progress_store.dynamodb import make_client
with open(sys.argv[3], encoding="utf-8") as handle:
    event = json.load(handle)
response = lambda_function.lambda_handler(event, None)
assert response["sessionState"]["dialogAction"]["type"] == "Close", response
make_client("us-east-1")
"""


def _unpack(archive: Path, into: Path, *, bytecode: bool) -> None:
    with zipfile.ZipFile(archive) as handle:
        for name in handle.namelist():
            if bytecode or "/__pycache__/" not in f"/{name}":
                handle.extract(name, into)


def _cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _without_bytecode_size(archive: Path, scratch: Path) -> tuple[int, int]:
    """Zipped and unzipped bytes of ``archive`` less its ``__pycache__`` entries."""
    unpacked = scratch / f"sizes-{archive.stem}"
    _unpack(archive, unpacked, bytecode=False)
    entries = [
        ZipEntry(path.relative_to(unpacked).as_posix(), path)
        for path in unpacked.rglob("*")
        if path.is_file()
    ]
    stats = write_deterministic_zip(entries, scratch / f"{archive.stem}-no-pyc.zip")
    shutil.rmtree(unpacked)
    return stats.zipped_bytes, stats.unzipped_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.measure_cold_start")
    parser.add_argument("function_zip", type=Path)
    parser.add_argument("layer_zip", type=Path)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--graph", type=Path, default=REPO_ROOT / "data" / "lessons")
    args = parser.parse_args(argv)
    interpreter = require_target_python(DEFAULT_PYTHON_VERSION)
    from bench.events import recommend_event

    with tempfile.TemporaryDirectory(prefix="lessonbot-cold-") as tmp:
        scratch = Path(tmp)
        event = scratch / "event.json"
        event.write_text(json.dumps(recommend_event("cold-start-learner")), encoding="utf-8")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "lessonbot-measure",
            "LESSON_GRAPH_PATH": str(args.graph.resolve()),
            "PROGRESS_STORE": "memory://",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "LOG_LEVEL": "ERROR",
        }
        commands = {}
        for label, bytecode in (("with bytecode", True), ("without bytecode", False)):
            task, opt = scratch / label / "task", scratch / label / "opt"
            _unpack(args.function_zip, task, bytecode=bytecode)
            _unpack(args.layer_zip, opt, bytecode=bytecode)
            for part in ("import", "cold start"):
                commands[f"{label}, {part}"] = [
                    interpreter,
                    *("-I", "-S", "-B", "-c", _COLD_START),
                    *(str(task), str(opt / "python"), str(event), part),
                ]
        samples: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(args.runs):
            for label, command in commands.items():
                samples[label].append(_cpu_seconds(command, env))
        for label, values in samples.items():
            print(
                f"{label}: median {statistics.median(values):.3f} s CPU (user+sys), "
                f"min {min(values):.3f}, max {max(values):.3f}, {args.runs} runs"
            )
        for archive in (args.function_zip, args.layer_zip):
            zipped, unzipped = _without_bytecode_size(archive, scratch)
            print(
                f"{archive.name}: {archive.stat().st_size:,} bytes zipped with bytecode, "
                f"{zipped:,} without; unzipped {_unzipped(archive):,} with, {unzipped:,} without"
            )
    return 0


def _unzipped(archive: Path) -> int:
    with zipfile.ZipFile(archive) as handle:
        return sum(info.file_size for info in handle.infolist())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
