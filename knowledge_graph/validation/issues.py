"""The validation report: issues, their severity and where in which file they are.

:class:`ValidationIssue` is one problem; :class:`ValidationReport` collects the issues of a
set of course files and prints them by root cause (:meth:`ValidationReport.format`): each
error that is a cause, its fix, one line for the lessons it blocks (the *follow-on* issues,
whose ``cause`` names it), then the warnings grouped by code with counts. :class:`FileContext`
is how the checks record issues of one file with their line and column numbers.

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
from typing import TYPE_CHECKING, Any, Final

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
    column : int or None
        1-based column of the key, list item or character at fault (None when unknown).
    hint : str or None
        How to fix it, when one concrete fix is known (e.g. ``quote it: title: "2024"``).
    cause : str or None
        For a *follow-on* issue (a lesson blocked by another lesson's error, e.g. a lesson
        that depends on a cycle): the qualified id of the lesson whose error is the root
        cause. None for an issue that is a cause itself.
    """

    severity: Severity
    code: str
    message: str
    file: str
    line: int | None = None
    course: str | None = None
    lesson: str | None = None
    field: str | None = None
    column: int | None = None
    hint: str | None = None
    cause: str | None = None

    @property
    def subject(self) -> str | None:
        """The qualified ``course/lesson`` id the issue is about (None for a file or course)."""
        if self.course and self.lesson:
            return f"{self.course}/{self.lesson}"
        return None

    @property
    def is_follow_on(self) -> bool:
        """True for an issue that only follows from another one (its ``cause``)."""
        return self.cause is not None

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
        """Return a JSON-serialisable dict (for structured logs and CLI output).

        Keys: ``severity``, ``code``, ``message``, ``file``, ``line``, ``column``, ``course``,
        ``lesson``, ``field``, ``hint``, ``cause`` (absent values are null).
        """
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "course": self.course,
            "lesson": self.lesson,
            "field": self.field,
            "hint": self.hint,
            "cause": self.cause,
        }

    def __str__(self) -> str:
        return self.format()


#: Warnings of one code shown by :meth:`ValidationReport.format` before "... and N more".
SHOWN_PER_WARNING_CODE: Final[int] = 3
#: Longest excerpt of a value quoted in a message (:func:`excerpt`), in characters.
EXCERPT_CHARS: Final[int] = 60


