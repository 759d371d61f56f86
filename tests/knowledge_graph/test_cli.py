"""The authoring command line: ``python -m knowledge_graph`` (run in-process via ``main``)."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import knowledge_graph as kg
from knowledge_graph.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from knowledge_graph.diff import diff_graphs
from knowledge_graph.render import compute_layout, prerequisite_depths
from knowledge_graph.stats import compute_stats

REPO = Path(__file__).resolve().parents[2]
LESSONS_DIR = REPO / "data" / "lessons"
INTRO_FILE = LESSONS_DIR / "python-intro.yaml"

#: A small course whose two lessons share an alias (a warning, not an error).
SHARED_ALIAS_COURSE = """\
course: {id: tiny, title: Tiny}
lessons:
  - id: hello
    title: Hello
    aliases: [basics]
    next: [bye]
  - id: bye
    title: Goodbye
    aliases: [basics]
    requires: [hello]
"""


@pytest.fixture(scope="module")
def graph() -> kg.LessonGraph:
    return kg.load_graph(LESSONS_DIR)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process on the bundled graph unless --graph is given."""
    args = list(argv)
    if "--graph" not in args and args and args[0] not in {"validate", "diff"}:
        args += ["--graph", str(LESSONS_DIR)]
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------- general


def test_module_entry_point_prints_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "knowledge_graph", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    for command in (
        "validate",
        "compile",
        "stats",
        "recommend",
        "path",
        "find",
        "render",
        "diff",
        "explore",
    ):
        assert command in done.stdout


