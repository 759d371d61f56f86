"""Record Lex turns as replayable fixtures (replay lives in ``lex_bot.devtools.replay``).

Set ``LEX_RECORD_DIR`` and every answered event is appended, with its response,
to ``<dir>/<conversation>.jsonl`` (one JSON object per line: ``{"event": ..., "response": ...}``),
one file per Lex ``sessionId``, so a conversation's turns replay in order with the session
state Lex carried between them. ``LEX_RECORD_REDACT`` chooses what is masked:

* ``transcripts`` (default): ``inputTranscript`` and speech transcriptions;
* ``all``: transcripts and every slot's ``originalValue`` too (interpreted values are kept,
  since handlers act on them and the replay must stay meaningful);
* ``none``: nothing (only for fixtures you are allowed to keep verbatim).
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

REDACTED = "<redacted>"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_lock = threading.Lock()


class RedactMode:
    NONE = "none"
    TRANSCRIPTS = "transcripts"
    ALL = "all"


def redact_event(event: dict[str, Any], mode: str = RedactMode.TRANSCRIPTS) -> dict[str, Any]:
    """A copy of ``event`` with transcripts (and, for ``all``, slot original values) masked."""
    if mode == RedactMode.NONE:
        return json.loads(json.dumps(event))
    copy = json.loads(json.dumps(event))
    if isinstance(copy.get("inputTranscript"), str) and copy["inputTranscript"]:
        copy["inputTranscript"] = REDACTED
    for item in copy.get("transcriptions") or []:
        if isinstance(item, dict) and item.get("transcription"):
            item["transcription"] = REDACTED
    if mode == RedactMode.ALL:
        _redact_original_values(copy)
    return copy


def _redact_original_values(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "originalValue" and isinstance(value, str):
                node[key] = REDACTED
            else:
                _redact_original_values(value)
    elif isinstance(node, list):
        for item in node:
            _redact_original_values(item)


def conversation_file(directory: Path, session_id: str) -> Path:
    """Where turns of ``session_id`` are recorded (a filesystem-safe name)."""
    name = _SAFE_NAME.sub("_", session_id)[:100].strip("._") or "conversation"
    return directory / f"{name}.jsonl"


class Recorder:
    """A router observer appending each ``(event, response)`` pair to its conversation file."""

    def __init__(self, directory: str | os.PathLike[str], mode: str = RedactMode.TRANSCRIPTS):
        self.directory = Path(directory)
        self.mode = mode

    @classmethod
    def from_env(cls) -> Recorder | None:
        """A recorder when ``LEX_RECORD_DIR`` is set, else ``None``."""
        directory = os.environ.get("LEX_RECORD_DIR")
        if not directory:
            return None
        mode = os.environ.get("LEX_RECORD_REDACT", RedactMode.TRANSCRIPTS).strip().lower()
        if mode not in (RedactMode.NONE, RedactMode.TRANSCRIPTS, RedactMode.ALL):
            mode = RedactMode.TRANSCRIPTS
        return cls(directory, mode)

    def __call__(self, event: Any, response: dict[str, Any]) -> None:
        if not isinstance(event, dict):
            return
        session_id = event.get("sessionId")
        path = conversation_file(self.directory, session_id if isinstance(session_id, str) else "")
        line = json.dumps(
            {"event": redact_event(event, self.mode), "response": response},
            ensure_ascii=False,
            sort_keys=True,
        )
        with _lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
