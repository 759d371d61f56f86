"""The explorer's data and HTTP API (``python -m knowledge_graph explore``), without a browser.

The page itself is tested in headless Chromium: ``test_explore_browser.py``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge_graph.explore import HOST, STATIC_DIR, Explorer, ExplorerServer, serve
from knowledge_graph.validation import validate_path

REPO = Path(__file__).resolve().parents[2]
LESSONS_DIR = REPO / "data" / "lessons"


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    return Explorer.from_report(validate_path(LESSONS_DIR), str(LESSONS_DIR))


@pytest.fixture(scope="module")
def server(explorer: Explorer) -> Iterator[ExplorerServer]:
    running = serve(explorer, 0)
    running.start()
    yield running
    running.shutdown()
    running.server_close()


def get(server: ExplorerServer, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(server.url.rstrip("/") + path, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def post(server: ExplorerServer, path: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        server.url.rstrip("/") + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_server_listens_on_loopback_only(server: ExplorerServer) -> None:
    assert HOST == "127.0.0.1" and server.server_address[0] == "127.0.0.1"
    assert server.url.startswith("http://127.0.0.1:")


def test_overview_has_one_node_per_module_and_links_with_counts(server: ExplorerServer) -> None:
    status, data = get(server, "/api/overview")
    assert status == 200
    graph = validate_path(LESSONS_DIR).graph
    modules = {(d["course"], d["module"]) for _, d in graph.nodes(data=True)}
    assert len(data["nodes"]) == len(modules)
    assert sum(n["count"] for n in data["nodes"]) == graph.number_of_nodes()
    assert all(e["count"] >= 1 for e in data["edges"])


def test_a_module_holds_its_lessons_and_marks_linked_ones_outside(
    server: ExplorerServer, explorer: Explorer
) -> None:
    box = explorer.lesson("python-intro/recursion")["box"]
    status, data = get(server, f"/api/module?box={box}")
    inside = [n for n in data["nodes"] if not n["outside"]]
    assert status == 200 and "python-intro/recursion" in {n["id"] for n in inside}
    assert {n["box"] for n in inside} == {box}
    assert all(n["box"] != box for n in data["nodes"] if n["outside"])
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    assert get(server, "/api/module?box=999")[0] == 400
    assert get(server, "/api/module?box=x")[0] == 400


def test_search_and_lesson_details(server: ExplorerServer) -> None:
    status, data = get(server, "/api/search?q=recursoin")
    assert status == 200 and data["matches"][0]["id"] == "python-intro/recursion"
    status, lesson = get(server, "/api/lesson?id=recursion")
    assert status == 200 and lesson["title"] == "Recursion" and lesson["line"]
    assert lesson["requires"] or lesson["requires_any"]
    assert get(server, "/api/lesson?id=nope")[0] == 400


def test_recommend_uses_the_bots_words_and_ticking_changes_the_suggestions(
    server: ExplorerServer, explorer: Explorer
) -> None:
    from knowledge_graph.reason_text import because

    status, fresh = post(server, "/api/recommend", {"completed": [], "k": 3})
    assert status == 200 and 1 <= len(fresh["suggestions"]) <= 3
    _, ticked = post(
        server, "/api/recommend", {"completed": ["installing-python"], "goal": "recursion"}
    )
    assert [s["id"] for s in ticked["suggestions"]] != [s["id"] for s in fresh["suggestions"]]
    graph = explorer.lesson_graph
    best = graph.recommend(
        ["python-intro/installing-python"],
        k=5,
        goal="python-intro/recursion",
        recent=["python-intro/installing-python"],
    )[0]
    assert ticked["suggestions"][0]["because"] == because(graph, best)
    assert ticked["path"]["steps"][-1]["id"] == "python-intro/recursion"
    assert post(server, "/api/recommend", {"completed": ["nope"]})[0] == 400
    assert post(server, "/api/recommend", ["not", "a", "mapping"])[0] == 400


def test_static_files_are_served_and_nothing_outside_them(server: ExplorerServer) -> None:
    with urllib.request.urlopen(server.url, timeout=10) as response:
        assert "text/html" in response.headers["Content-Type"]
        assert b"cytoscape.min.js" in response.read()
    for path in ("/../explore.py", "/%2e%2e/explore.py", "/nope.js"):
        assert get(server, path)[0] == 404


def test_problems_are_shown_on_the_lessons_they_concern(tmp_path: Path) -> None:
    shutil.copy(LESSONS_DIR / "python-intro.yaml", tmp_path)
    (tmp_path / "loops.yaml").write_text(
        "course: {id: loops, title: Loops}\nlessons:\n"
        "  - {id: a, title: A, requires: [b]}\n  - {id: b, title: B, requires: [a]}\n"
        "  - {id: c, title: C, requires: [a]}\n"
    )
    explorer = Explorer.from_report(validate_path(tmp_path), str(tmp_path))
    assert not explorer.summary()["ok"]
    problems = explorer.problem_list()
    assert [(p["code"], p["subject"], p["blocks"]) for p in problems["errors"]] == [
        ("cycle", "loops/a", 1)
    ]
    assert explorer.lesson("loops/a")["problems"][0]["code"] == "cycle"
    box = explorer.lesson("loops/a")["box"]
    assert explorer.overview()["nodes"][box]["problems"] == 2  # the cycle and its follow-on
    # suggestions are still previewed on the lessons that passed the checks
    assert explorer.recommend(["python-intro/installing-python"])["suggestions"]


def test_the_vendored_cytoscape_is_the_pinned_release_with_its_licence() -> None:
    vendor = (STATIC_DIR / "VENDOR.md").read_text()
    digest = hashlib.sha256((STATIC_DIR / "cytoscape.min.js").read_bytes()).hexdigest()
    assert digest in vendor and "3.35.0" in vendor
    assert "Permission is hereby granted" in (STATIC_DIR / "cytoscape-LICENSE.txt").read_text()


def test_a_huge_module_is_cut_into_boxes_that_open_quickly(tmp_path: Path) -> None:
    from knowledge_graph.explore import MAX_BOX_LESSONS

    lessons = "  - {id: l0, title: Lesson 0}\n" + "".join(
        f"  - {{id: l{i}, title: Lesson {i}, requires: [l{i - 1}]}}\n" for i in range(1, 450)
    )
    (tmp_path / "big.yaml").write_text("course: {id: big, title: Big}\nlessons:\n" + lessons)
    explorer = Explorer.from_report(validate_path(tmp_path), str(tmp_path))
    overview = explorer.overview()
    assert [n["count"] for n in overview["nodes"]] == [200, 200, 50]
    assert [n["label"] for n in overview["nodes"]] == [
        f"General (part {k} of 3)" for k in (1, 2, 3)
    ]
    assert [(e["source"], e["target"], e["count"]) for e in overview["edges"]] == [
        ("m0", "m1", 1),
        ("m1", "m2", 1),
    ]
    module = explorer.module(1)
    inside = [n for n in module["nodes"] if not n["outside"]]
    assert len(inside) == MAX_BOX_LESSONS and explorer.lesson("big/l250")["box"] == 1


def test_with_a_snapshot_a_lesson_shows_where_learners_went(explorer) -> None:
    from knowledge_graph.transitions import learn_transitions

    first = "python-intro/installing-python"
    explorer.transitions = learn_transitions(
        [[first, "python-intro/hello-world"]] * 6 + [[first]] * 2
    )
    try:
        learners = explorer.lesson(first)["learners"]
        assert learners == {
            "min_learners": 5,
            "finished": 8,
            "stopped": None,  # 2 learners: below the floor, not known
            "next": [
                {
                    "id": "python-intro/hello-world",
                    "title": "Hello, World!",
                    "learners": 6,
                    "share": 0.75,
                }
            ],
        }
        best = explorer.recommend([first], k=1)["suggestions"][0]
        assert best["id"] == "python-intro/hello-world"
        assert "most learners who finished Installing Python took it next" in best["because"]
    finally:
        explorer.transitions = None
    assert explorer.lesson(first)["learners"] is None