@pytest.mark.parametrize(
    "command", ["validate", "compile", "stats", "recommend", "path", "find", "render", "diff"]
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    assert main([command, "--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "--graph" in out and f"usage: python -m knowledge_graph {command}" in out


@pytest.mark.parametrize("command", ["evaluate", "validate", "stats"])
def test_help_shows_no_escaped_percent_signs(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # argparse %-formats help strings but prints a description as written
    assert main([command, "--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "%%" not in out
    if command == "evaluate":
        assert "95% bootstrap" in " ".join(out.split())


@pytest.mark.parametrize(
    "argv", [[], ["bogus"], ["recommend", "-k", "0"], ["find"], ["diff", "only-one"]]
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == EXIT_USAGE
    assert "usage:" in capsys.readouterr().err


def test_graph_location_defaults_to_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "tiny.yaml").write_text(SHARED_ALIAS_COURSE)
    monkeypatch.setenv("LESSON_GRAPH_PATH", str(tmp_path))
    assert main(["stats"]) == EXIT_OK
    assert "2 lessons in 1 course(s)" in capsys.readouterr().out


def test_missing_graph_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "stats", "--graph", str(tmp_path / "nowhere"))
    assert code == EXIT_INVALID
    assert "no such file or directory" in err


# ---------------------------------------------------------------------- validate


def test_validate_sample_course_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(LESSONS_DIR), "--strict")
    assert code == EXIT_OK
    assert "OK:" in out and "0 errors, 0 warnings in 2 files" in out


def test_validate_reports_file_and_line_of_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "python-intro.yaml"
    text = INTRO_FILE.read_text().replace("requires: [booleans]", "requires: [boolean]", 1)
    broken.write_text(text)
    line = text.splitlines().index("    requires: [boolean]") + 1

    code, out, _ = run(capsys, "validate", str(broken))

    assert code == EXIT_INVALID
    assert f"{broken}:{line}: error [python-intro/conditionals] requires:" in out
    assert "did you mean 'booleans'" in out
    assert "FAILED" in out


def test_validate_warnings_fail_only_with_strict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    course = tmp_path / "tiny.yaml"
    course.write_text(SHARED_ALIAS_COURSE)
    code, out, _ = run(capsys, "validate", str(course))
    assert code == EXIT_OK
    assert "warning" in out and "alias" in out
    assert run(capsys, "validate", str(course), "--strict")[0] == EXIT_INVALID


def test_validate_colour_and_json_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    course = tmp_path / "tiny.yaml"
    course.write_text(SHARED_ALIAS_COURSE)
    _, coloured, _ = run(capsys, "validate", str(course), "--color", "always")
    assert "\x1b[" in coloured and "alias-collision" in coloured
    _, plain, _ = run(capsys, "validate", str(course), "--color", "never")
    assert "\x1b[" not in plain
    code, out, _ = run(capsys, "validate", str(course), "--json", "--strict")
    data = json.loads(out)
    assert code == EXIT_INVALID and data["ok"] is False
    assert [i["code"] for i in data["issues"]] == ["alias-collision"]


# ------------------------------------------------------------------------- stats


def test_stats_summarises_the_sample(
    capsys: pytest.CaptureFixture[str], graph: kg.LessonGraph
) -> None:
    code, out, _ = run(capsys, "stats")
    assert code == EXIT_OK
    assert f"{len(graph)} lessons in 2 course(s)" in out
    assert "python-intro: Getting Started" in out
    for kind in ("requires", "requires_any", "recommends", "related", "next"):
        assert f"  {kind} " in out
    assert "Longest prerequisite chain" in out and "What Is Programming?" in out


def test_compute_stats_numbers_are_consistent(graph: kg.LessonGraph) -> None:
    stats = compute_stats(graph)
    assert stats.lessons == len(graph) == sum(stats.modules.values())
    assert stats.total_minutes == sum(lesson.minutes for lesson in graph.lessons())
    assert stats.roots == ("python-intro/what-is-programming",)
    chain = stats.longest_chain
    depths = prerequisite_depths(graph.graph)
    assert len(chain) == max(depths.values()) + 1
    assert all(graph.graph.has_edge(u, v) for u, v in itertools.pairwise(chain))


# --------------------------------------------------------------------- recommend


def test_recommend_prints_ranked_lessons_with_reasons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "recommend", "--completed", "hello-world,variables", "--goal", "OOP", "-k", "2"
    )
    assert code == EXIT_OK
    assert "Suggestions for 2 completed lessons, goal: Classes and Objects" in out
    assert " 1. " in out and " 2. " in out and " 3. " not in out
    assert "it is the next step toward your goal, Classes and Objects" in out


def test_recommend_words_reasons_in_the_chosen_locale(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["recommend", "--completed", "hello-world,variables", "--goal", "OOP", "-k", "1"]
    code, out, _ = run(capsys, *argv, "--locale", "es_US")
    assert code == EXIT_OK
    assert "es el siguiente paso hacia tu meta, Classes and Objects" in out
    code, _, err = run(capsys, *argv, "--locale", "fr_FR")
    assert code == EXIT_USAGE and "--locale" in err


def test_recommend_json_excludes_completed_lessons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = "python-intro/installing-python,hello world,vars"  # ids, titles and aliases
    code, out, _ = run(capsys, "recommend", "--completed", done, "--json", "-k", "4")
    results = json.loads(out)
    assert code == EXIT_OK and 1 <= len(results) <= 4
    completed = {
        "python-intro/installing-python",
        "python-intro/hello-world",
        "python-intro/variables",
    }
    assert not completed & {r["lesson_id"] for r in results}
    assert all(r["reasons"] and r["reasons"][0]["text"] for r in results)


def test_recommend_unknown_lesson_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "recommend", "--completed", "variabels-and-stuff-xyz")
    assert code == EXIT_INVALID
    assert "unknown lesson" in err


# -------------------------------------------------------------------------- path


def test_path_lists_steps_and_total(
    capsys: pytest.CaptureFixture[str], graph: kg.LessonGraph
) -> None:
    done = "installing-python,hello-world,variables,booleans,conditionals,for-loops"
    code, out, _ = run(capsys, "path", "classes", "--completed", done)
    assert code == EXIT_OK
    plan = graph.path_to("python-intro/classes", done.split(","))
    lines = out.splitlines()
    assert lines[0].startswith("Path to Classes and Objects")
    assert "Classes and Objects" in lines[-2]
    assert lines[-1].startswith(f"Total: {plan.total_minutes} min")


def test_path_json_steps_respect_prerequisites(
    capsys: pytest.CaptureFixture[str], graph: kg.LessonGraph
) -> None:
    code, out, _ = run(capsys, "path", "unit tests", "--json")
    data = json.loads(out)
    assert code == EXIT_OK and data["goal"] == "python-intro/unit-testing"
    steps = [s["lesson_id"] for s in data["steps"]]
    assert data["total_minutes"] == sum(s["minutes"] for s in data["steps"])
    for i, step in enumerate(steps):
        assert graph.is_unlocked(step, steps[:i])


def test_path_to_a_completed_goal(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "path", "hello-world", "--completed", "installing-python,hello-world"
    )
    assert code == EXIT_OK and "already completed" in out


# -------------------------------------------------------------------------- find


def test_find_shows_confidence_of_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "find", "dicts")
    assert code == EXIT_OK
    first = out.splitlines()[0]
    assert first.startswith("* 100%") and "[python-intro/dictionaries]" in first


def test_find_marks_ambiguity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(SHARED_ALIAS_COURSE)
    code, out, _ = run(capsys, "find", "basics", "--graph", str(tmp_path))
    assert code == EXIT_OK
    marked = [line for line in out.splitlines() if line.startswith("?")]
    assert len(marked) == 2
    assert "ambiguous" in out


def test_find_nothing_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "find", "qqqqzzzz")
    assert code == EXIT_INVALID and "no lesson matches" in out


# ------------------------------------------------------------------------ render


def test_render_writes_png_and_svg(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png, svg = tmp_path / "graph.png", tmp_path / "graph.svg"
    code, out, _ = run(
        capsys,
        "render",
        "--out",
        str(png),
        "--completed",
        "hello-world,variables",
        "--goal",
        "functions",
    )
    assert code == EXIT_OK and str(png) in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000

    code, _, _ = run(capsys, "render", "--out", str(svg), "--course", "python-testing")
    assert code == EXIT_OK
    text = svg.read_text()
    assert "<svg" in text and svg.stat().st_size > 10_000


@pytest.mark.parametrize(
    "extra", [["--out", "graph.gif"], ["--course", "nope"], ["--goal", "qqqqzzzz"]]
)
def test_render_rejects_bad_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str]
) -> None:
    argv = ["render", "--out", str(tmp_path / "g.png"), *extra]
    if extra[0] == "--out":
        argv = ["render", "--out", str(tmp_path / extra[1])]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_INVALID and err.startswith("error:")
    assert not list(tmp_path.iterdir())


