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
                        f"key {key!r} appears twice in the same mapping; YAML keeps only the "
                        "last one",
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


class _JsonLines(dict):  # type: ignore[type-arg]
    """The line index of a JSON file, built on the first lookup only.

    JSON is (nearly) YAML, so YAML's marks give line numbers; that costs a second parse of
    the file, which only a file with something to report needs. ``deferred`` tells the
    graph builder not to force it just to annotate nodes.
    """

    deferred = True

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text: str | None = text

    def _build(self) -> None:
        import yaml

        text, self._text = self._text, None
        if text is None:
            return
        scratch = FileContext(file="", lines={}, issues=[])
        try:
            _parse_yaml(text, scratch, index_only=True)
        except (yaml.YAMLError, ValueError, RecursionError):
            return
        self.update(scratch.lines)

    def get(self, key: Any, default: Any = None) -> Any:
        self._build()
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._build()
        return super().__getitem__(key)


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
            data = json.loads(text)
            ctx.lines = _JsonLines(text)
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
