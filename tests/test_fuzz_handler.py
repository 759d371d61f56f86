"""Fuzzing the Lambda handler with generated Lex V2 events.

For every generated event the handler returns a contract-valid response (checked by the
autouse fixture in conftest) or, for events that are not Lex V2 at all, raises
``NotALexV2EventError`` naming what is missing; never any other exception.

``FUZZ_EXAMPLES`` sets the number of examples per test (CI: the default; ``make fuzz``: 10,000).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from lex_event_strategies import broken_lex_events, lex_events, non_lex_events

from lambda_function import lambda_handler
from lex_bot.lexv2.router import NotALexV2EventError

CI_EXAMPLES = 60
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", CI_EXAMPLES))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
    derandomize=EXAMPLES <= 100,  # CI runs the same examples every time; long runs explore
)


@pytest.mark.reliability(
    area="Fuzzing",
    tried=(
        "generated Lex V2 events: any transcript, slot values (Scalar/List/Composite), "
        "session attributes, locale, input mode, hook"
    ),
    scale=f"{CI_EXAMPLES} events per run in CI; 10,000 via make fuzz",
    outcome="every response passes the Lex contract validator; no unhandled exception",
)
@FUZZ
@given(event=lex_events())
def test_valid_shaped_events_always_get_a_contract_valid_response(event: dict) -> None:
    response = lambda_handler(event, None)
    assert response["sessionState"]["dialogAction"]["type"]


@pytest.mark.reliability(
    area="Fuzzing",
    tried="structurally broken Lex V2 events (fields missing, wrong types, wrong enums)",
    scale=f"{CI_EXAMPLES} events per run in CI; 10,000 via make fuzz",
    outcome="a contract-valid polite answer, or a clear NotALexV2EventError; never a crash",
)
@FUZZ
@given(event=broken_lex_events())
def test_broken_events_get_a_valid_response_or_a_clear_error(event: dict) -> None:
    try:
        response = lambda_handler(event, None)
    except NotALexV2EventError as exc:
        assert "not a Lex V2 event" in str(exc)
    else:
        assert response["sessionState"]["dialogAction"]["type"]


@pytest.mark.reliability(
    area="Fuzzing",
    tried="arbitrary JSON that is not a Lex V2 event (API Gateway, Lex V1, lists, scalars)",
    scale=f"{CI_EXAMPLES} events per run in CI; 10,000 via make fuzz",
    outcome="fails fast with a clear error naming what is missing",
)
@FUZZ
@given(event=non_lex_events)
def test_non_lex_events_fail_fast(event: object) -> None:
    with pytest.raises(NotALexV2EventError, match="not a Lex V2 event"):
        lambda_handler(event, None)  # type: ignore[arg-type]
