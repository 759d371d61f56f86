"""Replay recorded Lex turns through a handler and diff the responses (a developer tool).

Recordings are written by :class:`lex_bot.lexv2.recording.Recorder` (``LEX_RECORD_DIR``):
``<conversation>.jsonl`` files of ``{"event": ..., "response": ...}`` lines. Replaying runs each
recorded event through a handler and compares the response with the recorded one, returning
readable unified diffs for the turns that differ. ``python -m lex_bot replay DIR`` does this
from the command line.

Example:
    >>> from lex_bot.lesson_app.app import handle
    >>> results = replay_path("tests/recordings", handle)  # doctest: +SKIP
    >>> [r.diff for r in results if not r.ok]  # doctest: +SKIP
    []
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of replaying one recorded turn."""

    file: Path
    turn: int
    ok: bool
    diff: str = ""


def read_conversation(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(event, response)`` pairs from a ``.jsonl`` recording (or a single ``.json``)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        items = data if isinstance(data, list) else [data]
    else:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    for item in items:
        yield item["event"], item["response"]


def diff_responses(expected: Any, actual: Any, label: str = "") -> str:
    """A unified diff of two responses as pretty JSON ("" when equal)."""
    if expected == actual:
        return ""
    a = json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return "\n".join(
        difflib.unified_diff(a, b, f"recorded {label}", f"replayed {label}", lineterm="")
    )


def replay_file(path: Path, handler: Callable[[Any, Any], Any]) -> list[ReplayResult]:
    """Replay every turn of one recording through ``handler(event, context)``."""
    results = []
    for number, (event, expected) in enumerate(read_conversation(path), start=1):
        actual = handler(event, None)
        diff = diff_responses(expected, actual, f"{path.name} turn {number}")
        results.append(ReplayResult(path, number, not diff, diff))
    return results


def recording_files(path: str | os.PathLike[str]) -> list[Path]:
    """The recordings under ``path`` (a file, or every ``.jsonl``/``.json`` in a folder)."""
    root = Path(path)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in (".jsonl", ".json") and p.is_file())


def replay_path(
    path: str | os.PathLike[str], handler: Callable[[Any, Any], Any]
) -> list[ReplayResult]:
    """Replay every recording under ``path``; see :func:`replay_file`."""
    results: list[ReplayResult] = []
    for file in recording_files(path):
        results.extend(replay_file(file, handler))
    return results
