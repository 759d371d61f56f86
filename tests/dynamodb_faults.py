"""Inject DynamoDB faults below boto3's retry logic, so the real retries run.

moto answers requests from botocore's ``before-send`` event; we put a gate in front of it
that answers chosen calls with a throttling response or raises a read timeout *instead of*
letting moto process them (the table never sees a throttled request, as with DynamoDB),
or lets moto apply the request and then loses its answer (``"lost"``: the write is in the
table, the client sees a read timeout, as when a response is dropped on the way back);
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
    """Fail calls of ``operation``: the next ``failures`` with ``kind``, or by ``plan``.

    ``kind`` and the entries of ``plan`` are ``"throttle"``, ``"timeout"`` (not applied,
    no answer) or ``"lost"`` (applied by moto, answer lost); a ``plan`` entry ``None`` lets
    that attempt through, and attempts past the plan's end go through.
    """

    operation: str
    failures: int
    kind: str = "throttle"
    plan: list[str | None] | None = None
    attempts: int = 0
    injected: int = 0
    sleeps: list[float] = field(default_factory=list)

    def fault_for_next_attempt(self) -> str | None:
        self.attempts += 1
        if self.plan is not None:
            fault = self.plan[self.attempts - 1] if self.attempts <= len(self.plan) else None
        else:
            fault = self.kind if self.injected < self.failures else None
        if fault is not None:
            self.injected += 1
        return fault


def inject(
    operation: str,
    failures: int,
    monkeypatch: Any,
    kind: str = "throttle",
    plan: list[str | None] | None = None,
) -> FaultInjector:
    """Fail DynamoDB ``operation`` calls (see :class:`FaultInjector`); record botocore's sleeps.

    Must run inside ``moto.mock_aws``. Returns the :class:`FaultInjector` (its counters).
    Several calls of ``inject`` for different operations combine.
    """
    import botocore.endpoint
    from moto.core.botocore_stubber import BotocoreStubber

    injector = FaultInjector(operation, failures, kind, plan)
    moto_call = BotocoreStubber.__call__
    event = f"before-send.dynamodb.{operation}"

    def gate(self: Any, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        if event_name != event:
            return moto_call(self, event_name, request, **kwargs)
        fault = injector.fault_for_next_attempt()
        if fault == "throttle":
            return throttling_response(request.url)
        if fault == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        response = moto_call(self, event_name, request, **kwargs)
        if fault == "lost":
            raise ReadTimeoutError(endpoint_url=request.url)
        return response

    monkeypatch.setattr(BotocoreStubber, "__call__", gate)
    sleeps = getattr(botocore.endpoint.time.sleep, "recorded", None)
    if sleeps is None:

        def record(delay: float) -> None:
            record.recorded.append(delay)  # type: ignore[attr-defined]

        record.recorded = injector.sleeps  # type: ignore[attr-defined]
        monkeypatch.setattr(botocore.endpoint.time, "sleep", record)
    else:
        injector.sleeps = sleeps
    return injector
