"""Authoring format, validation report and graph builder of ``knowledge_graph``.

Every broken file marks the line where the issue must be reported with ``# <-``.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import ROOT

from knowledge_graph import (
    GraphSourceError,
    Severity,
    ValidationIssue,
    ValidationReport,
    validate_path,
)
from knowledge_graph.builder import SourcedCourse, UnresolvedReferenceError, build_graph
from knowledge_graph.course_schema import CourseFile
from knowledge_graph.file_format import DEFAULT_WEIGHTS, is_course_file_name
from knowledge_graph.sources import RawDocument
from knowledge_graph.text import fold_text
from knowledge_graph.validation import documents as documents_module
from knowledge_graph.validation import validate_documents

HEADER = "course:\n  id: py\n  title: Python\nlessons:\n"


def write(directory: Path, name: str, text: str) -> Path:
    """Write dedented ``text`` to ``directory/name`` and return the path."""
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def marked_line(path: Path, marker: str = "# <-") -> int:
    """Return the 1-based line of ``path`` that carries ``marker``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"no {marker!r} in {path}")


def only_issue(report: ValidationReport, code: str) -> ValidationIssue:
    """Return the single issue with ``code`` (failing when there are none or several)."""
    found = [i for i in report.issues if i.code == code]
    assert len(found) == 1, report.format()
    return found[0]


def course_file(tmp_path: Path, lessons_yaml: str, name: str = "py.yaml") -> Path:
    """Write a course ``py`` whose lessons block is ``lessons_yaml`` (dedented)."""
    body = textwrap.indent(textwrap.dedent(lessons_yaml).strip("\n"), "  ")
    return write(tmp_path, name, HEADER + body + "\n")


# ----------------------------------------------------------------------------- valid input


def test_valid_directory_with_cross_course_reference_is_clean(tmp_path: Path) -> None:
    write(
        tmp_path,
        "b_python.yaml",
        """
        course:
          id: python-intro   # a comment
          title: Introduction to Python
          weights: {goal: 2.0}
        lessons:
          - id: hello
            title: Hello World
            next: [variables]
          - id: variables
            title: Variables and Assignment
            module: Basics
            aliases: [assignment]
            requires: [hello, {id: shell/terminal, weight: 0.8}]
            related: [{id: hello, weight: 0.3}]
          - id: loops
            title: Loops
            difficulty: 3
            requires_any: [[variables, shell/terminal]]
            recommends: [{id: variables, weight: 0.4}]
    """,
    )
    write(
        tmp_path,
        "a_shell.json",
        json.dumps(
            {
                "course": {"id": "shell", "title": "The Shell", "description": "cd, ls"},
                "lessons": [
                    {
                        "id": "terminal",
                        "title": "Using a Terminal",
                        "minutes": 5,
                        "url": "https://example.org/terminal",
                        "next": ["python-intro/hello"],
                    }
                ],
            },
            indent=2,
        ),
    )
    report = validate_path(tmp_path)
    assert report.issues == [], report.format()
    assert report.ok and report.format() == ""
    assert report.files == [str(tmp_path / "a_shell.json"), str(tmp_path / "b_python.yaml")]
    G = report.graph
    assert G is not None
    assert list(G.nodes) == [
        "shell/terminal",
        "python-intro/hello",
        "python-intro/variables",
        "python-intro/loops",
    ]
    hello = G.nodes["python-intro/hello"]
    assert hello == {
        "key": "hello",
        "course": "python-intro",
        "title": "Hello World",
        "summary": "",
        "module": "General",
        "difficulty": 2,
        "minutes": 15,
        "aliases": (),
        "tags": (),
        "url": None,
        "requires_any": (),
        "order": 1,
        "source": str(tmp_path / "b_python.yaml"),
        "line": 6,
        "translations": {},
    }
    assert G.nodes["python-intro/loops"]["requires_any"] == (
        ("python-intro/variables", "shell/terminal"),
    )
    # JSON files get line numbers (from YAML marks) only when an issue needs one.
    assert G.nodes["shell/terminal"]["line"] is None
    # prerequisites point to the lesson that lists them; next points forwards
    assert G.edges["shell/terminal", "python-intro/variables"]["kinds"] == {"requires": 0.8}
    assert G.edges["shell/terminal", "python-intro/hello"]["kinds"] == {"next": 1.0}
    # several kinds between one pair merge; weight is their maximum
    assert G.edges["python-intro/hello", "python-intro/variables"] == {
        "kinds": {"requires": 1.0, "next": 1.0, "related": 0.3},
        "weight": 1.0,
    }
    assert G.edges["python-intro/variables", "python-intro/hello"]["kinds"] == {"related": 0.3}
    assert G.edges["python-intro/variables", "python-intro/loops"]["kinds"] == {
        "requires_any": 1.0,
        "recommends": 0.4,
    }
    courses = G.graph["courses"]
    assert courses["python-intro"]["weights"] == {**DEFAULT_WEIGHTS, "goal": 2.0}
    assert courses["shell"] == {
        "id": "shell",
        "title": "The Shell",
        "description": "cd, ls",
        "weights": DEFAULT_WEIGHTS,
        "source": str(tmp_path / "a_shell.json"),
        "locale": "en_US",
        "locales": (),
        "translations": {},
    }


