"""DynamoDB failing under a serving bot: botocore retries with backoff, then a clear answer.

Faults are injected below boto3's retry logic (``dynamodb_faults``), so the real standard
retry mode runs. Every test shows both the retries and what the learner is told, and that
progress is either durably saved or reported as not saved, never silently dropped.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dynamodb_faults import inject

from lambda_function import lambda_handler
from lex_bot.devtools.event_factory import slot
from lex_bot.lesson_app import services as services_module
from lex_bot.lesson_app.messages import messages_for
from lex_bot.lesson_app.progress_store import dynamodb as dynamodb_store

TABLE = "LessonProgressFaults"
EVENTS = Path(__file__).parent / "events"
LEARNER = "replay-session-1"
LESSON = "python-intro/what-is-programming"
EN = messages_for("en_US")


@pytest.fixture
def store(services: services_module.Services) -> Iterator[dynamodb_store.DynamoDBProgressStore]:
    """The bot's services with a moto DynamoDB progress store (fresh client per test)."""
    from moto import mock_aws

    with mock_aws():
        client = dynamodb_store.make_client("us-east-1")
        dynamodb_store.create_table(client, TABLE)
        store = dynamodb_store.DynamoDBProgressStore(TABLE, client=client)
        services.store = store
        yield store


def complete_event() -> dict[str, Any]:
    """The learner says they finished What Is Programming? (text, fulfilment hook)."""
    event = json.loads((EVENTS / "complete_lesson_dtmf.json").read_text())
    event = copy.deepcopy(event)
    event["inputMode"] = "Text"
    event["responseContentType"] = "text/plain; charset=utf-8"
    event["inputTranscript"] = "I finished what is programming"
    slots = event["sessionState"]["intent"]["slots"]
    slots.pop("Score", None)
    slots["LessonName"] = slot("what is programming")
    return event


def first_message(response: dict[str, Any]) -> str:
    return response["messages"][0]["content"]


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="UpdateItem throttled twice, then accepted",
    scale="3 attempts",
    outcome="retried with backoff; lesson saved; learner congratulated",
)
def test_throttled_writes_are_retried_until_saved(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    faults = inject("UpdateItem", 2, monkeypatch)
    response = lambda_handler(complete_event(), None)
    assert faults.injected == 2
    assert len(faults.sleeps) == 2 and all(delay >= 0 for delay in faults.sleeps)
    assert response["sessionState"]["intent"]["state"] == "Fulfilled"
    assert first_message(response).startswith("Well done on finishing What Is Programming?")
    assert LESSON in store.get(LEARNER).completed


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="UpdateItem throttled on every attempt",
    scale=f"{dynamodb_store.MAX_ATTEMPTS} attempts",
    outcome="retries spent; learner told it was not saved; nothing half-written",
)
def test_a_write_that_never_succeeds_is_reported_not_dropped(  # type: ignore[no-untyped-def]
    store, monkeypatch, caplog
) -> None:
    faults = inject("UpdateItem", 100, monkeypatch)
    with caplog.at_level(logging.ERROR):
        response = lambda_handler(complete_event(), None)
    assert faults.attempts == dynamodb_store.MAX_ATTEMPTS
    assert len(faults.sleeps) == dynamodb_store.MAX_ATTEMPTS - 1
    assert response["sessionState"]["intent"]["state"] == "Failed"
    assert first_message(response) == EN("problem.not_saved")
    record = next(r for r in caplog.records if r.getMessage() == "progress not saved")
    assert record.error_code == "ThrottlingException"
    assert record.operation == "complete_lesson"
    monkeypatch.undo()
    assert store.get(LEARNER).completed == {}


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="Query times out on every attempt",
    scale=f"{dynamodb_store.MAX_ATTEMPTS} attempts",
    outcome="retries spent; learner told progress is unavailable; nothing recorded; retry records",
)
def test_reads_that_time_out_give_a_polite_answer(store, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    faults = inject("Query", 100, monkeypatch, kind="timeout")
    with caplog.at_level(logging.ERROR):
        response = lambda_handler(complete_event(), None)
    assert faults.attempts == dynamodb_store.MAX_ATTEMPTS
    assert len(faults.sleeps) == dynamodb_store.MAX_ATTEMPTS - 1
    assert response["sessionState"]["intent"]["state"] == "Failed"
    assert first_message(response) == EN("problem.progress_unavailable")
    record = next(r for r in caplog.records if r.getMessage() == "progress unavailable")
    assert record.error_code == "ReadTimeoutError"
    monkeypatch.undo()
    # The lesson's state is read before anything is written: nothing was recorded, so the
    # learner's next try is the first completion.
    assert LESSON not in store.get(LEARNER).completed
    again = lambda_handler(complete_event(), None)
    assert first_message(again).startswith("Well done on finishing What Is Programming?")
    assert LESSON in store.get(LEARNER).completed


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="Query times out once, then answers",
    scale="2 attempts",
    outcome="retried; learner gets the normal answer",
)
def test_a_single_timeout_is_invisible_to_the_learner(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    faults = inject("Query", 1, monkeypatch, kind="timeout")
    response = lambda_handler(complete_event(), None)
    assert faults.injected == 1 and len(faults.sleeps) == 1
    assert response["sessionState"]["intent"]["state"] == "Fulfilled"
    assert LESSON in store.get(LEARNER).completed


@pytest.mark.reliability(
    area="Duplicate delivery",
    tried="the same CompleteLesson event delivered twice (Lambda retry)",
    scale="2 deliveries",
    outcome="second delivery hits the conditional check; nothing changes",
)
def test_a_duplicate_delivery_changes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    first = lambda_handler(complete_event(), None)
    saved = store.get(LEARNER)
    second = lambda_handler(complete_event(), None)
    assert first_message(first).startswith("Well done")
    assert first_message(second).startswith(EN("complete.again", title="What Is Programming?"))
    assert store.get(LEARNER) == saved
    assert saved.version == 1
