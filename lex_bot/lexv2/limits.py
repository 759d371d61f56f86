"""Lex V2 limits and the input bounds we apply to untrusted event content.

Response limits come from the ``lexv2-runtime`` service model (``Message``,
``ImageResponseCard``, ``Button``) and the Lex V2 developer guide; the test suite
checks every response against botocore's model, so a drift would fail there.

Example:
    >>> clean_text("hi\\x00 there", 100)
    'hi there'
"""

from __future__ import annotations

import json
import re
from typing import Any

MESSAGE_MAX_CHARS = 1024
MESSAGES_MAX = 10  # our own cap on messages per response; keeps payloads small for every channel
CARD_TITLE_MAX_CHARS = 250
CARD_SUBTITLE_MAX_CHARS = 250
CARD_IMAGE_URL_MAX_CHARS = 250
CARD_MAX_BUTTONS = 5
BUTTON_TEXT_MAX_CHARS = 50
BUTTON_VALUE_MAX_CHARS = 50
SLOT_NAME_MAX_CHARS = 100
# Lex V1's quota page (https://docs.aws.amazon.com/lex/latest/dg/gl-limits.html, "Runtime
# Service Quotas") documents the Lambda function's input as at most 12 KB and its output as at
# most 25 KB, of which 12 KB may be session attributes; the Lex V2 quota page
# (https://docs.aws.amazon.com/lexv2/latest/dg/quotas.html) documents no figure for them, so we
# keep V1's as our budgets. They are sizes in bytes, so we measure bytes: the UTF-8 encoding of
# the JSON text with non-ASCII characters written as themselves (``json_utf8_bytes``), where
# "é" costs 2 bytes and an emoji 4, as on the wire -- not ``json.dumps``'s ASCII-only escapes
# ("\u00e9" is 6 characters, an emoji's surrogate pair 12), which would count a value Lex
# accepted as two to three times its size. 25,000 and 12,000 stay below 25 KB and 12 KB
# (25,600 and 12,288 bytes). A client's map that Lex accepted came in a Lambda input of at most
# 12 KB, so it is within the session-attributes budget too.
RESPONSE_BUDGET_BYTES = 25_000
SESSION_ATTRIBUTES_BUDGET_BYTES = 12_000
INTENT_NAME_MAX_CHARS = 100

# Bounds on what we accept from an event. Lex itself caps text input at 1024 characters,
# so anything longer did not come from a real Lex turn; we keep the head and say so in the log.
MAX_TRANSCRIPT_CHARS = 1024
MAX_SLOT_VALUE_CHARS = 200
MAX_SESSION_ATTRIBUTE_CHARS = 2048
MAX_SESSION_ATTRIBUTES = 50

ELLIPSIS = "…"

# Bidirectional embedding/override/isolate controls: they can disguise text in logs and UIs.
# Right-to-left scripts themselves are kept; only these invisible controls are dropped.
# Removed by clean_text: control characters (Unicode category Cc) except tab, newline and
# carriage return; lone surrogates (Cs); and those bidi controls. One regex pass, no
# per-character Python work.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)


def clean_text(text: str, max_chars: int) -> str:
    """Remove NUL, control and bidi-override characters (not whitespace) and cap the length.

    Parameters:
        text: untrusted text from an event.
        max_chars: the longest result allowed.
    Returns:
        The text without control characters, at most ``max_chars`` long.
    Example:
        >>> clean_text("a\\tb\\x07c", 10)
        'a\\tbc'
    """
    if len(text) > max_chars * 4:  # do not scan megabytes to keep a few hundred characters
        text = text[: max_chars * 4]
    return _UNWANTED.sub("", text)[:max_chars]


def shorten(text: str, max_chars: int) -> str:
    """Cut ``text`` to ``max_chars`` at a word boundary, marking the cut with an ellipsis.

    Example:
        >>> shorten("Introduction to recursion", 15)
        'Introduction…'
    """
    if len(text) <= max_chars:
        return text
    head = text[: max_chars - len(ELLIPSIS)]
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    if len(cut) < max_chars // 2:
        cut = head
    return cut.rstrip(" ,;:.") + ELLIPSIS


def split_text(text: str, max_chars: int = MESSAGE_MAX_CHARS) -> list[str]:
    """Split ``text`` into chunks of at most ``max_chars``, at paragraph, line or sentence ends.

    Returns:
        Non-empty chunks that together hold all of the text's words.
    Example:
        >>> split_text("One. Two.", 5)
        ['One.', 'Two.']
    """
    text = text.strip()
    chunks: list[str] = []
    while len(text) > max_chars:
        window = text[:max_chars]
        cut = -1
        for sep in ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " "):
            pos = window.rfind(sep)
            if pos > 0:
                cut = pos + (1 if sep.strip() else 0)
                break
        if cut <= 0:
            cut = max_chars
        chunks.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        chunks.append(text)
    return [c for c in chunks if c]


_SURROGATE = re.compile("[\ud800-\udfff]")
#: What a lone surrogate becomes: U+FFFD REPLACEMENT CHARACTER, Unicode's own stand-in for
#: a code point that cannot be represented (The Unicode Standard, section 3.9, "U+FFFD
#: Substitution of Maximal Subparts").
REPLACEMENT_CHARACTER = "\ufffd"


def valid_unicode(value: Any) -> tuple[Any, int]:
    """``value`` with every surrogate code point in its strings (keys too) replaced.

    ``json.loads`` accepts ``"\\ud800"`` and gives a ``str`` no UTF-8 encoder accepts, so
    an event holding one would break every log line, recording or terminal it reaches.
    Returns the cleaned value (``value`` itself when it holds none; otherwise a copy) and
    how many were replaced. Nesting of any depth is walked without recursion.

    Example:
        >>> valid_unicode({"name": "a\\ud800b"}) == ({"name": "a\\ufffdb"}, 1)
        True
    """
    if isinstance(value, str):
        found = len(_SURROGATE.findall(value))
        return (_SURROGATE.sub(REPLACEMENT_CHARACTER, value) if found else value), found
    if not isinstance(value, dict | list):
        return value, 0
    try:  # the common case, at C speed: nothing to replace
        if not _SURROGATE.search(json.dumps(value, ensure_ascii=False)):
            return value, 0
    except (TypeError, ValueError, RecursionError):
        pass
    count = 0

    def fix(item: Any) -> Any:
        nonlocal count
        if isinstance(item, str):
            cleaned, found = valid_unicode(item)
            count += found
            return cleaned
        return item

    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            if isinstance(item, dict | list):
                copy: Any = {} if isinstance(item, dict) else []
                stack.append((item, copy))
                item = copy
            else:
                item = fix(item)
            if isinstance(target, dict):
                target[fix(key)] = item
            else:
                target.append(item)
    return root, count


def json_utf8_bytes(value: Any) -> int:
    """Bytes of ``value`` as JSON text encoded in UTF-8: the measure of the size budgets.

    Non-ASCII characters count their UTF-8 bytes (2 for "é", 3 for most CJK, 4 for an emoji);
    a lone surrogate, which JSON can only carry escaped, counts the 6 bytes of its escape. The
    separators are ``json.dumps``'s defaults (", " and ": "), the widest an encoder writes.

    Raises:
        TypeError, ValueError: ``value`` is not JSON-serialisable.

    Example:
        >>> json_utf8_bytes({"a": "é"}), len(json.dumps({"a": "é"}))
        (11, 15)
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return len(text.encode("utf-8", "backslashreplace"))
