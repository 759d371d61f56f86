"""The validation report: issues, their severity and where in which file they are.

:class:`ValidationIssue` is one problem; :class:`ValidationReport` collects the issues of a
set of course files. :class:`FileContext` is how the checks record issues of one file with
their line numbers.

Example
-------
>>> issue = ValidationIssue(Severity.WARNING, "isolated", "no links", "c.yaml", 7, "c", "a")
>>> print(ValidationReport([issue], files=["c.yaml"]).summary())
0 errors, 1 warning in 1 file
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from knowledge_graph.builder import DocPath

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx


class Severity(StrEnum):
    """How bad an issue is: errors block loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class ValidationIssue:
    """One problem found in a course file.

    Parameters
    ----------
    severity : Severity
        ``error`` blocks loading; ``warning`` is advice.
    code : str
        Stable machine-readable code, e.g. ``"dangling-reference"`` (see FORMAT.md).
    message : str
        Human-readable explanation, including a suggestion when one is known.
    file : str
        File path or ``s3://`` URL.
    line : int or None
        1-based line (None when unknown, e.g. some JSON issues).
    course, lesson, field : str or None
        Course id, bare lesson id and top-level field name the issue is about.
    """

    severity: Severity
    code: str
    message: str
    file: str
    line: int | None = None
    course: str | None = None
    lesson: str | None = None
    field: str | None = None

    def format(self) -> str:
        """Return the issue as one line, e.g. ``f.yaml:4: error [c/b] requires: ...``."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        subject = ""
        if self.course and self.lesson:
            subject = f" [{self.course}/{self.lesson}]"
        elif self.course or self.lesson:
            subject = f" [{self.course or self.lesson}]"
        prefix = f"{self.field}: " if self.field else ""
        return f"{where}: {self.severity.value}{subject} {prefix}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (for structured logs and CLI output)."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "course": self.course,
            "lesson": self.lesson,
            "field": self.field,
        }

    def __str__(self) -> str:
        return self.format()


@dataclass
class ValidationReport:
    """Result of validating a set of course files.

    Attributes
    ----------
    issues : list of ValidationIssue
        Sorted by file order, then line.
    files : list of str
        The files that were checked, in load order.
    graph : networkx.DiGraph or None
        The built graph when there are no errors, else None.
    declarations : list of tuple
        Every resolved link as declared (see ``knowledge_graph.builder.Declaration``);
        what a compiled index keeps to splice one changed file in later.
    """

    issues: list[ValidationIssue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    graph: nx.DiGraph | None = None
    declarations: list[tuple[str, str, str, float, int]] = field(default_factory=list)

    @property
    def errors(self) -> list[ValidationIssue]:
        """The issues of severity ``error``."""
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[ValidationIssue]:
        """The issues of severity ``warning``."""
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def codes(self) -> set[str]:
        """Return the set of issue codes (handy in tests)."""
        return {i.code for i in self.issues}

    def format(self) -> str:
        """Return one human-readable line per issue ("" when there is none)."""
        return "\n".join(issue.format() for issue in self.issues)

    def summary(self) -> str:
        """Return e.g. ``"2 errors, 1 warning in 3 files"``."""
        e, w, f = len(self.errors), len(self.warnings), len(self.files)
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)} in {f} file{'s' * (f != 1)}"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""``.

    Example
    -------
    >>> did_you_mean("fuctions", ["functions", "loops"]), did_you_mean("zzz", ["loops"])
    (" (did you mean 'functions'?)", '')
    """
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


@dataclass
class FileContext:
    """Where the issues of one file go: its name, its line index and its course id.

    Example
    -------
    >>> issues: list[ValidationIssue] = []
    >>> ctx = FileContext("c.yaml", {("lessons",): 3, ("lessons", 0): 4}, issues, course="c")
    >>> ctx.add(Severity.ERROR, "invalid-value", "bad", ("lessons", 0, "title"), lesson="a")
    >>> print(issues[0])
    c.yaml:4: error [c/a] bad
    """

    file: str
    lines: dict[DocPath, int]
    issues: list[ValidationIssue]
    course: str | None = None

    def line(self, path: DocPath) -> int | None:
        """Return the line of the deepest known prefix of ``path``."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: DocPath = (),
        *,
        lesson: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        """Record one issue located at document ``path`` (or an explicit ``line``)."""
        self.issues.append(
            ValidationIssue(
                severity=severity,
                code=code,
                message=message,
                file=self.file,
                line=line if line is not None else self.line(path),
                course=self.course,
                lesson=lesson,
                field=field,
            )
        )
