"""The explorer page in a real headless browser (Debian's ``chromium``, over the DevTools pipe).

Without Chromium the test is skipped on a developer's machine, but fails in CI (``CI=true``):
``.ci/run`` installs ``chromium`` when it is missing, so a skip there would hide a broken setup.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium_cdp import Browser, browser, find_chromium

from knowledge_graph.explore import Explorer, ExplorerServer, serve
from knowledge_graph.validation import validate_path

REPO = Path(__file__).resolve().parents[2]
LESSONS_DIR = REPO / "data" / "lessons"


@pytest.fixture(scope="module")
def page() -> Iterator[Browser]:
    if find_chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    with browser() as opened:  # started before the server thread: it forks
        yield opened


@pytest.fixture(scope="module")
def server(page: Browser) -> Iterator[ExplorerServer]:
    running = serve(Explorer.from_report(validate_path(LESSONS_DIR), str(LESSONS_DIR)), 0)
    running.start()
    yield running
    running.shutdown()
    running.server_close()


def test_the_page_loads_search_finds_a_lesson_and_ticking_it_changes_the_suggestions(
    page: Browser, server: ExplorerServer
) -> None:
    page.goto(server.url)
    assert page.wait_for("document.body.dataset.ready === 'overview'")
    assert page.evaluate("explorer.cy.nodes().length") > 3
    assert "52 lessons" in page.evaluate("document.getElementById('status').textContent")
    before = page.wait_for(
        "[...document.querySelectorAll('#suggestions li')].map(li => li.dataset.id).join(',')"
    )

    # Type into the search box as an author would.
    page.evaluate(
        "(() => { const box = document.getElementById('search'); box.value = 'instaling python';"
        " box.dispatchEvent(new Event('input')); })()"
    )
    first = page.wait_for(
        "document.querySelector('#search-results li[data-id]')?.dataset.id", timeout=15
    )
    assert first == "python-intro/installing-python"
    page.evaluate("document.querySelector('#search-results li[data-id]').click()")
    assert page.wait_for("document.body.dataset.ready === 'module'")
    title = page.wait_for("document.getElementById('lesson-title').textContent")
    assert title == "Installing Python"
    assert page.evaluate("explorer.cy.$(':selected').id()") == "python-intro/installing-python"

    # Tick it as completed: the bot's suggestions change, with its reasons.
    updates = page.evaluate("document.body.dataset.suggestions")
    page.evaluate("document.getElementById('completed-toggle').click()")
    page.wait_for(f"document.body.dataset.suggestions !== '{updates}'")
    after = page.evaluate(
        "[...document.querySelectorAll('#suggestions li')].map(li => li.dataset.id).join(',')"
    )
    assert after != before and "python-intro/installing-python" not in after.split(",")
    reasons = page.evaluate("document.querySelector('#suggestions .because').textContent")
    expected = server.explorer.recommend(["python-intro/installing-python"])["suggestions"]
    assert after == ",".join(s["id"] for s in expected)
    assert reasons == f"because {expected[0]['because']}"
    node_text = page.evaluate(
        "explorer.cy.getElementById('python-intro/installing-python').data('display')"
    )
    assert node_text.startswith("✓ ")


def test_back_to_the_overview(page: Browser, server: ExplorerServer) -> None:
    page.evaluate("document.getElementById('back').click()")
    assert page.wait_for("document.body.dataset.ready === 'overview'")
    assert page.evaluate("explorer.cy.nodes('.module').length") > 3
