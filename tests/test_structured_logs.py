"""Every logger of the bot writes structured JSON lines, in a real process as in Lambda."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from lambda_function import lambda_handler
from lex_bot.devtools.event_factory import lex_event, slot
from lex_bot.lesson_app import services
from lex_bot.lesson_app.progress_store import SqliteProgressStore
from knowledge_graph import GraphLoader

database = Path(sys.argv[2])
course = str(Path(sys.argv[1]) / "data" / "lessons")
services.use_services(services.Services(
    graph_loader=GraphLoader(course, check_interval=3600), store=SqliteProgressStore(database)
))
event = lex_event("CompleteLesson", {"LessonName": slot("variables", "python-intro/variables")})
lambda_handler(event, None)
database.unlink()  # the store logs a warning when it notices
lambda_handler(event, None)
try:
    GraphLoader(sys.argv[3], check_interval=0).get()  # the loader logs why there is no graph
except Exception:
    pass
"""


@pytest.mark.reliability(
    area="Logging",
    tried="warnings and errors of the progress store and the graph loader in a real process "
    "(database deleted; no lesson graph at the configured path)",
    scale="2 turns",
    outcome="each a JSON line on stdout with its structured fields and the logger's name; "
    "nothing bare on stderr",
)
def test_store_and_loader_log_json_lines(tmp_path: Path) -> None:
    env = {**os.environ, "POWERTOOLS_METRICS_DISABLED": "true", "LOG_LEVEL": "INFO"}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(ROOT), str(tmp_path / "p.db"), str(tmp_path / "no")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    by_logger = {line.get("name"): line for line in lines if line["level"] != "INFO"}
    store = by_logger["lex_bot.lesson_app.progress_store.sqlite"]
    assert store["message"].startswith("progress database deleted or replaced")
    assert store["store"] == "sqlite" and store["service"] == "lessonbot"
    loader = by_logger["knowledge_graph.loader"]
    assert loader["level"] in ("WARNING", "ERROR") and loader["service"] == "lessonbot"
