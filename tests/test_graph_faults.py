"""The lesson graph failing under a serving bot: the last good graph keeps serving."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from knowledge_graph import GraphLoader
from lambda_function import lambda_handler
from lex_bot.devtools.event_factory import lex_event
from lex_bot.lesson_app import services as services_module
from lex_bot.lesson_app.progress_store import open_progress_store

ROOT = Path(__file__).resolve().parents[1]


def recommend_event() -> dict:
    return lex_event("RecommendNextLesson", transcript="what next", session_id="replay-session-1")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def live_graph(tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "lessons"
    shutil.copytree(ROOT / "data" / "lessons", folder)
    clock = Clock()
    loader = GraphLoader(str(folder), check_interval=30, clock=clock)
    services_module.use_services(
        services_module.Services(graph_loader=loader, store=open_progress_store("memory://"))
    )
    return folder, clock, loader


def answer() -> str:
    response = lambda_handler(recommend_event(), None)
    return response["messages"][0]["content"]


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="the lesson graph directory deleted while the bot serves",
    scale="1 reload",
    outcome="the last good graph keeps serving; an error is logged",
)
def test_graph_deleted_while_serving_keeps_last_good(
    live_graph, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    folder, clock, _ = live_graph
    first = answer()
    shutil.rmtree(folder)
    clock.now += 31
    with caplog.at_level(logging.ERROR):
        assert answer() == first
    assert any(r.levelno >= logging.ERROR for r in caplog.records)


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="a half-saved (invalid) lesson file left in place, then the author's fix",
    scale="4 checks",
    outcome="not taken before it settles, then refused and logged; the last good graph "
    "serves until the fix, which is taken once it has settled",
)
def test_half_saved_file_keeps_last_good_then_fix_is_picked_up(
    live_graph, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    folder, clock, loader = live_graph
    first = answer()
    path = folder / "python-intro.yaml"
    good = path.read_text()
    path.write_text(good[: len(good) // 2])  # an author's editor saved half the file
    os.utime(path, ns=(1, 1))
    clock.now += 31
    with caplog.at_level(logging.ERROR):
        assert answer() == first  # seen once: still settling
        assert "python-intro.yaml" not in caplog.text
        clock.now += loader.settle_seconds
        assert answer() == first  # settled, checked, refused
    assert "python-intro.yaml" in caplog.text
    path.write_text(good.replace("title: Hello, World!", "title: Hello, Wide World!", 1))
    os.utime(path, ns=(2, 2))
    clock.now += 31
    answer()
    assert loader.get().lesson("python-intro/hello-world").title == "Hello, World!"
    clock.now += loader.settle_seconds
    answer()
    assert loader.get().lesson("python-intro/hello-world").title == "Hello, Wide World!"


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="a lesson file made unreadable (permissions)",
    scale="1 reload",
    outcome="the last good graph keeps serving",
)
def test_unreadable_file_keeps_last_good(live_graph) -> None:  # type: ignore[no-untyped-def]
    folder, clock, _ = live_graph
    first = answer()
    path = folder / "python-intro.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    os.utime(path, ns=(5, 5))
    clock.now += 31
    assert answer() == first


@pytest.mark.reliability(
    area="Lesson graph faults",
    tried="no valid graph at start-up",
    scale="1 turn",
    outcome="a polite 'course unavailable' answer, valid for Lex",
)
def test_no_graph_ever_loaded_gives_a_polite_answer(tmp_path: Path) -> None:
    loader = GraphLoader(str(tmp_path / "missing"), check_interval=30)
    services_module.use_services(
        services_module.Services(graph_loader=loader, store=open_progress_store("memory://"))
    )
    response = lambda_handler(recommend_event(), None)
    assert "isn't available" in response["messages"][0]["content"]
    assert response["sessionState"]["intent"]["state"] == "Failed"
