"""``render`` at any size: an overview above a threshold, a lesson's neighbourhood, a pixel
budget, and titles in any script (a font note instead of empty boxes and warning floods)."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import pytest
from PIL import Image

import knowledge_graph as kg
import knowledge_graph.fonts as fonts
from bench.generate_graph import write_graph
from knowledge_graph.cli import EXIT_INVALID, EXIT_OK, main
from knowledge_graph.fonts import FallbackFont, font_setup
from knowledge_graph.render import compute_overview, neighbourhood, render

REPO = Path(__file__).resolve().parents[2]
LESSONS_DIR = REPO / "data" / "lessons"


@pytest.fixture(scope="module")
def big_graph(tmp_path_factory: pytest.TempPathFactory) -> kg.LessonGraph:
    return kg.load_graph(write_graph(600, cache_dir=tmp_path_factory.mktemp("graphs")))


def test_above_the_threshold_render_draws_the_modules_within_the_pixel_budget(
    big_graph: kg.LessonGraph, tmp_path: Path
) -> None:
    result = render(big_graph, tmp_path / "g.png", max_pixels=4_000_000)
    assert result.view == "modules" and result.lessons == 600
    assert result.boxes == len({(n.course, n.module) for n in big_graph.lessons()})
    assert "drew the overview" in result.notes[0]
    with Image.open(result.path) as image:
        assert image.width * image.height <= 4_000_000
        assert (image.width, image.height) == (result.width_px, result.height_px)


def test_overview_counts_lessons_and_links_between_modules(big_graph: kg.LessonGraph) -> None:
    nodes = [lesson.id for lesson in big_graph.lessons()]
    view = compute_overview(big_graph, nodes)
    assert sum(len(box.lessons) for box in view.boxes) == 600
    group = {n: i for i, box in enumerate(view.boxes) for n in box.lessons}
    ordering = {"requires", "requires_any", "recommends", "next"}
    expected: dict[tuple[int, int], int] = {}
    for u, v, kinds in big_graph.graph.edges(data="kinds"):
        if ordering & set(kinds) and group[u] != group[v]:
            expected[(group[u], group[v])] = expected.get((group[u], group[v]), 0) + 1
    assert view.links == expected
    assert compute_overview(big_graph, nodes, by="courses").boxes[0].lessons == tuple(nodes)


def test_focus_draws_a_lessons_neighbourhood(big_graph: kg.LessonGraph, tmp_path: Path) -> None:
    focus = big_graph.lessons()[300].id
    nodes, reached = neighbourhood(big_graph, focus, 1, 250)
    G = big_graph.graph
    assert set(nodes) == {focus, *G.predecessors(focus), *G.successors(focus)} and reached == 1
    result = render(big_graph, tmp_path / "f.png", focus=focus, depth=1)
    assert (result.view, result.lessons) == ("lessons", len(nodes))


def test_a_deep_focus_is_reduced_to_fit_and_says_so(
    big_graph: kg.LessonGraph, tmp_path: Path
) -> None:
    focus = big_graph.lessons()[300].id
    result = render(big_graph, tmp_path / "f.svg", focus=focus, depth=50, overview_above=40)
    assert result.view == "lessons" and result.lessons <= 40
    assert result.notes[0].startswith("depth reduced from 50 to ")


def test_a_lesson_view_that_cannot_fit_the_budget_is_refused_with_advice(
    big_graph: kg.LessonGraph, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"megapixels.*--focus LESSON, --course ID"):
        render(big_graph, tmp_path / "g.png", view="lessons", max_pixels=1_000_000)


def cjk_course(tmp_path: Path) -> Path:
    (tmp_path / "zh.yaml").write_text(
        "course: {id: zh, title: 编程入门}\nlessons:\n"
        "  - {id: a, title: 变量与赋值, next: [b]}\n"
        "  - {id: b, title: '循环 🐍 Loops', requires: [a]}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_chinese_and_emoji_titles_draw_without_warnings_when_the_fonts_are_installed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    families, notes = font_setup(["变量与赋值", "循环 🐍"])
    if notes:  # .ci/run installs the fonts: only a developer's machine may lack them
        if os.environ.get("CI") == "true":
            pytest.fail(f"fonts missing in CI, .ci/run installs them: {notes}")
        pytest.skip(f"fonts missing on this machine: {notes}")
    assert families == ["DejaVu Sans", "Noto Sans CJK JP", "Symbola"]
    graph = kg.load_graph(cjk_course(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        caplog.set_level(logging.WARNING)
        result = render(graph, tmp_path / "zh.png")
    assert result.notes == () and not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_missing_font_gives_one_note_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = (
        FallbackFont("No Such CJK", "NoSuchCJK", "fonts-noto-cjk", "CJK"),
        FallbackFont("No Such Emoji", "NoSuchEmoji", "fonts-symbola", "emoji and symbols"),
    )
    monkeypatch.setattr(fonts, "FALLBACK_FONTS", absent)
    folder = cjk_course(tmp_path)
    code = main(["render", "--graph", str(folder), "--out", str(tmp_path / "zh.png")])
    out, err = capsys.readouterr()
    assert code == EXIT_OK and err == ""
    notes = [line for line in out.splitlines() if line.startswith("note:")]
    assert len(notes) == 2
    assert "need a CJK font and are drawn as empty boxes: install fonts-noto-cjk" in notes[0]
    assert "'🐍'" in notes[1] and "apt-get install fonts-symbola" in notes[1]


def test_render_cli_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], big_graph: kg.LessonGraph
) -> None:
    out = tmp_path / "g.png"
    argv = ["render", "--graph", str(LESSONS_DIR), "--out", str(out)]
    assert main([*argv, "--focus", "recursion", "--depth", "1"]) == EXIT_OK
    assert "(lessons: " in capsys.readouterr().out
    assert main([*argv, "--view", "modules"]) == EXIT_OK
    assert "(modules: " in capsys.readouterr().out
    assert main([*argv, "--view", "lessons", "--max-pixels", "1000"]) == EXIT_INVALID
    assert "megapixels" in capsys.readouterr().err
