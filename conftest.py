"""Doctests: every docstring example in the packages runs in ``make test``.

Examples run from the repository root (so ``data/lessons`` resolves) against fresh services:
the bundled lesson graph and an in-memory progress store, with handler logs and metrics
silenced so that only what an example prints is compared.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    """Names the examples share: the bundled course as ``graph`` and a local NLU ``nlu``."""
    from knowledge_graph import load_graph

    doctest_namespace["load_graph"] = load_graph
    doctest_namespace["graph"] = _bundled_graph()
    doctest_namespace["nlu"] = _bundled_nlu()


@functools.cache
def _bundled_graph():
    from knowledge_graph import load_graph

    return load_graph(Path(__file__).parent / "data" / "lessons")


@functools.cache
def _bundled_nlu():
    from lex_bot.devtools.local_nlu import LocalNlu

    return LocalNlu.for_graph(_bundled_graph(), "en_US")


@pytest.fixture(autouse=True)
def _doctest_services(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    if not isinstance(request.node, DoctestItem):
        yield
        return
    from lex_bot.lesson_app import services
    from lex_bot.lesson_app.progress_store import open_progress_store
    from lex_bot.lexv2.observability import get_logger

    monkeypatch.chdir(request.config.rootpath)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    logger = get_logger()
    level = logger.log_level
    logger.setLevel(logging.ERROR)
    for name in ("lex_bot", "knowledge_graph"):  # the loggers sharing its output
        monkeypatch.setattr(logging.getLogger(name), "level", logging.ERROR)
    services.use_services(services.Services(store=open_progress_store("memory://")))
    yield
    services.use_services(None)
    logger.setLevel(level)
