"""Bounded AWS calls (knowledge_graph/aws_clients.py): every client gets its budget, the
budgets fit in the functions' timeouts, and the arithmetic is botocore's."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff

from deploy import publish_graph
from deploy.cfn_yaml import load_template
from knowledge_graph import aws_clients
from knowledge_graph.aws_clients import (
    BOT_TURN_WORK_SECONDS,
    DYNAMODB_TURN,
    PUBLISHER_WORK_SECONDS,
    S3_PUBLISHING,
    S3_SERVING,
    CallBudget,
)
from knowledge_graph.sources import S3Source
from lex_bot.lesson_app.progress_store import dynamodb as dynamodb_store
from publisher import handler as publisher_handler

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = [DYNAMODB_TURN, S3_SERVING, S3_PUBLISHING]


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


def _timeout(template: dict[str, Any], function: str) -> float:
    """A function's Timeout in the template (its own, else the Globals')."""
    own = template["Resources"][function]["Properties"]
    return float(own.get("Timeout", template.get("Globals", {}).get("Function", {})["Timeout"]))


def test_the_worst_cases_fit_in_each_functions_timeout() -> None:
    template = load_template(ROOT / "deploy" / "template.yaml")
    bot, publisher = _timeout(template, "LessonFunction"), _timeout(template, "PublisherFunction")
    # A failing progress store: a write with its retries spent, then the read back.
    assert BOT_TURN_WORK_SECONDS + 2 * DYNAMODB_TURN.worst_case_seconds() <= bot
    # A failing lesson bucket: one read with its retries spent ends the load.
    assert BOT_TURN_WORK_SECONDS + S3_SERVING.worst_case_seconds() <= bot
    assert PUBLISHER_WORK_SECONDS + S3_PUBLISHING.worst_case_seconds() <= publisher
    # The learned-next-steps aggregator and its snapshot use the progress store's client on
    # batches (a failed record is retried by the stream): one call is a small part of them.
    for function in ("TransitionsAggregatorFunction", "TransitionsSnapshotFunction"):
        assert 10 * DYNAMODB_TURN.worst_case_seconds() <= _timeout(template, function)
    # botocore's defaults (60 s connect, 60 s read) would not fit even once.
    assert CallBudget(60, 60, 3).worst_case_seconds() > publisher


@pytest.mark.parametrize("budget", BUDGETS, ids=["dynamodb", "s3-serving", "s3-publishing"])
def test_the_backoff_arithmetic_is_botocores(budget: CallBudget) -> None:
    """The longest waits botocore's standard mode can draw (its random factor at 1)."""
    longest = ExponentialBackoff(random=lambda: 1.0)
    waits = [
        longest.delay_amount(SimpleNamespace(attempt_number=n, http_response=None))
        for n in range(1, budget.max_attempts)
    ]
    attempts = budget.max_attempts * (budget.connect_timeout + budget.read_timeout)
    assert budget.worst_case_seconds() == pytest.approx(attempts + sum(waits))


def _assert_config(client: Any, budget: CallBudget) -> None:
    config = client.meta.config
    assert config.connect_timeout == budget.connect_timeout
    assert config.read_timeout == budget.read_timeout
    assert config.retries == {"mode": "standard", "total_max_attempts": budget.max_attempts}


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every boto3 client created while the test runs (real clients, recorded)."""
    clients: list[Any] = []
    real = boto3.client

    def recording(*args: Any, **kwargs: Any) -> Any:
        clients.append(real(*args, **kwargs))
        return clients[-1]

    monkeypatch.setattr(boto3, "client", recording)
    return clients


def test_every_client_gets_its_budget(made: list[Any]) -> None:
    _assert_config(dynamodb_store.make_client("us-east-1"), DYNAMODB_TURN)
    store = dynamodb_store.DynamoDBProgressStore("Progress", region="us-east-1")
    _assert_config(store.client, DYNAMODB_TURN)
    _assert_config(S3Source("s3://lessons/course/")._client(), S3_SERVING)
    publisher_handler.lambda_handler({"Records": []})  # no record: only makes its client
    plan = publish_graph.Publication(files={})
    publish_graph.publish_to_s3(plan, "s3://lessons/course/")  # nothing to upload
    assert [client.meta.service_model.service_name for client in made] == [
        "dynamodb",
        "dynamodb",
        "s3",
        "s3",
        "s3",
    ]
    _assert_config(made[3], S3_PUBLISHING)
    _assert_config(made[4], S3_PUBLISHING)


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """A loopback HTTP endpoint that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.mark.reliability(
    area="DynamoDB faults",
    tried="a DynamoDB endpoint that accepts connections and never answers (a real botocore "
    "client on loopback, no mock)",
    scale=f"{DYNAMODB_TURN.max_attempts} attempts",
    outcome="the call gives up with ReadTimeoutError within the budget "
    f"({DYNAMODB_TURN.worst_case_seconds():.1f} s), after exactly its attempts",
)
def test_a_silent_dynamodb_is_given_up_within_the_budget(silent_server) -> None:  # type: ignore[no-untyped-def]
    url, accepted = silent_server
    client = aws_clients.make_client(
        "dynamodb", DYNAMODB_TURN, region_name="us-east-1", endpoint_url=url
    )
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.query(
            TableName="Progress",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "learner"}},
        )
    elapsed = time.monotonic() - started
    assert DYNAMODB_TURN.max_attempts * DYNAMODB_TURN.read_timeout <= elapsed
    assert elapsed <= DYNAMODB_TURN.worst_case_seconds() + 0.5  # scheduling slack
    assert len(accepted) == DYNAMODB_TURN.max_attempts