def test_directory_ignores_hidden_files_and_editor_backups(tmp_path: Path) -> None:
    course_file(tmp_path, "- {id: a, title: A}")
    for junk in (
        ".#py.yaml",
        "py.yaml~",
        "py.yaml.swp",
        ".hidden.yaml",
        "py.yaml.tmp",
        "#py.yaml#",
        "notes.txt",
    ):
        (tmp_path / junk).write_text("{{{ not a course", encoding="utf-8")
    report = validate_path(tmp_path)
    assert report.ok and report.files == [str(tmp_path / "py.yaml")], report.format()


def test_is_course_file_name() -> None:
    assert is_course_file_name("x.YML")
    assert not is_course_file_name("x.yaml.tmp")
    assert not is_course_file_name("yaml")


def test_fold_text_folds_case_accents_and_punctuation() -> None:
    assert fold_text("Les Boucles « Énumérées » !") == fold_text("les boucles enumerees")


def test_missing_path_raises_source_error(tmp_path: Path) -> None:
    with pytest.raises(GraphSourceError, match="no such file"):
        validate_path(tmp_path / "nope")


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    report = validate_path(tmp_path)
    assert not report.ok and report.codes() == {"no-courses"} and report.graph is None


# ----------------------------------------------------------------------------- one case per code

