"""Build Amazon Lex V2 code hook events as Lex sends them: one factory for tests, bench and chat.

The shape follows the Lambda input format of the Lex V2 developer guide ("AWS Lambda input
event format", https://docs.aws.amazon.com/lexv2/latest/dg/lambda-input-format.html); the
recorded events under ``tests/events/`` are real examples of it.

Example:
    >>> event = lex_event("StartLesson", {"LessonName": slot("recursion")}, transcript="go")
    >>> event["sessionState"]["intent"]["slots"]["LessonName"]["value"]["originalValue"]
    'recursion'
    >>> event["invocationSource"], event["inputMode"], event["bot"]["localeId"]
    ('FulfillmentCodeHook', 'Text', 'en_US')
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
SPEECH_CONTENT_TYPE = "audio/pcm"

#: The bot block of every built event; ``localeId`` is filled per event.
BOT: dict[str, str] = {
    "id": "ABCDEFGHIJ",
    "name": "LessonBot",
    "aliasId": "TSTALIASID",
    "aliasName": "TestBotAlias",
    "version": "DRAFT",
}


def slot(
    original: str, interpreted: str | None = None, resolved: Sequence[str] = ()
) -> dict[str, Any]:
    """A filled Scalar slot as Lex sends it (``interpreted`` defaults to ``original``).

    Example:
        >>> slot("loops")["value"]["interpretedValue"]
        'loops'
    """
    return {
        "shape": "Scalar",
        "value": {
            "originalValue": original,
            "interpretedValue": original if interpreted is None else interpreted,
            "resolvedValues": list(resolved),
        },
    }


def intent_block(
    name: str,
    slots: Mapping[str, Any] | None = None,
    *,
    state: str = "ReadyForFulfillment",
    confirmation_state: str = "None",
) -> dict[str, Any]:
    """The ``intent`` member of ``sessionState`` (and of each interpretation)."""
    return {
        "name": name,
        "slots": dict(slots or {}),
        "state": state,
        "confirmationState": confirmation_state,
    }


def lex_event(
    intent: str,
    slots: Mapping[str, Any] | None = None,
    *,
    transcript: str = "",
    session_id: str = "test-session",
    locale: str = "en_US",
    input_mode: str = "Text",
    source: str = "FulfillmentCodeHook",
    state: str | None = None,
    confirmation_state: str = "None",
    session_attributes: Mapping[str, str] | None = None,
    active_contexts: Sequence[Mapping[str, Any]] = (),
    interpretations: Sequence[Mapping[str, Any]] | None = None,
    request_id: str = "test-request",
    bot: Mapping[str, str] | None = None,
    response_content_type: str | None = None,
) -> dict[str, Any]:
    """A Lex V2 code hook event for ``intent``.

    Parameters:
        intent: the intent name, e.g. ``"RecommendNextLesson"``.
        slots: slot name to a slot (:func:`slot`) or ``None``.
        source: ``"FulfillmentCodeHook"`` or ``"DialogCodeHook"``.
        state: the intent state; ``ReadyForFulfillment`` for fulfilment, else ``InProgress``.
        input_mode: ``"Text"``, ``"Speech"`` or ``"DTMF"`` (the speech transcriptions
            follow it, and so does the response content type unless given).
        response_content_type: what the client asked for back; default ``audio/pcm`` for
            Speech and DTMF (a phone line hears the answer), ``text/plain; charset=utf-8``
            for Text.
        interpretations: Lex's NLU results; by default the intent with confidence 0.91
            followed by ``FallbackIntent``.
        bot: the bot block without ``localeId`` (default :data:`BOT`).
    Returns:
        A JSON-ready dict (a fresh copy each call).
    """
    if state is None:
        state = "ReadyForFulfillment" if source == "FulfillmentCodeHook" else "InProgress"
    block = intent_block(intent, slots, state=state, confirmation_state=confirmation_state)
    if interpretations is None:
        interpretations = [
            {"intent": copy.deepcopy(block), "nluConfidence": 0.91, "interpretationSource": "Lex"},
            {"intent": intent_block("FallbackIntent", state="InProgress")},
        ]
    speech = input_mode == "Speech"
    event: dict[str, Any] = {
        "messageVersion": "1.0",
        "invocationSource": source,
        "inputMode": input_mode,
        "responseContentType": response_content_type
        or (SPEECH_CONTENT_TYPE if input_mode in ("Speech", "DTMF") else TEXT_CONTENT_TYPE),
        "sessionId": session_id,
        "inputTranscript": transcript,
        "invocationLabel": None,
        "bot": {**(bot or BOT), "localeId": locale},
        "interpretations": copy.deepcopy(list(interpretations)),
        "proposedNextState": None,
        "requestAttributes": None,
        "sessionState": {
            "sessionAttributes": dict(session_attributes or {}),
            "activeContexts": copy.deepcopy(list(active_contexts)),
            "intent": block,
            "originatingRequestId": request_id,
        },
        "transcriptions": [],
    }
    if speech and transcript:
        event["transcriptions"] = [
            {
                "transcription": transcript,
                "transcriptionConfidence": 0.9,
                "resolvedContext": {"intent": intent},
                "resolvedSlots": {k: v for k, v in block["slots"].items() if v},
            }
        ]
    return event
