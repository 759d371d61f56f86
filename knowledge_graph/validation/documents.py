"""Reading course documents: YAML or JSON text into plain data, with line numbers.

:func:`parse_document` decodes one :class:`~knowledge_graph.sources.RawDocument`, parses it
safely (YAML ``SafeLoader`` only, aliases bounded by :data:`MAX_YAML_NODES`) and records the
line of every mapping key and list item in the file's :class:`FileContext`, so that later
checks can name the line of a problem. Syntax problems become ``parse-error`` issues; nothing
here raises for bad content.

Example
-------
>>> from knowledge_graph.sources import RawDocument
>>> ctx = FileContext("c.yaml", {}, [])
>>> parse_document(RawDocument.from_text("c.yaml", "course:\\n  id: c\\n"), ctx)
{'course': {'id': 'c'}}
>>> ctx.lines[("course", "id")]
2
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from json.decoder import scanstring
from typing import TYPE_CHECKING, Any

from knowledge_graph.builder import DocPath
from knowledge_graph.file_format import MAX_FILE_BYTES
from knowledge_graph.validation.issues import FileContext, Severity

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph.sources import RawDocument

#: Upper bound of YAML nodes visited (aliases expanded) before a file is rejected.
MAX_YAML_NODES = 1_000_000


#: YAML tag of a plain text scalar; the source text of other scalars is kept for messages.
_STR_TAG = "tag:yaml.org,2002:str"


def _lesson_of(node: Any) -> str | None:
    """The ``id`` written in a lesson's mapping node (None when it has no plain id)."""
    import yaml

    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == "id" and isinstance(value_node, yaml.ScalarNode):
            return str(value_node.value)
    return None


def _index_yaml(root: Any, ctx: FileContext) -> None:
    """Record the line and column of every mapping key and sequence item; flag duplicate keys.

    A duplicate key inside a lesson is reported with that lesson's id and the lesson field it
    belongs to. Raises ValueError when the document expands to more than
    :data:`MAX_YAML_NODES` nodes.
    """
    import yaml

    stack: list[tuple[Any, DocPath]] = [(root, ())]
    visited = 0
    lesson_ids: dict[int, str | None] = {}
    while stack:
        node, path = stack.pop()
        visited += 1
        if visited > MAX_YAML_NODES:
            raise ValueError("document too large or too deeply aliased")
        if isinstance(node, yaml.ScalarNode):
            if node.tag != _STR_TAG and path:
                ctx.scalars.setdefault(path, str(node.value))
        elif isinstance(node, yaml.MappingNode):
            in_lesson = len(path) >= 2 and path[0] == "lessons" and isinstance(path[1], int)
            if len(path) == 2 and in_lesson:
                lesson_ids[int(path[1])] = _lesson_of(node)
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = key_node.value
                line = key_node.start_mark.line + 1
                column = key_node.start_mark.column + 1
                if key in seen and key != "<<":
                    if in_lesson:
                        lesson, field_name = lesson_ids.get(int(path[1])), (*path, key)[2]
                    else:
                        lesson, field_name = None, (*path, key)[1 if path else 0]
                    ctx.add(
                        Severity.ERROR,
                        "duplicate-key",
                        f"key {key!r} appears twice in the same mapping; only the last one counts",
                        line=line,
                        column=column,
                        lesson=lesson if isinstance(lesson, str) else None,
                        field=str(field_name),
                        hint=f"remove one of the two {key!r} lines (or merge them)",
                    )
                seen.add(key)
                ctx.lines.setdefault((*path, key), line)
                ctx.columns.setdefault((*path, key), column)
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                ctx.lines.setdefault((*path, index), item.start_mark.line + 1)
                ctx.columns.setdefault((*path, index), item.start_mark.column + 1)
                stack.append((item, (*path, index)))


