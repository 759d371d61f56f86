"""Inject DynamoDB faults below boto3's retry logic, so the real retries run.

moto answers requests from botocore's ``before-send`` event; we put a gate in front of it
that answers chosen calls with a throttling response or raises a read timeout *instead of*
letting moto process them (the table never sees a throttled request, as with DynamoDB);
the other calls reach moto. botocore's sleeps between attempts are recorded instead of
slept, so tests stay fast and can assert the backoff.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def throttling_response(url: str) -> AWSResponse:
    """The HTTP answer DynamoDB gives when a request is throttled."""
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            "message": "Rate of requests exceeds the allowed throughput.",
        }
    ).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
    return AWSResponse(url, 400, headers, _RawBody(body))


@dataclass
class FaultInjector:
    """Fail the next ``failures`` calls of ``operation`` with ``kind`` ("throttle"/"timeout")."""

    operation: str
    failures: int
    kind: str = "throttle"
    attempts: int = 0
    injected: int = 0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.attempts += 1
        if self.injected >= self.failures:
            return None
        self.injected += 1
        if self.kind == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        return throttling_response(request.url)


def inject(operation: str, failures: int, monkeypatch: Any, kind: str = "throttle"):
    """Fail the next ``failures`` DynamoDB ``operation`` calls; record botocore's sleeps.

    Must run inside ``moto.mock_aws``. Returns the :class:`FaultInjector` (its counters).
    """
    import botocore.endpoint
    from moto.core.botocore_stubber import BotocoreStubber

    injector = FaultInjector(operation, failures, kind)
    moto_call = BotocoreStubber.__call__
    event = f"before-send.dynamodb.{operation}"

    def gate(self: Any, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        if event_name == event:
            fault = injector(request)
            if fault is not None:
                return fault
        return moto_call(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", gate)
    monkeypatch.setattr(botocore.endpoint.time, "sleep", injector.sleeps.append)
    return injector
