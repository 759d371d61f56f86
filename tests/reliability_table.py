"""Build ``docs/RELIABILITY.md`` from the ``@pytest.mark.reliability`` marks of the tests.

Each reliability test carries one mark with ``area``, ``tried``, ``scale`` and ``outcome``;
the table lists them, so the document can only claim what a test in the suite checks.
``tests/test_reliability_doc.py`` fails when the committed document differs from the table
built here; ``make reliability-doc`` (``python tests/reliability_table.py --write``)
rewrites it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DOCUMENT = ROOT / "docs" / "RELIABILITY.md"
AREAS = (
    "Fuzzing",
    "Hostile input",
    "DynamoDB faults",
    "SQLite faults",
    "Duplicate delivery",
    "Lesson graph faults",
    "Concurrency",
    "Identity",
    "Logging",
    "Privacy",
    "Least privilege",
    "Packaging",
)

HEADER = """# Reliability: what the test suite shows the bot survives

Generated from the `@pytest.mark.reliability` marks of the tests by
`python tests/reliability_table.py --write` (`make reliability-doc`); `make test` fails if this
file and the tests disagree. Every row is a test that runs in CI on each change, so every
outcome below held on the last green build. Faults are injected below boto3's retry logic
(botocore's standard retry mode really retries, with its exponential backoff recorded), and
every response is also checked against Lex's contract.
"""


@dataclass(frozen=True)
class Row:
    """One reliability claim and the test that checks it."""

    area: str
    tried: str
    scale: str
    outcome: str
    test: str


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def collect_rows() -> list[Row]:
    """Every reliability mark of ``tests/test_*.py``, ordered by area then test."""
    for path in (str(ROOT), str(TESTS)):
        if path not in sys.path:
            sys.path.insert(0, path)
    rows = []
    for path in sorted(TESTS.rglob("test_*.py")):
        if "mark.reliability" not in path.read_text(encoding="utf-8"):
            continue
        # Loaded by file path: test folders mirror package names (tests/lex_bot/...), so a
        # dotted import would find the package, not the test module.
        module_name = "reliability_" + "_".join(path.relative_to(TESTS).with_suffix("").parts)
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, function in vars(module).items():
            marks = getattr(function, "pytestmark", [])
            for mark in marks:
                if mark.name != "reliability":
                    continue
                area = mark.kwargs["area"]
                if area not in AREAS:
                    raise ValueError(f"{path.name}::{name}: unknown area {area!r} (see AREAS)")
                test = f"`{path.relative_to(ROOT).as_posix()}::{name}`"
                rows.append(
                    Row(
                        area,
                        mark.kwargs["tried"],
                        mark.kwargs["scale"],
                        mark.kwargs["outcome"],
                        test,
                    )
                )
    return sorted(rows, key=lambda row: (AREAS.index(row.area), row.test))


def render(rows: list[Row]) -> str:
    """The markdown document for ``rows``."""
    lines = [HEADER]
    for area in AREAS:
        selected = [row for row in rows if row.area == area]
        if not selected:
            continue
        lines += [
            f"\n## {area}\n",
            "| Input or fault tried | Scale | Result | Test |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {_cell(r.tried)} | {_cell(r.scale)} | {_cell(r.outcome)} | {r.test} |"
            for r in selected
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the document, or with ``--write`` rewrite ``docs/RELIABILITY.md``."""
    args = sys.argv[1:] if argv is None else argv
    text = render(collect_rows())
    if "--write" in args:
        DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