@dataclass
class ValidationReport:
    """Result of validating a set of course files.

    Attributes
    ----------
    issues : list of ValidationIssue
        Every issue, follow-ons included, sorted by file order, then line.
    files : list of str
        The files that were checked, in load order.
    graph : networkx.DiGraph or None
        The built graph when there are no errors, else None.
    silenced : dict of str to int
        How many warnings of each code were silenced (``silence_warnings`` in a course
        block, or ``validate --silence``); they are not in ``issues``.
    draft_graph : networkx.DiGraph or None
        The graph of the lessons that passed the field checks, built even when there are
        errors (for tools that show problems on the graph, such as ``explore``).
    declarations : list of tuple
        Every resolved link as declared (see ``knowledge_graph.builder.Declaration``);
        what a compiled index keeps to splice one changed file in later.
    """

    issues: list[ValidationIssue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    graph: nx.DiGraph | None = None
    silenced: dict[str, int] = field(default_factory=dict)
    draft_graph: nx.DiGraph | None = None
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

    @property
    def causes(self) -> list[ValidationIssue]:
        """The errors that are not follow-ons of another error: what an author must fix."""
        return [i for i in self.errors if not i.is_follow_on]

    def follow_ons(self, cause: ValidationIssue) -> list[ValidationIssue]:
        """The issues that only follow from ``cause`` (e.g. the lessons a cycle blocks)."""
        subject = cause.subject
        if subject is None:
            return []
        return [i for i in self.issues if i.cause == subject]

    def codes(self) -> set[str]:
        """Return the set of issue codes (handy in tests)."""
        return {i.code for i in self.issues}

    def format(self, *, verbose: bool = False) -> str:
        """Return the report by root cause, one issue a line ("" when there is none).

        Each error that is a cause comes with its fix (``    fix: ...``) and one line
        counting the lessons it blocks; the follow-on issues themselves are listed only
        when ``verbose``. Warnings follow, grouped by code: at most
        :data:`SHOWN_PER_WARNING_CODE` of each code unless ``verbose``, then a count and how
        to silence that code.

        Example
        -------
        >>> cause = ValidationIssue(Severity.ERROR, "cycle", "prerequisite cycle: a -> b -> a",
        ...                         "c.yaml", 4, "c", "a", "requires", hint="turn one link ...")
        >>> blocked = [ValidationIssue(Severity.ERROR, "unsatisfiable", "never", "c.yaml", n,
        ...                            "c", f"x{n}", cause="c/a") for n in range(5, 9)]
        >>> print(ValidationReport([cause, *blocked], files=["c.yaml"]).format())
        c.yaml:4: error [c/a] requires: prerequisite cycle: a -> b -> a
            fix: turn one link ...
            ... and 4 lessons that depend on them can never be started (--verbose lists them)
        """
        lines: list[str] = []
        errors = self.errors
        blocked: dict[str, list[ValidationIssue]] = {}
        for issue in errors:
            if issue.cause is not None:
                blocked.setdefault(issue.cause, []).append(issue)
        present = {i.subject for i in errors if not i.is_follow_on and i.subject in blocked}
        explained: set[str] = set()
        for issue in errors:
            if issue.is_follow_on and issue.cause in present:
                continue
            lines += _issue_lines(issue)
            subject = issue.subject
            if subject is None or subject in explained or subject not in blocked:
                continue
            explained.add(subject)
            followers = blocked[subject]
            if verbose:
                lines += [f"    {f.format()}" for f in followers]
            else:
                n = len(followers)
                lines.append(
                    f"    ... and {n:,} lesson{'s' * (n != 1)} that depend on "
                    f"{'them' if issue.code == 'cycle' else 'it'} can never be started "
                    "(--verbose lists them)"
                )
        for code, group in _by_code(self.warnings).items():
            shown = group if verbose else group[:SHOWN_PER_WARNING_CODE]
            for issue in shown:
                lines += _issue_lines(issue)
            if len(group) > len(shown):
                more = len(group) - len(shown)
                lines.append(
                    f"    ... and {more:,} more '{code}' warning{'s' * (more != 1)} "
                    f"({len(group):,} in all; --verbose lists them; silence them with "
                    f"'silence_warnings: [{code}]' in the course block or --silence {code})"
                )
        return "\n".join(lines)

    def warning_counts(self) -> dict[str, int]:
        """Warnings per code, in order of first appearance (silenced ones not counted)."""
        return {code: len(group) for code, group in _by_code(self.warnings).items()}

    def summary(self) -> str:
        """Return e.g. ``"2 errors, 1 warning in 3 files"``.

        Follow-on errors and silenced warnings are counted in brackets when there are some:
        ``"201 errors (1 cause, 200 follow-on), 0 warnings (4,531 silenced) in 1 file"``.
        """
        e, w, f = len(self.errors), len(self.warnings), len(self.files)
        text = f"{e:,} error{'s' * (e != 1)}"
        follow = sum(1 for i in self.errors if i.is_follow_on)
        if follow:
            c = e - follow
            text += f" ({c:,} cause{'s' * (c != 1)}, {follow:,} follow-on)"
        text += f", {w:,} warning{'s' * (w != 1)}"
        quiet = sum(self.silenced.values())
        if quiet:
            text += f" ({quiet:,} silenced)"
        return text + f" in {f:,} file{'s' * (f != 1)}"


def _issue_lines(issue: ValidationIssue) -> list[str]:
    """The line of an issue, and its fix on a second line when it has one."""
    lines = [issue.format()]
    if issue.hint:
        lines.append(f"    fix: {issue.hint}")
    return lines


def _by_code(issues: Iterable[ValidationIssue]) -> dict[str, list[ValidationIssue]]:
    """Group issues by code, codes in order of first appearance."""
    groups: dict[str, list[ValidationIssue]] = {}
    for issue in issues:
        groups.setdefault(issue.code, []).append(issue)
    return groups


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """Quote a value for a message, cut to ``limit`` characters with its full length.

    Example
    -------
    >>> excerpt("loops"), excerpt("x" * 102_000, limit=5)
    ("'loops'", "'xxxxx…' (102,000 characters)")
    >>> excerpt(2024)
    '2024'
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        quoted = repr(value[:limit])
        return f"{quoted[:-1]}…{quoted[-1]} ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


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

    ``lines`` and ``columns`` map a document path (``("lessons", 3, "title")``) to the
    1-based line and column of its key or list item; ``scalars`` keeps the source text of
    values YAML did not read as text (``Yes``, ``2024``, ``~``), so that messages can quote
    what the author wrote rather than what the parser made of it.

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
    columns: dict[DocPath, int] = field(default_factory=dict)
    scalars: dict[DocPath, str] = field(default_factory=dict)

    def line(self, path: DocPath) -> int | None:
        """Return the line of the deepest known prefix of ``path``."""
        return self.position(path)[0]

    def position(self, path: DocPath) -> tuple[int | None, int | None]:
        """Return ``(line, column)`` of the deepest known prefix of ``path`` (None: unknown)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line, self.columns.get(path[:end])
        return None, None

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
        column: int | None = None,
        hint: str | None = None,
        cause: str | None = None,
    ) -> None:
        """Record one issue located at document ``path`` (or an explicit ``line``/``column``)."""
        if line is None:
            line, found_column = self.position(path)
            column = column if column is not None else found_column
        self.issues.append(
            ValidationIssue(
                severity=severity,
                code=code,
                message=message,
                file=self.file,
                line=line,
                course=self.course,
                lesson=lesson,
                field=field,
                column=column,
                hint=hint,
                cause=cause,
            )
        )