CASES = [
    # (code, severity, lessons yaml, lesson, field, message fragment)
    (
        "unknown-field",
        "error",
        """
        - id: a
          title: A
          requirs: [b]   # <-
        - {id: b, title: B, next: [a]}
     """,
        "a",
        "requirs",
        "did you mean 'requires'?",
    ),
    (
        "missing-field",
        "error",
        """
        - {id: a, title: A, next: [b]}
        - id: b          # <-
          summary: no title
     """,
        "b",
        "title",
        "'title' is missing",
    ),
    (
        "duplicate-id",
        "error",
        """
        - {id: a, title: A}
        - {id: a, title: Again}   # <-
     """,
        "a",
        "id",
        "already used on line 5",
    ),
    (
        "dangling-reference",
        "error",
        """
        - {id: functions, title: Functions, next: [calls]}
        - id: calls
          title: Calls
          requires: [fuctions]   # <-
     """,
        "calls",
        "requires",
        "unknown lesson 'fuctions' (did you mean 'functions'?)",
    ),
    (
        "cycle",
        "error",
        """
        - id: a
          title: A
          requires: [b]   # <-
        - {id: b, title: B, requires: [c]}
        - {id: c, title: C, requires_any: [[a, d]]}
        - {id: d, title: D, requires: [c]}
     """,
        "a",
        "requires",
        "a -> b -> c -> a",
    ),
    (
        "soft-cycle",
        "warning",
        """
        - id: a
          title: A
          recommends: [b]   # <-
        - {id: b, title: B, requires: [a]}
     """,
        "a",
        "recommends",
        "a -> b -> a",
    ),
    (
        "self-loop",
        "error",
        """
        - {id: a, title: A, next: [b]}
        - id: b
          title: B
          next: [a, b]   # <-
     """,
        "b",
        "next",
        "itself",
    ),
    (
        "weight-range",
        "error",
        """
        - {id: a, title: A}
        - id: b
          title: B
          requires:
            - {id: a, weight: 1.5}   # <-
     """,
        "b",
        "requires",
        "requires[0].weight",
    ),
    (
        "unsatisfiable",
        "error",
        """
        - {id: a, title: A, requires: [b]}
        - {id: b, title: B, requires: [a]}
        - {id: c, title: C}
        - id: d
          title: D
          requires_any: [[a, b]]   # <-
     """,
        "d",
        "requires_any",
        "[a, b]",
    ),
    (
        "unreachable",
        "warning",
        """
        - {id: start, title: Start, next: [x]}
        - {id: x, title: X}
        - {id: loop-a, title: Loop A, next: [loop-b]}   # <-
        - {id: loop-b, title: Loop B, next: [loop-a]}
     """,
        "loop-a",
        None,
        "no start lesson leads here",
    ),
    (
        "isolated",
        "warning",
        """
        - {id: a, title: A, next: [b]}
        - {id: b, title: B}
        - {id: lonely, title: Lonely}   # <-
     """,
        "lonely",
        None,
        "no links",
    ),
    (
        "title-collision",
        "error",
        """
        - {id: loops, title: Loops, next: [loops-2]}
        - {id: loops-2, title: "  LOOPS!"}   # <-
     """,
        "loops-2",
        "title",
        "same as lesson 'loops'",
    ),
    (
        "alias-collision",
        "error",
        """
        - {id: for, title: For Loops, next: [while]}
        - id: while
          title: While Loops
          aliases: [looping, "for-loops"]   # <-
     """,
        "while",
        "aliases",
        "title of lesson 'for': a learner typing that title could not tell 'for' from 'while'",
    ),
    (
        "alias-collision",
        "warning",
        """
        - {id: for, title: For Loops, next: [while]}
        - id: while
          title: While Loops
          aliases: [looping, "for"]   # <-
     """,
        "while",
        "aliases",
        "the id of lesson 'for'",
    ),
    (
        "empty-title",
        "error",
        """
        - {id: a, title: A, next: [b]}
        - id: b
          title: "   "   # <-
     """,
        "b",
        "title",
        "must not be empty",
    ),
    (
        "small-group",
        "warning",
        """
        - {id: a, title: A, next: [b]}
        - id: b
          title: B
          requires_any:
            - [a]   # <-
     """,
        "b",
        "requires_any",
        "use 'requires'",
    ),
    (
        "invalid-value",
        "error",
        """
        - {id: a, title: A, next: [b]}
        - id: b
          title: B
          minutes: "15"   # <-
     """,
        "b",
        "minutes",
        "must be a whole number, but this is the text '15'",
    ),
    (
        "duplicate-reference",
        "warning",
        """
        - {id: a, title: A, next: [b]}
        - id: b
          title: B
          requires: [a, a]   # <-
     """,
        "b",
        "requires",
        "listed twice",
    ),
    (
        "duplicate-key",
        "error",
        """
        - id: a
          title: A
          title: B   # <-
     """,
        "a",
        "title",
        "appears twice",
    ),
]


@pytest.mark.parametrize(
    ("code", "severity", "lessons", "lesson", "field", "fragment"),
    CASES,
    ids=[f"{case[0]}-{case[1]}" for case in CASES],
)
def test_each_issue_code_names_file_lesson_field_and_line(
    tmp_path: Path,
    code: str,
    severity: str,
    lessons: str,
    lesson: str | None,
    field: str | None,
    fragment: str,
) -> None:
    path = course_file(tmp_path, lessons)
    report = validate_path(tmp_path)
    found = [i for i in report.issues if i.code == code and i.lesson == lesson]
    assert len(found) == 1, report.format()
    issue = found[0]
    assert issue.severity is Severity(severity)
    assert (issue.file, issue.line) == (str(path), marked_line(path))
    assert (issue.course, issue.lesson, issue.field) == ("py", lesson, field)
    assert fragment in issue.message
    assert issue.format().startswith(f"{path}:{issue.line}: {severity} [py")
    assert report.ok is (severity == "warning" and not report.errors)
    assert (report.graph is None) is (not report.ok)


