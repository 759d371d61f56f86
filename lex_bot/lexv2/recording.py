"""Record Lex turns as replayable fixtures (replay lives in ``lex_bot.devtools.replay``).

Set ``LEX_RECORD_DIR`` and every answered event is appended, with its response,
to ``<dir>/<conversation>.jsonl`` (one JSON object per line: ``{"event": ..., "response": ...}``),
one file per Lex ``sessionId``, so a conversation's turns replay in order with the session
state Lex carried between them. ``LEX_RECORD_REDACT`` chooses what is masked, in the event
*and* in the response (which echoes the slots, and whose messages may quote the learner):

* ``transcripts`` (default): ``inputTranscript`` and speech transcriptions;
* ``all``: transcripts and every slot's ``originalValue`` too (interpreted values are kept,
  since handlers act on them and the replay must stay meaningful);
* ``none``: nothing (only for fixtures you are allowed to keep verbatim).

In the response, the same fields are masked, and any text of the response that quotes a
masked value (of at least :data:`MIN_QUOTED_CHARS` characters) has it replaced too.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

REDACTED = "<redacted>"
#: Masked values shorter than this are not searched for inside the response's texts ("yes"
#: is no secret, and replacing it would garble the bot's own words).
MIN_QUOTED_CHARS = 4
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


def _redact_original_values(node: Any, found: list[str] | None = None) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if key == "originalValue" and isinstance(value, str):
                    if found is not None and value != REDACTED:
                        found.append(value)
                    current[key] = REDACTED
                else:
                    stack.append(value)
        elif isinstance(current, list):
            stack.extend(current)


def _masked_values(event: Any, mode: str) -> list[str]:
    """The learner's words that ``mode`` masks in ``event`` (longest first)."""
    values: list[str] = []
    if mode == RedactMode.NONE or not isinstance(event, dict):
        return values
    if isinstance(event.get("inputTranscript"), str):
        values.append(event["inputTranscript"])
    for item in event.get("transcriptions") or []:
        if isinstance(item, dict) and isinstance(item.get("transcription"), str):
            values.append(item["transcription"])
    if mode == RedactMode.ALL:
        _redact_original_values(json.loads(json.dumps(event)), values)
    return sorted({v for v in values if len(v) >= MIN_QUOTED_CHARS}, key=len, reverse=True)


def redact_response(
    response: dict[str, Any], event: Any, mode: str = RedactMode.TRANSCRIPTS
) -> dict[str, Any]:
    """A copy of ``response`` with what ``mode`` masks in ``event`` masked here too.

    Example:
        >>> event = {"inputTranscript": "tell me about my secret"}
        >>> redact_response({"messages": [{"content": "About my secret: ..."}]},
        ...                 {**event, "sessionState": {"intent": {"slots": {"L": {"value": {
        ...                     "originalValue": "my secret"}}}}}}, RedactMode.ALL)
        {'messages': [{'content': 'About <redacted>: ...'}]}
    """
    copy = json.loads(json.dumps(response))
    if mode == RedactMode.NONE:
        return copy
    if mode == RedactMode.ALL:
        _redact_original_values(copy)
    masked = _masked_values(event, mode)
    if not masked:
        return copy
    stack: list[Any] = [copy]
    while stack:
        current = stack.pop()
        pairs = current.items() if isinstance(current, dict) else enumerate(current)
        for key, value in list(pairs):
            if isinstance(value, dict | list):
                stack.append(value)
            elif isinstance(value, str):
                for secret in masked:
                    if secret in value:
                        value = value.replace(secret, REDACTED)
                current[key] = value
    return copy


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
        try:
            record = {
                "event": redact_event(event, self.mode),
                "response": redact_response(response, event, self.mode),
            }
            line = json.dumps(record, ensure_ascii=False, sort_keys=True)
        except (RecursionError, ValueError, TypeError) as exc:  # nested deeper than json goes
            record = {"event": {"sessionId": path.stem, "unrecordable": type(exc).__name__}}
            line = json.dumps(record, ensure_ascii=False, sort_keys=True)
        with _lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            # The router hands over events with valid Unicode; should a lone surrogate get
            # here anyway, it is written escaped rather than losing the turn.
            with path.open("a", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(line + "\n")