def _parse_yaml(text: str, ctx: FileContext, *, index_only: bool = False) -> Any:
    """Parse YAML safely (SafeLoader only) and index its lines; raise on syntax errors."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _index_yaml(node, ctx)
        return None if index_only else loader.construct_document(node)
    finally:
        loader.dispose()


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
#: What ends a line, as an editor counts lines (and YAML's marks): LF, CRLF or a lone CR.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _JsonLines(dict):  # type: ignore[type-arg]
    """The line index of a JSON file, answered on lookup only.

    A lookup walks the text to the value its path names, decoding the values it passes with
    the json module's C decoder (``raw_decode``) and remembering where each object's keys
    and each list's items begin, so the lines of all a file's problems together cost about
    one scan of the file, never a parse into nodes (through YAML's marks, the line of one
    warning in a 670 kB course file of 2,000 lessons took 0.6 s, which a reload paid). A key
    written twice names its last copy, the one ``json.loads`` keeps. ``deferred`` tells the
    graph builder not to ask just to annotate nodes.

    Example
    -------
    >>> rows = ['{"course": {"id": "c"},', ' "lessons": [', '  {"id": "a"},', '  {"id": "b"}]}']
    >>> lines = _JsonLines("\\n".join(rows))
    >>> lines.get(("lessons", 1)), lines.get(("lessons", 1, "id")), lines.get(("lessons", 5))
    (4, 4, None)
    """

    deferred = True

    def __init__(self, text: str) -> None:
        super().__init__()
        self._walk = _JsonWalk(text)
        self._breaks: list[int] | None = None

    def _line(self, key: Any) -> int | None:
        if key in self:
            return super().get(key)
        at = self._walk.mark(key) if isinstance(key, tuple) else None
        if at is None:
            return None
        if self._breaks is None:  # where each line ends, found once
            self._breaks = [m.end() for m in _LINE_BREAK.finditer(self._walk.text)]
        line = bisect_right(self._breaks, at) + 1
        self[key] = line
        return line

    def get(self, key: Any, default: Any = None) -> Any:
        line = self._line(key)
        return default if line is None else line

    def __getitem__(self, key: Any) -> Any:
        line = self._line(key)
        if line is None:
            raise KeyError(key)
        return line


class _JsonWalk:
    """Where the keys and items of a JSON text begin, found as lookups need them.

    ``mark(path)``: the offset of the key (a ``str`` step) or the list item (an ``int``
    step) at the end of ``path``; None when the text has no such value (or is not JSON
    there). Each object is scanned once, whole, and each list only as far as asked.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._decoder = json.JSONDecoder()
        self._values: dict[DocPath, int] = {(): _JSON_SPACE.match(text, 0).end()}
        self._marks: dict[DocPath, int] = {}
        self._objects: set[DocPath] = set()
        self._lists: dict[DocPath, tuple[int, int | None]] = {}  # items found, next offset

    def mark(self, path: DocPath) -> int | None:
        for depth, step in enumerate(path):
            parent, child = path[:depth], path[: depth + 1]
            if child in self._values:
                continue
            at = self._values.get(parent)
            if at is None:
                return None
            try:
                if isinstance(step, str):
                    self._scan_object(parent, at)
                elif isinstance(step, int) and not isinstance(step, bool):
                    self._scan_list(parent, at, step)
            except (IndexError, ValueError):  # cut short, or not JSON: what was found stays
                self._objects.add(parent)
                self._lists[parent] = (self._lists.get(parent, (0, None))[0], None)
            if child not in self._values:
                return None
        return self._marks.get(path)

    def _scan_object(self, path: DocPath, at: int) -> None:
        if path in self._objects:
            return
        self._objects.add(path)
        text, space = self.text, _JSON_SPACE.match
        if text[at] != "{":
            return
        at = space(text, at + 1).end()
        while text[at] != "}":
            key_at = at
            key, at = scanstring(text, at + 1)
            at = space(text, at).end()
            if text[at] != ":":
                return
            at = space(text, at + 1).end()
            self._marks[(*path, key)] = key_at  # a later copy of the key replaces it
            self._values[(*path, key)] = at
            at = self._after_value(at)

    def _scan_list(self, path: DocPath, at: int, wanted: int) -> None:
        text = self.text
        found, next_at = self._lists.get(path, (0, -1))
        if next_at == -1:  # not started
            if text[at] != "[":
                self._lists[path] = (0, None)
                return
            next_at = _JSON_SPACE.match(text, at + 1).end()
        while next_at is not None and found <= wanted:
            if text[next_at] == "]":
                next_at = None
                break
            self._marks[(*path, found)] = self._values[(*path, found)] = next_at
            found += 1
            next_at = self._after_value(next_at)
        self._lists[path] = (found, next_at)

    def _after_value(self, at: int) -> int:
        """The offset of the next key or item after the value at ``at`` (past its comma)."""
        _, at = self._decoder.raw_decode(self.text, at)
        at = _JSON_SPACE.match(self.text, at).end()
        if self.text[at] == ",":
            at = _JSON_SPACE.match(self.text, at + 1).end()
        return at