def test_format_line_matches_documented_shape(tmp_path: Path) -> None:
    course_file(
        tmp_path,
        """
        - {id: functions, title: Functions, next: [loops]}
        - id: loops
          title: Loops
          requires: [fuctions]
    """,
    )
    report = validate_path(tmp_path / "py.yaml")
    assert report.format() == (
        f"{tmp_path / 'py.yaml'}:8: error [py/loops] requires: unknown lesson 'fuctions' "
        "(did you mean 'functions'?)"
    )
    assert report.summary() == "1 error, 0 warnings in 1 file"
    assert report.errors[0].as_dict()["code"] == "dangling-reference"


def test_course_weight_out_of_range(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
        course:
          id: c
          title: C
          weights:
            momentum: 0.8
            decay: 1.0   # <-
        lessons: [{id: a, title: A}]
    """,
    )
    issue = only_issue(validate_path(path), "weight-range")
    assert (issue.line, issue.course, issue.lesson, issue.field) == (
        marked_line(path),
        "c",
        None,
        "weights",
    )
    assert "weights.decay" in issue.message


def test_cross_course_title_collision_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "course: {id: a, title: A}\nlessons: [{id: loops, title: Loops}]\n")
    path = write(
        tmp_path,
        "b.yaml",
        "course: {id: b, title: B}\nlessons:\n  - {id: loops, title: loops}   # <-\n",
    )
    report = validate_path(tmp_path)
    issue = only_issue(report, "title-collision")
    assert issue.severity is Severity.WARNING and report.ok
    assert (issue.file, issue.line, issue.course, issue.lesson) == (str(path), 3, "b", "loops")


def test_unknown_course_in_reference(tmp_path: Path) -> None:
    write(tmp_path, "shell.yaml", "course: {id: shell, title: S}\nlessons: [{id: cd, title: cd}]\n")
    path = course_file(
        tmp_path,
        """
        - id: a
          title: A
          requires: [shel/cd]   # <-
    """,
    )
    issue = only_issue(validate_path(tmp_path), "dangling-reference")
    assert issue.line == marked_line(path)
    assert issue.message == "unknown course 'shel' in 'shel/cd' (did you mean 'shell'?)"


def test_duplicate_course_across_files(tmp_path: Path) -> None:
    course_file(tmp_path, "- {id: a, title: A}", name="one.yaml")
    second = write(
        tmp_path,
        "two.yaml",
        """
        course:
          id: py   # <-
          title: Another
        lessons: [{id: b, title: B}]
    """,
    )
    issue = only_issue(validate_path(tmp_path), "duplicate-course")
    assert (issue.file, issue.line, issue.course, issue.field) == (
        str(second),
        marked_line(second),
        "py",
        "id",
    )
    assert "one.yaml" in issue.message


def test_empty_requires_any_group_is_an_error(tmp_path: Path) -> None:
    path = course_file(
        tmp_path,
        """
        - id: a
          title: A
          requires_any: [[]]   # <-
    """,
    )
    issue = only_issue(validate_path(path), "small-group")
    assert issue.severity is Severity.ERROR and issue.line == marked_line(path)


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("truncated.yaml", HEADER + '  - id: a\n    title: "Half saved', 6),
        ("bad-indent.yaml", HEADER + "  - id: a\n   title: A\n", 6),
        ("broken.json", '{"course": {"id": "c",\n "title": "C"},\n "lessons": [\n', 4),
        ("empty.yaml", "", 1),
        ("two-docs.yaml", "course: {id: a}\n---\ncourse: {id: b}\n", 2),
        (
            "binary.yaml",
            "course: \udcff".encode("utf-8", "surrogateescape").decode("latin-1"),
            None,
        ),
    ],
)
def test_unparsable_files_give_parse_error(
    tmp_path: Path, name: str, text: str, line: int | None
) -> None:
    path = tmp_path / name
    if name == "binary.yaml":
        path.write_bytes(b"course:\n  id: \xff\xfe\n")
        line = 2
    else:
        path.write_text(text, encoding="utf-8")
    report = validate_path(path)
    issue = only_issue(report, "parse-error")
    assert (issue.file, issue.line, issue.severity) == (str(path), line, Severity.ERROR)
    assert report.graph is None


def test_every_truncation_of_a_valid_file_is_reported_not_raised(tmp_path: Path) -> None:
    text = HEADER + textwrap.indent(
        textwrap.dedent("""
        - id: a
          title: "A: the start"
          next: [b]
        - id: b
          title: B
          requires: [{id: a, weight: 0.5}]
    """).strip("\n"),
        "  ",
    )
    for cut in range(len(text)):
        report = validate_documents([RawDocument.from_text("t.yaml", text[:cut])])
        assert report.ok or report.errors  # a report, never an exception


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abc:-[]{}\"' \n#&*!|>%@`,", max_size=120))
def test_arbitrary_text_never_raises(text: str) -> None:
    report = validate_documents([RawDocument.from_text("fuzz.yaml", text)])
    assert isinstance(report, ValidationReport)


def test_top_level_problems(tmp_path: Path) -> None:
    assert validate_path(write(tmp_path, "list.yaml", "- a\n- b\n")).codes() == {"invalid-value"}
    report = validate_path(write(tmp_path, "x.yaml", "course: {id: x, title: X}\nlesons: []\n"))
    assert report.codes() == {"unknown-field", "missing-field"}
    assert "did you mean 'lessons'?" in only_issue(report, "unknown-field").message
    assert only_issue(report, "unknown-field").line == 2


def test_unsafe_yaml_tags_are_rejected_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(
        tmp_path,
        "evil.yaml",
        f"""
        course: !!python/object/apply:os.system ["touch {marker}"]
        lessons: []
    """,
    )
    issue = only_issue(validate_path(path), "parse-error")
    assert issue.line == 1 and not marker.exists()


def test_alias_bombs_are_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents_module, "MAX_YAML_NODES", 500)
    path = write(
        tmp_path,
        "bomb.yaml",
        """
        a: &a [x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
    """,
    )
    assert "too large" in only_issue(validate_path(path), "parse-error").message


def test_file_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents_module, "MAX_FILE_BYTES", 100)
    path = course_file(tmp_path, "- {id: a, title: " + "A" * 200 + "}")
    issue = only_issue(validate_path(path), "too-large")
    assert issue.file == str(path) and issue.severity is Severity.ERROR


def test_url_must_be_http(tmp_path: Path) -> None:
    path = course_file(tmp_path, "- {id: a, title: A, url: 'javascript:alert(1)'}   # <-")
    issue = only_issue(validate_path(path), "invalid-value")
    assert (issue.field, issue.line) == ("url", marked_line(path))


def test_json_issues_carry_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            {
                "course": {"id": "c", "title": "C"},
                "lessons": [
                    {"id": "a", "title": "A", "next": ["b"]},
                    {"id": "b", "title": "B", "requires": ["zz"]},
                ],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    issue = only_issue(validate_path(path), "dangling-reference")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert issue.line is not None and '"zz"' in lines[issue.line - 1]


# ----------------------------------------------------------------------------- builder


def test_build_graph_strict_rejects_unknown_references() -> None:
    doc = CourseFile.model_validate(
        {"course": {"id": "c", "title": "C"}, "lessons": [{"id": "a", "title": "A", "next": ["b"]}]}
    )
    with pytest.raises(UnresolvedReferenceError, match="c/b"):
        build_graph([doc])
    G = build_graph([SourcedCourse(doc, "c.yaml")], strict=False)
    assert list(G.nodes) == ["c/a"] and G.number_of_edges() == 0
    assert G.nodes["c/a"]["source"] == "c.yaml" and G.nodes["c/a"]["line"] is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=25,
)


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("name", ["python-intro.yaml", "python-testing.yaml"])
def test_a_json_files_lines_are_found_where_yaml_marks_put_them(name: str, indent: int | None):
    """A JSON course file's lines are found by walking to the one value asked about; every
    key and item the full (YAML marks) index knows is found on the same line, and past the
    walk's budget the full index answers alike."""
    import yaml

    data = yaml.safe_load((ROOT / "data" / "lessons" / name).read_text(encoding="utf-8"))
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    full = documents_module.FileContext(file="", lines={}, issues=[])
    documents_module._parse_yaml(text, full, index_only=True)
    lines = documents_module._JsonLines(text)
    paths = sorted(full.lines, key=str)
    assert {path: lines.get(path) for path in paths} == full.lines
    backwards = documents_module._JsonLines(text)  # the walk resumes where it stopped, or not
    assert {path: backwards.get(path) for path in reversed(paths)} == full.lines
    assert documents_module._JsonLines(text).get(("lessons", 10**6)) is None


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES, indent=st.sampled_from([None, 1, 4]))
def test_json_lines_match_yaml_marks_for_any_json(value: object, indent: int | None):
    import yaml

    text = json.dumps({"doc": value}, indent=indent)
    full = documents_module.FileContext(file="", lines={}, issues=[])
    try:
        documents_module._parse_yaml(text, full, index_only=True)
    except yaml.YAMLError:  # JSON that YAML does not read (rare): nothing to compare with
        return
    lines = documents_module._JsonLines(text)
    for path, line in full.lines.items():
        assert documents_module._JsonWalk(text).mark(path) is not None
        assert lines.get(path) == line


def test_a_json_key_written_twice_is_an_error_and_its_value_is_the_last_copy(tmp_path: Path):
    """``json.loads`` keeps a key's last copy: a problem in it is on the last copy's line,
    and the key written twice is a ``duplicate-key`` error, as in YAML."""
    write(
        tmp_path,
        "c.json",
        """
        {
          "course": {"id": "c", "title": "C"},
          "lessons": [
            {"id": "a", "title": "A"},
            {
              "id": "b",
              "title": "B",
              "requires": ["a"],
              "requires": ["nope"]
            }
          ]
        }
        """,
    )
    report = validate_path(tmp_path)
    found = {(i.code, i.line) for i in report.issues}
    assert ("duplicate-key", 9) in found
    assert any(i.line == 9 and "nope" in i.message for i in report.issues), report.issues


def test_json_lines_count_every_kind_of_line_break(tmp_path: Path):
    """A lone CR (old Mac files) and CRLF end lines as LF does: each problem on its line."""
    rows = [
        '{"course": {"id": "c", "title": "C"},',
        ' "lessons": [',
        '  {"id": "a", "title": "A"},',
        '  {"id": "b", "title": "B",',
        '   "requires": ["nope"]}',
        " ]}",
    ]
    for newline in ("\r", "\r\n", "\n"):
        (tmp_path / "c.json").write_bytes(newline.join(rows).encode())
        report = validate_path(tmp_path)
        assert [i.line for i in report.issues if "nope" in i.message] == [5], newline


def test_every_problem_of_a_json_file_yaml_cannot_read_has_its_line(tmp_path: Path):
    """Lines come from the JSON text alone: a file Python's ``json.dump`` wrote with an emoji
    as surrogate escapes (which YAML refuses) still places each of its 40 problems."""
    lessons = [
        {"id": f"l{i}", "title": f"Lesson {i} \U0001f40d", "requires": [f"missing-{i}"]}
        for i in range(40)
    ]
    text = json.dumps({"course": {"id": "c", "title": "C"}, "lessons": lessons}, indent=2)
    assert "\\ud83d" in text
    (tmp_path / "c.json").write_text(text, encoding="utf-8")
    rows = text.split("\n")
    report = validate_path(tmp_path)
    missing = [i for i in report.issues if "missing-" in i.message]
    assert len(missing) == 40
    for issue in missing:
        name = issue.message.split("'")[1]
        assert issue.line is not None and f'"{name}"' in rows[issue.line - 1], issue
