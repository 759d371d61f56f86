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
from types import SimpleNamespace
from typing import Any

import pytest
from dynamodb_faults import inject

from knowledge_graph.aws_clients import DYNAMODB_TURN
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


def lambda_context(request_id: str) -> SimpleNamespace:
    """What the handler reads of a Lambda context: the request id."""
    return SimpleNamespace(aws_request_id=request_id)


WELL_DONE = "Well done on finishing “What Is Programming?”!"


# ----------------------------------------------------------------------------- throttling


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="the completion's TransactWriteItems throttled on every attempt but the last, then "
    "accepted",
    scale=f"{DYNAMODB_TURN.max_attempts} attempts",
    outcome="retried with backoff; lesson saved; learner congratulated",
)
def test_throttled_writes_are_retried_until_saved(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    throttled = DYNAMODB_TURN.max_attempts - 1
    faults = inject("TransactWriteItems", throttled, monkeypatch)
    response = lambda_handler(complete_event(), None)
    assert throttled >= 1 and faults.injected == throttled
    assert len(faults.sleeps) == throttled and all(delay >= 0 for delay in faults.sleeps)
    assert response["sessionState"]["intent"]["state"] == "Fulfilled"
    assert first_message(response).startswith(WELL_DONE)
    assert LESSON in store.get(LEARNER).completed
    assert store.get(LEARNER).version == 1


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="the completion's TransactWriteItems throttled on every attempt",
    scale=f"{DYNAMODB_TURN.max_attempts} attempts",
    outcome="retries spent; read back: not there; learner told it was not saved; nothing written",
)
def test_a_write_that_never_succeeds_is_reported_not_dropped(  # type: ignore[no-untyped-def]
    store, monkeypatch, caplog
) -> None:
    faults = inject("TransactWriteItems", 100, monkeypatch)
    with caplog.at_level(logging.ERROR):
        response = lambda_handler(complete_event(), None)
    assert faults.attempts == DYNAMODB_TURN.max_attempts
    assert len(faults.sleeps) == DYNAMODB_TURN.max_attempts - 1
    assert response["sessionState"]["intent"]["state"] == "Failed"
    assert first_message(response) == EN("problem.not_saved")
    record = next(r for r in caplog.records if r.getMessage() == "progress not saved")
    assert record.error_code == "ThrottlingException"
    assert record.operation == "complete_lesson"
    monkeypatch.undo()
    assert store.get(LEARNER).completed == {} and store.get(LEARNER).version == 0


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="Query times out on every attempt before a completion",
    scale=f"{DYNAMODB_TURN.max_attempts} attempts",
    outcome="retries spent; nothing written; learner told progress can't be reached; saying "
    "it again works",
)
def test_reads_that_time_out_give_a_polite_answer(store, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    faults = inject("Query", 100, monkeypatch, kind="timeout")
    with caplog.at_level(logging.ERROR):
        response = lambda_handler(complete_event(), None)
    assert faults.attempts == DYNAMODB_TURN.max_attempts
    assert len(faults.sleeps) == DYNAMODB_TURN.max_attempts - 1
    assert response["sessionState"]["intent"]["state"] == "Failed"
    # The lesson's state is read before anything is written.
    assert first_message(response) == EN("problem.progress_unavailable")
    record = next(r for r in caplog.records if r.getMessage() == "progress unavailable")
    assert record.error_code == "ReadTimeoutError"
    monkeypatch.undo()
    assert store.get(LEARNER).completed == {}
    again = lambda_handler(complete_event(), None)
    assert first_message(again).startswith(WELL_DONE)


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


# ----------------------------------------------------------------------------- answers lost


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="write applied, answer lost on the first attempt (botocore retries; the retry's "
    "condition fails)",
    scale="2 attempts",
    outcome="newness decided by the first application: learner congratulated, version 1",
)
def test_a_write_whose_first_answer_is_lost_is_still_new(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    faults = inject("TransactWriteItems", 0, monkeypatch, plan=["lost"])
    response = lambda_handler(complete_event(), None)
    assert faults.attempts == 2 and faults.injected == 1
    assert response["sessionState"]["intent"]["state"] == "Fulfilled"
    assert first_message(response).startswith(WELL_DONE)
    progress = store.get(LEARNER)
    assert list(progress.completed) == [LESSON] and progress.version == 1


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="throttled on every attempt but the last, then the last attempt applied and its "
    "answer lost",
    scale=f"{DYNAMODB_TURN.max_attempts} attempts, then one read back",
    outcome="retries spent, read back finds the write: learner congratulated, version 1",
)
def test_a_write_whose_last_answer_is_lost_is_reported_saved(  # type: ignore[no-untyped-def]
    store, monkeypatch, caplog
) -> None:
    plan = ["throttle"] * (DYNAMODB_TURN.max_attempts - 1) + ["lost"]
    faults = inject("TransactWriteItems", 0, monkeypatch, plan=plan)
    with caplog.at_level(logging.WARNING):
        response = lambda_handler(complete_event(), None)
    assert faults.attempts == DYNAMODB_TURN.max_attempts
    assert first_message(response).startswith(WELL_DONE)
    assert response["sessionState"]["intent"]["state"] == "Fulfilled"
    assert any(
        r.getMessage() == "progress saved although the answer to the write was lost"
        for r in caplog.records
    )
    progress = store.get(LEARNER)
    assert list(progress.completed) == [LESSON] and progress.version == 1


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="last attempt's answer lost and every read back times out too",
    scale=f"{DYNAMODB_TURN.max_attempts} write attempts, {DYNAMODB_TURN.max_attempts} reads",
    outcome="learner told it could not be confirmed and that saying it again is safe; "
    "saying it again changes nothing",
)
def test_an_unknown_outcome_is_said_to_be_unknown(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    inject("TransactWriteItems", 0, monkeypatch, plan=["lost"] * DYNAMODB_TURN.max_attempts)
    # The handler reads the learner's progress first, then the completion's two small reads
    # answer; every read back times out.
    plan = [None, None, None] + ["timeout"] * DYNAMODB_TURN.max_attempts
    inject("Query", 0, monkeypatch, plan=plan)
    response = lambda_handler(complete_event(), None)
    assert response["sessionState"]["intent"]["state"] == "Failed"
    assert first_message(response) == EN("problem.not_confirmed")
    monkeypatch.undo()
    saved = store.get(LEARNER)
    assert list(saved.completed) == [LESSON] and saved.version == 1
    again = lambda_handler(complete_event(), None)
    assert first_message(again).startswith(EN("complete.again", title="What Is Programming?"))
    assert store.get(LEARNER) == saved


# ----------------------------------------------------------------------------- deliveries


@pytest.mark.reliability(
    area="Duplicate delivery",
    tried="the same CompleteLesson said again in a later turn (a new Lambda request)",
    scale="2 deliveries",
    outcome="the second is told it was already completed; nothing changes",
)
def test_a_duplicate_delivery_changes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    first = lambda_handler(complete_event(), lambda_context("request-1"))
    saved = store.get(LEARNER)
    second = lambda_handler(complete_event(), lambda_context("request-2"))
    assert first_message(first).startswith(WELL_DONE)
    assert first_message(second).startswith(EN("complete.again", title="What Is Programming?"))
    assert store.get(LEARNER) == saved
    assert saved.version == 1


@pytest.mark.reliability(
    area="Duplicate delivery",
    tried="Lambda delivers the same CompleteLesson invocation twice (same request id)",
    scale="2 deliveries",
    outcome="both answered as the first application: congratulated twice, recorded once, version 1",
)
def test_a_redelivered_request_gets_the_first_answer(store) -> None:  # type: ignore[no-untyped-def]
    first = lambda_handler(complete_event(), lambda_context("request-1"))
    second = lambda_handler(complete_event(), lambda_context("request-1"))
    assert first_message(first).startswith(WELL_DONE)
    assert first_message(second) == first_message(first)
    progress = store.get(LEARNER)
    assert list(progress.completed) == [LESSON] and progress.version == 1


# ----------------------------------------------------------------------------- resets


def reset_event() -> dict[str, Any]:
    """The learner confirms they want their progress reset."""
    return json.loads((EVENTS / "reset_confirmed.json").read_text())


def learner_with_progress(store: dynamodb_store.DynamoDBProgressStore, learner: str) -> None:
    for number in range(10):
        store.complete_lesson(learner, f"python-intro/lesson-{number}")
    store.set_goal(learner, "python-intro/recursion")


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="a reset whose one UpdateItem is throttled on every attempt",
    scale=f"10 completions and a goal; {DYNAMODB_TURN.max_attempts} attempts",
    outcome="learner told it was not done; all 10 completions and the goal kept",
)
def test_a_reset_that_fails_erases_nothing(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    event = reset_event()
    learner = event["sessionId"]
    learner_with_progress(store, learner)
    before = store.get(learner)
    faults = inject("UpdateItem", 100, monkeypatch)
    response = lambda_handler(event, None)
    assert faults.attempts == DYNAMODB_TURN.max_attempts
    assert first_message(response) == EN("problem.not_saved")
    monkeypatch.undo()
    assert store.get(learner) == before


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="a reset throttled half-way: the clean-up DeleteItem throttled after 3 deletes",
    scale="10 completions and a goal; 3 deletes, then every attempt throttled",
    outcome="the reset is whole (one atomic UpdateItem): learner told it is done, nothing "
    "visible; the rest is cleaned by later reads",
)
def test_a_reset_throttled_half_way_is_still_whole(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    event = reset_event()
    learner = event["sessionId"]
    learner_with_progress(store, learner)
    version = store.get(learner).version
    faults = inject("DeleteItem", 0, monkeypatch, plan=[None] * 3 + ["throttle"] * 100)
    response = lambda_handler(event, None)
    assert first_message(response) == EN("reset.done")
    after = store.get(learner)
    assert (dict(after.completed), after.goal, after.version) == ({}, None, version + 1)
    assert faults.attempts > 3
    monkeypatch.undo()
    store.get(learner)  # a later read cleans the rest
    items = store.client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": learner}},
    )["Items"]
    assert [item["sk"]["S"] for item in items] == ["PROFILE"]
    assert store.complete_lesson(learner, "python-intro/lesson-1").newly_completed


