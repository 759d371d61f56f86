"""Validation at real scale: a report by root cause, messages that say how to fix, no cascades.

The graphs are generated in the shapes found when public prerequisite graphs were converted
to the course format (Junyi: a 3-cycle with hundreds of lessons behind it; UIUC: 13 self-loops
and 13 separate tangles; a broken file that another file references).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import networkx as nx
import pytest

from knowledge_graph.cli import EXIT_INVALID, EXIT_OK, main
from knowledge_graph.sources import RawDocument
from knowledge_graph.validation import validate_documents, validate_path
from knowledge_graph.validation.issues import Severity, ValidationIssue, ValidationReport

HEADER = "course:\n  id: c\n  title: C\nlessons:\n"


def lesson(key: str, *, requires: list[str] = (), extra: str = "") -> str:
    """One lesson in block style."""
    text = f"  - id: {key}\n    title: Lesson {key}\n"
    if requires:
        text += f"    requires: [{', '.join(requires)}]\n"
    return text + extra


def validate_text(text: str, name: str = "c.yaml", **kwargs: object) -> ValidationReport:
    return validate_documents([RawDocument.from_text(name, text)], **kwargs)  # type: ignore[arg-type]


def only(report: ValidationReport, code: str) -> ValidationIssue:
    found = [i for i in report.issues if i.code == code]
    assert len(found) == 1, report.format(verbose=True)
    return found[0]


# ------------------------------------------------------------------------- root causes


def cycle_with_dependents(dependents: int) -> str:
    """A start lesson, a 3-cycle a -> b -> c -> a, and a chain and fan of dependents."""
    text = HEADER + lesson("start", extra="    next: [a]\n")
    text += lesson("a", requires=["c", "start"]) + lesson("b", requires=["a"])
    text += lesson("c", requires=["b"])
    for i in range(dependents):
        text += lesson(f"d{i}", requires=["c" if i % 3 == 0 else f"d{i - 1}"])
    return text


def test_a_cycle_with_200_dependents_is_one_cause_in_at_most_five_lines() -> None:
    report = validate_text(cycle_with_dependents(200))
    lines = [*report.format().splitlines(), report.summary()]
    assert len(lines) <= 5, "\n".join(lines)
    assert lines[0].startswith("c.yaml:10: error [c/a] requires: prerequisite cycle: a -> c -> b")
    assert lines[1].startswith("    fix: break the loop at one link")
    assert lines[2] == (
        "    ... and 200 lessons that depend on them can never be started (--verbose lists them)"
    )
    assert report.summary() == "201 errors (1 cause, 200 follow-on), 0 warnings in 1 file"
    assert [i.code for i in report.causes] == ["cycle"]
    assert len(report.follow_ons(report.causes[0])) == 200
    assert all(i.cause == "c/a" for i in report.issues if i.code == "unsatisfiable")


def test_verbose_lists_every_follow_on_under_its_cause() -> None:
    report = validate_text(cycle_with_dependents(20))
    lines = report.format(verbose=True).splitlines()
    assert "prerequisite cycle" in lines[0]
    follow = [line for line in lines if "can never be started:" in line]
    assert len(follow) == 20 and all(line.startswith("    c.yaml:") for line in follow)


def test_a_two_lesson_cycle_with_two_dependents_is_one_cause() -> None:
    text = HEADER + lesson("a", requires=["b"]) + lesson("b", requires=["a"])
    text += lesson("x", requires=["a"]) + lesson("y", requires=["x"])
    report = validate_text(text)
    assert len(report.causes) == 1 and report.causes[0].code == "cycle"
    assert "... and 2 lessons that depend on them" in report.format()


def separate_cycles(n: int) -> str:
    text = HEADER
    for k in range(n):
        size = 2 + k % 3
        for j in range(size):
            text += lesson(f"t{k}-{j}", requires=[f"t{k}-{(j + 1) % size}"])
        text += lesson(f"after{k}", requires=[f"t{k}-0"])
    return text


def test_thirteen_separate_cycles_and_self_loops_are_all_reported_in_one_run() -> None:
    text = separate_cycles(13)
    for k in range(13):
        text += lesson(f"self{k}", requires=[f"self{k}"])
    report = validate_text(text)
    cycles = [i for i in report.issues if i.code == "cycle"]
    assert len(cycles) == 13
    assert {i.lesson for i in cycles} == {f"t{k}-0" for k in range(13)}
    assert len([i for i in report.issues if i.code == "self-loop"]) == 13
    assert all(i.cause is not None for i in report.issues if i.code == "unsatisfiable")
    assert len(report.causes) == 26


def test_every_cycle_of_a_tangle_is_reported_and_its_fixes_untangle_it() -> None:
    # One strongly connected tangle with 4 distinct cycles through hub h.
    text = HEADER + lesson("h", requires=["p", "q", "r", "s"])
    for spoke in "pqrs":
        text += lesson(spoke, requires=[f"{spoke}2"]) + lesson(f"{spoke}2", requires=["h"])
    report = validate_text(text)
    cycles = [i for i in report.issues if i.code == "cycle"]
    assert len(cycles) == 4, report.format()
    assert all("tangled among 9 lessons" in i.message for i in cycles)
    # Remove the link each fix names: no cycle is left.
    graph = report.draft_graph.copy()
    for issue in cycles:
        fix = issue.hint or ""
        target = fix.split("move '", 1)[1].split("'", 1)[0]
        graph.remove_edge(f"c/{target}", f"c/{issue.lesson}")
    hard = nx.DiGraph(
        (u, v) for u, v, d in graph.edges(data="kinds") if "requires" in d or "requires_any" in d
    )
    assert nx.is_directed_acyclic_graph(hard)


# ----------------------------------------------------------------------- broken files


def test_a_file_that_cannot_be_parsed_gives_one_depends_on_broken_file_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "python-intro.yaml").write_text(
        "course:\n  id: python-intro\n  title: Intro\nlessons:\n"
        "  - id: strings\n    title: Strings\n\t- id: lists\n    title: Lists\n"
    )
    (tmp_path / "python-testing.yaml").write_text(
        "course:\n  id: python-testing\n  title: Testing\nlessons:\n"
        "  - id: unit-testing\n    title: Unit Testing\n"
        "    requires: [python-intro/strings, python-intro/lists]\n"
        "    recommends: [python-intro/functions, python-intro/loops]\n"
    )
    report = validate_path(tmp_path)
    text = report.format()
    assert "unknown course" not in text and "did you mean" not in text
    issue = only(report, "broken-dependency")
    assert issue.file.endswith("python-testing.yaml") and issue.lesson == "unit-testing"
    assert issue.message == (
        f"depends on broken file {tmp_path / 'python-intro.yaml'}: 4 references into it, "
        "to 4 lessons ('python-intro/strings', 'python-intro/lists', 'python-intro/functions', "
        "...), cannot be checked until it is fixed"
    )
    assert issue.hint == f"fix the errors reported for {tmp_path / 'python-intro.yaml'} first"
    assert [i.code for i in report.causes] == ["parse-error", "broken-dependency"]


def test_the_broken_file_line_names_each_lesson_once(tmp_path: Path) -> None:
    (tmp_path / "python-intro.yaml").write_text(
        "course:\n  id: python-intro\n  title: Intro\nlessons:\n\t- id: strings\n"
    )
    (tmp_path / "python-testing.yaml").write_text(
        "course:\n  id: python-testing\n  title: Testing\nlessons:\n"
        "  - id: unit-testing\n    title: Unit Testing\n"
        "    requires: [python-intro/strings]\n"
        "    related: [python-intro/strings, python-intro/lists]\n"
    )
    issue = only(validate_path(tmp_path), "broken-dependency")
    assert "3 references into it, to 2 lessons ('python-intro/strings', 'python-intro/lists')" in (
        issue.message
    )


def test_a_file_cut_in_half_does_not_suggest_wrong_lessons(tmp_path: Path) -> None:
    whole = "course:\n  id: python-intro\n  title: Intro\nlessons:\n" + "".join(
        f"  - id: {k}\n    title: {k.title()}\n" for k in ("strings", "lists", "functions")
    )
    (tmp_path / "python-intro.yaml").write_text(whole[: whole.index("functions") + 4])
    (tmp_path / "python-testing.yaml").write_text(
        "course:\n  id: python-testing\n  title: Testing\nlessons:\n"
        "  - id: unit-testing\n    title: Unit Testing\n    requires: [python-intro/functions]\n"
    )
    report = validate_path(tmp_path)
    assert "did you mean" not in report.format()
    assert "depends on broken file" in only(report, "broken-dependency").message


# --------------------------------------------------------------- messages that say how


@pytest.mark.parametrize(
    ("body", "message", "hint"),
    [
        (
            "  - id: a\n    title: 2024\n",
            "title: must be text, but this is the number 2024",
            'quote it: title: "2024"',
        ),
        (
            "  - id: a\n    title: Yes\n",
            "title: must be text, but this is Yes, which YAML reads as the boolean true",
            'quote it: title: "Yes"',
        ),
        (
            "  - {id: '76', title: Seventy-six}\n  - id: a\n    title: A\n    requires: [76]\n",
            "requires: requires[0]: a reference is a lesson id ('loops' or 'course/loops') or "
            "{id: loops, weight: 0.5}, but this is the number 76",
            'quote the id: "76"',
        ),
        (
            "  - {id: a, title: A}\n  - {id: b, title: B}\n"
            "  - id: x\n    title: X\n    requires_any: [a, b]\n",
            "requires_any: requires_any holds groups of lessons, each group a list of which one "
            "lesson must be completed; a plain list of lessons is not a group",
            "write requires_any: [[a, b]] for 'one of a, b' (or requires: [...] if every one "
            "is needed)",
        ),
        (
            "  - id: a\n    title: A\n    minutes: '15'\n",
            "minutes: must be a whole number, but this is the text '15'",
            "remove the quotes: minutes: 15",
        ),
    ],
    ids=["number-title", "boolean-title", "number-reference", "requires-any-flat", "text-number"],
)
def test_type_mistakes_get_one_message_with_a_fix(body: str, message: str, hint: str) -> None:
    report = validate_text(HEADER + body)
    assert len(report.errors) == 1, report.format()
    issue = report.errors[0]
    assert issue.format().split(" ", 3)[3] == message
    assert issue.hint == hint
    assert "Reference" not in issue.message and "dictionary" not in issue.message


def test_a_tab_before_a_list_item_says_to_use_spaces() -> None:
    issue = only(validate_text(HEADER + "  - {id: a, title: A}\n\t- id: b\n"), "parse-error")
    assert (issue.line, issue.column) == (6, 1)
    assert issue.message == "invalid YAML: a tab character; YAML indents with spaces only"
    assert issue.hint == "replace the tab at line 6, column 1 with spaces"


def test_a_title_with_a_colon_says_to_quote_it() -> None:
    issue = only(
        validate_text(HEADER + "  - id: a\n    title: Variables: names for numbers\n"),
        "parse-error",
    )
    assert issue.line == 6 and "contains ': '" in issue.message
    assert issue.hint == 'quote the value: title: "Variables: names for numbers"'


def test_a_key_written_twice_names_the_lesson() -> None:
    issue = only(validate_text(HEADER + "  - id: a\n    title: A\n    title: B\n"), "duplicate-key")
    assert (issue.course, issue.lesson, issue.field, issue.line, issue.column) == (
        "c",
        "a",
        "title",
        7,
        5,
    )


def test_long_values_are_cut_to_an_excerpt_and_the_limit_is_named() -> None:
    report = validate_text(HEADER + "  - id: a\n    title: A\n    summary: " + "x" * 102_000 + "\n")
    issue = only(report, "invalid-value")
    assert issue.message == "is 102,000 characters long; the limit is 10,000"
    assert len(issue.format()) < 200
    slug = validate_text(HEADER + f"  - id: {'X' * 5_000}\n    title: A\n")
    assert all(len(i.format()) < 300 for i in slug.issues), slug.format()


def test_every_limit_in_the_messages_is_stated_in_format_md() -> None:
    text = (Path(__file__).resolve().parents[2] / "knowledge_graph" / "FORMAT.md").read_text()
    for limit in ("10,000 characters", "200 characters", "2,000 characters", "500 references"):
        assert limit in text, limit


# ------------------------------------------------------------------ findable lessons


def test_an_alias_equal_to_another_lessons_title_is_an_error() -> None:
    text = HEADER + "  - {id: a, title: Loops}\n  - {id: b, title: While, aliases: [loops]}\n"
    issue = only(validate_text(text), "alias-collision")
    assert issue.severity is Severity.ERROR and issue.lesson == "b"


def test_a_title_without_a_letter_or_digit_is_an_error() -> None:
    issue = only(validate_text(HEADER + "  - {id: a, title: '🐍🐍'}\n"), "empty-title")
    assert "no letter or digit" in issue.message and issue.severity is Severity.ERROR


# --------------------------------------------------------------------- warnings


def isolated_course(n: int, silence: str = "") -> str:
    header = "course:\n  id: c\n  title: C\n" + silence + "lessons:\n"
    return header + "".join(f"  - {{id: l{i}, title: Lesson {i}}}\n" for i in range(n))


def test_warnings_are_grouped_by_code_with_a_count_and_how_to_silence_them() -> None:
    report = validate_text(isolated_course(40))
    lines = report.format().splitlines()
    assert len(lines) == 4
    assert lines[3] == (
        "    ... and 37 more 'isolated' warnings (40 in all; --verbose lists them; silence "
        "them with 'silence_warnings: [isolated]' in the course block or --silence isolated)"
    )
    assert report.warning_counts() == {"isolated": 40}
    assert len(report.format(verbose=True).splitlines()) == 40


def test_a_course_can_silence_a_warning_code() -> None:
    report = validate_text(isolated_course(40, "  silence_warnings: [isolated]\n"))
    assert report.ok and report.issues == [] and report.silenced == {"isolated": 40}
    assert report.summary() == "0 errors, 0 warnings (40 silenced) in 1 file"


def test_a_run_can_silence_a_warning_code_and_errors_cannot_be_silenced() -> None:
    assert validate_text(isolated_course(3), silence=["isolated"]).silenced == {"isolated": 3}
    with pytest.raises(ValueError, match="not warning codes: cycle"):
        validate_text(isolated_course(3), silence=["cycle"])
    report = validate_text(isolated_course(3, "  silence_warnings: [isolatd]\n"))
    issue = only(report, "invalid-value")
    assert issue.field == "silence_warnings" and "did you mean 'isolated'?" in issue.message


# ---------------------------------------------------------------------------- CLI


def test_validate_format_json_gives_machine_readable_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(HEADER + "  - id: a\n    title: 2024\n")
    assert main(["validate", str(path), "--format", "json"]) == EXIT_INVALID
    data = json.loads(capsys.readouterr().out)
    (issue,) = data["issues"]
    assert issue == {
        "file": str(path),
        "line": 6,
        "column": 5,
        "course": "c",
        "lesson": "a",
        "field": "title",
        "code": "invalid-value",
        "severity": "error",
        "message": "must be text, but this is the number 2024",
        "hint": 'quote it: title: "2024"',
        "cause": None,
    }


def test_validate_verbose_and_silence_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(isolated_course(10))
    assert main(["validate", str(path), "--silence", "isolated", "--strict"]) == EXIT_OK
    assert "OK:" in capsys.readouterr().out
    assert main(["validate", str(path), "--verbose"]) == EXIT_OK
    assert capsys.readouterr().out.count("isolated") == 0  # the code is not printed in text
    assert main(["validate", str(path), "--silence", "bogus"]) == EXIT_INVALID
    assert "not warning codes: bogus" in capsys.readouterr().err


def test_format_md_documents_the_new_codes_and_keys() -> None:
    text = (Path(__file__).resolve().parents[2] / "knowledge_graph" / "FORMAT.md").read_text()
    for word in ("broken-dependency", "silence_warnings", "--silence", "--format json"):
        assert word in text, word
    assert textwrap.dedent(text)


@pytest.mark.parametrize(
    "text",
    [
        "course: x\nlessons: []\n",
        "course: {id: c, title: C, weights: 5}\nlessons: []\n",
        "course: {id: c, title: C, weights: {goal: yes}}\nlessons: []\n",
        HEADER + "  - {id: a, title: A, requires: [{id: 5}]}\n",
        HEADER + "  - {id: a, title: A, requires: [[b]]}\n",
        HEADER + "  - {id: a, title: A, requires: b}\n",
        HEADER + "  - {id: a, title: A, requires_any: [[{x: 1}]]}\n",
        HEADER + "  - {id: a, title: A, difficulty: 2.5}\n",
        HEADER + "  - {id: a, title: A, requires: [{id: b, weight: high}]}\n",
        HEADER + "  - {id: a, title: [x]}\n",
        HEADER + "  - {id: a, title: A, tags: [" + ", ".join(map(str, range(200))) + "]}\n",
    ],
)
def test_messages_never_name_internal_classes_or_parser_wording(text: str) -> None:
    report = validate_text(text)
    assert report.errors
    wording = report.format(verbose=True)
    for internal in ("Reference", "LessonSpec", "CourseHeader", "CourseWeights"):
        assert internal not in wording
    for parser in ("Input should", "dictionary", "instance of"):
        assert parser not in wording


def test_a_reused_id_is_reported_before_the_unknown_references_it_causes() -> None:
    from knowledge_graph.sources import RawDocument
    from knowledge_graph.validation import validate_documents

    # the third lesson was meant to be 'while-loops' but reuses 'for-loops': the references
    # to 'while-loops' before it are follow-ons of that root cause
    text = (
        "course: {id: c, title: C}\n"
        "lessons:\n"
        "  - {id: for-loops, title: For Loops, next: [while-loops]}\n"
        "  - {id: range, title: Range, requires: [while-loops]}\n"
        "  - {id: for-loops, title: While Loops}\n"
    )
    report = validate_documents([RawDocument.from_text("c.yaml", text)])
    assert report.errors[0].code == "duplicate-id"
    assert report.format().splitlines()[0].startswith("c.yaml:5: error [c/for-loops] id:")
