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


def _index_yaml(root: Any, ctx: FileContext) -> None:
    """Record the line of every mapping key and sequence item; flag duplicate keys.

    Raises ValueError when the document expands to more than :data:`MAX_YAML_NODES`.
    """
    import yaml

    stack: list[tuple[Any, DocPath]] = [(root, ())]
    visited = 0
    while stack:
        node, path = stack.pop()
        visited += 1
        if visited > MAX_YAML_NODES:
            raise ValueError("document too large or too deeply aliased")
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = key_node.value
                line = key_node.start_mark.line + 1
                if key in seen and key != "<<":
                    ctx.add(
                        Severity.ERROR,
                        "duplicate-key",
                        f"key {key!r} appears twice in the same mapping; the last one wins",
                        line=line,
                        field=key if len(path) in (0, 1, 2) else None,
                    )
                seen.add(key)
                ctx.lines.setdefault((*path, key), line)
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                ctx.lines.setdefault((*path, index), item.start_mark.line + 1)
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
        ctx.add(
            Severity.ERROR,
            "parse-error",
            f"invalid YAML: {problem or exc}",
            line=mark.line + 1 if mark else None,
        )
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        ctx.add(Severity.ERROR, "parse-error", f"cannot parse: {exc or type(exc).__name__}")
    return None