def completion_racing_reset(
    store: dynamodb_store.DynamoDBProgressStore, monkeypatch: pytest.MonkeyPatch, learner: str
) -> None:
    """Run a reset between a completion's read and its write (a second session's reset)."""
    other = dynamodb_store.DynamoDBProgressStore(TABLE, client=store.client)
    read = store._read_for_write
    done: list[bool] = []

    def read_then_reset(*args: Any, **kwargs: Any) -> Any:
        state = read(*args, **kwargs)
        if not done:
            done.append(True)
            other.reset(learner)
        return state

    monkeypatch.setattr(store, "_read_for_write", read_then_reset)


@pytest.mark.reliability(
    area="Concurrency",
    tried="a completion racing a reset: the reset commits between the completion's read and "
    "its write",
    scale="10 completions and a goal; 1 racing completion",
    outcome="the completion lands after the reset (kept), the rest is erased; version counts "
    "every change once",
)
def test_a_completion_racing_a_reset_lands_whole(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    learner = "racer"
    learner_with_progress(store, learner)
    version = store.get(learner).version
    completion_racing_reset(store, monkeypatch, learner)
    result = store.complete_lesson(learner, "python-intro/lesson-42")
    assert result.newly_completed
    progress = store.get(learner)
    assert list(progress.completed) == ["python-intro/lesson-42"] and progress.goal is None
    assert progress.version == version + 2  # the reset, then the completion