def _json_with_duplicates(text: str) -> tuple[Any, bool]:
    """``json.loads(text)`` (the last copy of a key written twice wins), and whether any
    object had a key twice."""
    twice = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal twice
        out = dict(items)
        twice = twice or len(out) < len(items)
        return out

    return json.loads(text, object_pairs_hook=pairs), twice


def _report_json_duplicates(text: str, ctx: FileContext) -> None:
    """The ``duplicate-key`` errors of a JSON file, found with YAML's marks (JSON is nearly
    YAML) as for a YAML file; said without a line when YAML cannot read the text."""
    import yaml

    marks = FileContext(file=ctx.file, lines={}, issues=[])
    try:
        _parse_yaml(text, marks, index_only=True)
    except (yaml.YAMLError, ValueError, RecursionError):
        ctx.add(
            Severity.ERROR,
            "duplicate-key",
            "a key appears twice in the same object; only the last one counts",
            hint="remove one of the two copies (or merge them)",
        )
        return
    ctx.issues.extend(i for i in marks.issues if i.code == "duplicate-key")


def parse_document(doc: RawDocument, ctx: FileContext) -> Any:
    """Decode and parse one document; report problems in ``ctx`` and return the data.

    Returns None (after recording a ``parse-error`` or ``too-large`` issue) when the
    document cannot be parsed. Never raises for bad content.
    """
    import yaml

    if doc.byte_size > MAX_FILE_BYTES:
        ctx.add(
            Severity.ERROR,
            "too-large",
            f"file is {doc.byte_size} bytes; the limit is {MAX_FILE_BYTES}",
        )
        return None
    try:
        text = doc.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = doc.content[: exc.start].count(b"\n") + 1
        ctx.add(Severity.ERROR, "parse-error", f"not valid UTF-8: {exc.reason}", line=line)
        return None
    if not text.strip():
        ctx.add(Severity.ERROR, "parse-error", "file is empty", line=1)
        return None
    try:
        if doc.name.lower().endswith(".json"):
            data, twice = _json_with_duplicates(text)
            ctx.lines = _JsonLines(text)
            if twice:  # reported as in YAML, each copy at its line (YAML's marks index them)
                _report_json_duplicates(text, ctx)
            return data
        return _parse_yaml(text, ctx)
    except json.JSONDecodeError as exc:
        ctx.add(Severity.ERROR, "parse-error", f"invalid JSON: {exc.msg}", line=exc.lineno)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        message, hint = explain_yaml_error(problem or str(exc), text, line, column)
        ctx.add(Severity.ERROR, "parse-error", message, line=line, column=column, hint=hint)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        ctx.add(Severity.ERROR, "parse-error", f"cannot parse: {exc or type(exc).__name__}")
    return None


def explain_yaml_error(
    problem: str, text: str, line: int | None, column: int | None
) -> tuple[str, str]:
    r"""Turn a YAML parser's problem into ``(message, fix)`` for an author.

    Recognised: a tab character (YAML indents with spaces only), a value holding ``": "``
    (YAML reads it as a second key: the value must be quoted), a quote that is never closed.
    Anything else keeps the parser's words after ``invalid YAML:``.

    Example
    -------
    >>> message, fix = explain_yaml_error(
    ...     "mapping values are not allowed here", "  title: Variables: names\n", 1, 18)
    >>> print(message, fix, sep="\n")
    invalid YAML: the value of 'title' contains ': ', which YAML reads as the start of another key
    quote the value: title: "Variables: names"
    >>> explain_yaml_error("found character '\\t'", "\t- id: a\n", 1, 1)[1]
    'replace the tab at line 1, column 1 with spaces'
    """
    source = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
    if "\t" in problem or "tab" in problem.lower() or "\t" in source[: (column or 0) + 1]:
        tab = source.find("\t") + 1 if "\t" in source else column
        return (
            "invalid YAML: a tab character; YAML indents with spaces only",
            f"replace the tab at line {line}, column {tab} with spaces",
        )
    if "mapping values are not allowed" in problem:
        key, sep, value = source.strip().removeprefix("- ").partition(": ")
        if sep and value:
            quoted = value.strip().replace("\\", "\\\\").replace('"', '\\"')
            return (
                f"invalid YAML: the value of {key!r} contains ': ', which YAML reads as the "
                "start of another key",
                f'quote the value: {key}: "{quoted}"',
            )
    if "end of stream" in problem and "quoted" in problem:
        return (
            f"invalid YAML: {problem}",
            "a quote is never closed: close it, or check whether the file was saved half-way",
        )
    return (
        f"invalid YAML: {problem}",
        "check the indentation, quotes and brackets at this line and the line before",
    )