def test_layout_puts_prerequisites_left_and_lessons_in_distinct_cells(
    graph: kg.LessonGraph,
) -> None:
    layout = compute_layout(graph)
    positions = layout.positions
    assert set(positions) == {lesson.id for lesson in graph.lessons()}
    assert len(set(positions.values())) == len(positions)
    for u, v, data in graph.graph.edges(data=True):
        if {"requires", "requires_any"} & data["kinds"].keys():
            assert positions[u][0] < positions[v][0], (u, v)
    for lesson in graph.lessons():  # each lesson sits inside its module's band
        band = next(
            b for b in layout.bands if (b.course, b.module) == (lesson.course, lesson.module)
        )
        assert band.top <= positions[lesson.id][1] < band.top + band.rows


# -------------------------------------------------------------------------- diff


def _edit_copy(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(LESSONS_DIR, old)
    shutil.copytree(LESSONS_DIR, new)
    intro = new / "python-intro.yaml"
    text = intro.read_text()
    text = text.replace("title: Recursion\n", "title: Recursive Functions\n", 1)
    text = text.replace("    related: [{id: nested-loops, weight: 0.3}]\n", "", 1)
    text += (
        "\n  - id: generators\n    title: Generators and yield\n    module: Functions\n"
        "    requires: [functions]\n"
    )
    intro.write_text(text)
    return old, new


def test_diff_reports_added_lesson_removed_link_and_changed_title(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old, new = _edit_copy(tmp_path)
    code, out, _ = run(capsys, "diff", str(old), str(new))
    assert code == EXIT_OK
    assert "+ lesson python-intro/generators" in out
    assert "~ lesson python-intro/recursion: title changed" in out
    assert "'Recursion' -> 'Recursive Functions'" in out
    assert "- link   python-intro/nested-loops related python-intro/recursion" in out
    assert "+ link   python-intro/generators requires python-intro/functions" in out


def test_diff_json_and_identical_graphs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, graph: kg.LessonGraph
) -> None:
    old, new = _edit_copy(tmp_path)
    code, out, _ = run(capsys, "diff", str(old), str(new), "--json")
    data = json.loads(out)
    assert code == EXIT_OK
    assert data["lessons_added"] == ["python-intro/generators"]
    assert [c["lesson_id"] for c in data["lessons_changed"]] == ["python-intro/recursion"]
    assert len(data["edges_removed"]) == 1  # a related pair is one link
    assert diff_graphs(graph, kg.load_graph(old)).is_empty
    _, same, _ = run(capsys, "diff", str(old), str(LESSONS_DIR))
    assert "no differences" in same


def test_diff_reports_reweighted_links(graph: kg.LessonGraph) -> None:
    changed = graph.graph.copy()
    edge = changed.edges["python-intro/parameters", "python-intro/return-values"]
    edge["kinds"] = {**edge["kinds"], "recommends": 0.9}  # a new dict: the original is kept
    result = diff_graphs(graph, changed)
    assert [(e.kind, e.old_weight, e.new_weight) for e in result.edges_reweighted] == [
        ("recommends", 0.7, 0.9)
    ]
    assert not result.edges_added and not result.edges_removed and not result.lessons_changed


def test_diff_reports_a_renamed_lesson_as_a_rename_with_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(LESSONS_DIR, old)
    shutil.copytree(LESSONS_DIR, new)
    intro = new / "python-intro.yaml"
    intro.write_text(intro.read_text().replace("while-loops", "while-loop"))
    code, out, _ = run(capsys, "diff", str(old), str(new))
    assert code == EXIT_OK
    assert "> lesson python-intro/while-loops -> python-intro/while-loop" in out
    assert (
        "warning: lesson python-intro/while-loops was renamed to python-intro/while-loop "
        "(same title): learners' progress recorded under 'while-loops' is lost; keep the old "
        "id (rename it back), or at least add 'while-loops' to the aliases of "
        "python-intro/while-loop" in out
    )
    assert "+ lesson" not in out and "- lesson" not in out
    assert "link   " not in out  # its links moved with it
    data = json.loads(run(capsys, "diff", str(old), str(new), "--json")[1])
    assert data["renamed"][0]["evidence"] == "same title"
    assert "progress" in data["renamed"][0]["warning"]


def test_diff_recognises_a_rename_with_a_new_title_by_its_content() -> None:
    import networkx as nx

    def graph(key: str, title: str) -> nx.DiGraph:
        g = nx.DiGraph(courses={})
        g.add_node("c/a", course="c", title="A")
        g.add_node(f"c/{key}", course="c", title=title, summary="Loops", module="M")
        g.add_edge("c/a", f"c/{key}", kinds={"requires": 1.0})
        return g

    result = diff_graphs(graph("loops", "Loops"), graph("iteration", "Iteration"))
    assert [(r.old_id, r.new_id, r.evidence) for r in result.renamed] == [
        ("c/loops", "c/iteration", "same content")
    ]
    assert [c.fields for c in result.lessons_changed] == [("title",)]
    assert not result.edges_added and not result.edges_removed


def test_diff_names_the_folder_whose_files_are_broken(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(LESSONS_DIR, broken)
    course = broken / "python-intro.yaml"
    course.write_text(course.read_text().replace("requires: [installing-python]", "requires: [x9]"))
    for old, new in ((LESSONS_DIR, broken), (broken, LESSONS_DIR)):
        code, _, err = run(capsys, "diff", str(old), str(new))
        assert code == EXIT_INVALID
        assert f"{broken}: the course files have errors" in err
        assert f"validate {broken}" in err
        assert f"{LESSONS_DIR}: the course files" not in err
