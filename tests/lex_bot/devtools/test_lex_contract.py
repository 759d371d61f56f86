"""Tests of the Lex V2 response contract validator: each rule can pass and each can fail."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import pytest

from lex_bot.devtools.lex_contract import (
    RESPONSE_BUDGET_BYTES,
    SESSION_ATTRIBUTES_BUDGET_BYTES,
    ContractViolation,
    Rule,
    assert_lex_response,
    compile_model,
    contract_model,
    validate_lex_response,
)

Response = dict[str, Any]
Mutation = Callable[[Response], None]

# --------------------------------------------------------------------------- known-good responses


def _buttons(n: int) -> list[dict[str, str]]:
    return [{"text": f"Lesson {i}", "value": f"lesson-{i}"} for i in range(n)]


GOOD: dict[str, Response] = {
    "close_plain": {
        "sessionState": {
            "dialogAction": {"type": "Close"},
            "intent": {
                "name": "Goodbye",
                "state": "Fulfilled",
                "confirmationState": "None",
                "slots": {},
            },
            "sessionAttributes": {"learner": "ana", "progress": ""},
        },
        "messages": [{"contentType": "PlainText", "content": "See you next time!"}],
    },
    "elicit_slot_card": {
        "sessionState": {
            "dialogAction": {
                "type": "ElicitSlot",
                "slotToElicit": "LessonName",
                "slotElicitationStyle": "SpellByWord",
            },
            "intent": {"name": "StartLesson", "state": "InProgress", "slots": {"LessonName": None}},
            "activeContexts": [
                {
                    "name": "choosing_lesson",
                    "timeToLive": {"timeToLiveInSeconds": 300, "turnsToLive": 3},
                    "contextAttributes": {"course": "python"},
                }
            ],
        },
        "messages": [
            {"contentType": "PlainText", "content": "Which lesson?"},
            {
                "contentType": "ImageResponseCard",
                "imageResponseCard": {
                    "title": "Pick a lesson",
                    "subtitle": "Five to choose from",
                    "imageUrl": "https://example.com/lessons.png",
                    "buttons": _buttons(5),
                },
            },
        ],
    },
    "confirm_intent": {
        "sessionState": {
            "dialogAction": {"type": "ConfirmIntent"},
            "intent": {
                "name": "ResetProgress",
                "state": "InProgress",
                "confirmationState": "None",
                "slots": {
                    "Course": {
                        "shape": "Scalar",
                        "value": {
                            "originalValue": "python",
                            "interpretedValue": "Python",
                            "resolvedValues": ["Python"],
                        },
                    }
                },
            },
        },
        "messages": [{"contentType": "PlainText", "content": "Reset your Python progress?"}],
    },
    "delegate_slot_shapes": {
        "sessionState": {
            "dialogAction": {"type": "Delegate"},
            "intent": {
                "name": "PlanStudy",
                "state": "ReadyForFulfillment",
                "slots": {
                    "Course": {"value": {"interpretedValue": "Python"}},
                    "Topics": {
                        "shape": "List",
                        "value": {"interpretedValue": "loops and lists"},
                        "values": [
                            {"shape": "Scalar", "value": {"interpretedValue": "loops"}},
                            {"shape": "Scalar", "value": {"interpretedValue": "lists"}},
                        ],
                    },
                    "Schedule": {
                        "shape": "Composite",
                        "subSlots": {
                            "Day": {"value": {"interpretedValue": "Monday"}},
                            "Time": None,
                        },
                    },
                    "Notes": None,
                },
            },
            "runtimeHints": {
                "slotHints": {
                    "PlanStudy": {
                        "Course": {"runtimeHintValues": [{"phrase": "Python"}, {"phrase": "Go"}]}
                    }
                }
            },
            "originatingRequestId": "req-123",
        },
        "requestAttributes": {"x-amz-lex:channel": "web"},
    },
    "elicit_intent": {
        "sessionState": {"dialogAction": {"type": "ElicitIntent"}, "sessionAttributes": {}},
        "messages": [{"contentType": "PlainText", "content": "What would you like to learn?"}],
    },
    "ssml": {
        "sessionState": {
            "dialogAction": {"type": "Close"},
            "intent": {"name": "Quiz", "state": "Failed"},
        },
        "messages": [
            {
                "contentType": "SSML",
                "content": '<speak xmlns="http://www.w3.org/2001/10/synthesis">'
                'Loops &amp; lists. <break time="1s"/> Try again.</speak>',
            },
            {"contentType": "SSML", "content": "<speak>Plain <emphasis>speech</emphasis></speak>"},
            {"contentType": "CustomPayload", "content": '{"kind": "score", "value": 3}'},
        ],
    },
}

KNOWN_SLOTS = {
    "Goodbye": set(),
    "StartLesson": {"LessonName"},
    "ResetProgress": {"Course"},
    "PlanStudy": {"Course", "Topics", "Schedule", "Notes"},
    "Quiz": {"Answer"},
}


def good(name: str) -> Response:
    """A fresh copy of a known-good response."""
    return copy.deepcopy(GOOD[name])


@pytest.mark.parametrize("name", sorted(GOOD))
def test_known_good_responses_pass(name: str) -> None:
    assert validate_lex_response(good(name), known_slots=KNOWN_SLOTS) == []
    assert_lex_response(good(name), known_slots=KNOWN_SLOTS)


# --------------------------------------------------------------------------- mutation helpers


def _parent(response: Response, keys: tuple[Any, ...]) -> Any:
    target: Any = response
    for key in keys[:-1]:
        target = target[key]
    return target


def put(*keys: Any, value: Any) -> Mutation:
    """A mutation setting ``response[k1][k2]... = value``."""

    def mutate(response: Response) -> None:
        _parent(response, keys)[keys[-1]] = value

    return mutate


def drop(*keys: Any) -> Mutation:
    """A mutation deleting ``response[k1][k2]...``."""

    def mutate(response: Response) -> None:
        del _parent(response, keys)[keys[-1]]

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(response: Response) -> None:
        for mutation in mutations:
            mutation(response)

    return mutate


@functools.cache
def _botocore_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("lexv2-runtime")


def model_meta(shape: str, member: str | None = None) -> dict[str, Any]:
    """Metadata of a botocore shape (or of a structure member's shape), straight from botocore."""
    target = _botocore_model().shape_for(shape)
    if member is not None:
        target = target.members[member]
    return dict(target.metadata)


CONTENT_MAX = model_meta("Message", "content")["max"]
TITLE_MAX = model_meta("ImageResponseCard", "title")["max"]
URL_MAX = model_meta("ImageResponseCard", "imageUrl")["max"]
BUTTON_TEXT_MAX = model_meta("Button", "text")["max"]
BUTTON_VALUE_MAX = model_meta("Button", "value")["max"]
BUTTONS_MAX = model_meta("ButtonsList")["max"]
MESSAGES_MAX = model_meta("Messages")["max"]
CONTEXTS_MAX = model_meta("ActiveContextsList")["max"]
TTL_SECONDS = model_meta("ActiveContextTimeToLiveInSeconds")
TURNS = model_meta("ActiveContextTurnsToLive")
CONTEXT_ATTRIBUTES_MAX = model_meta("ActiveContextParametersMap")["max"]

CARD = ("messages", 1, "imageResponseCard")
CONTEXT = ("sessionState", "activeContexts", 0)
SLOTS = ("sessionState", "intent", "slots")


def _nested_slot(depth: int) -> dict[str, Any]:
    slot: dict[str, Any] = {"shape": "Scalar", "value": {"interpretedValue": "x"}}
    for _ in range(depth):
        slot = {"shape": "List", "values": [slot]}
    return slot


def case(case_id: str, base: str, mutation: Mutation, path: str, rule: Rule) -> Any:
    """One failing case: mutate the good response ``base``; expect ``rule`` at ``path``."""
    return pytest.param(base, mutation, path, rule, id=case_id)


STRUCTURAL_CASES = [
    # required members
    case(
        "no-session-state",
        "elicit_intent",
        drop("sessionState"),
        "sessionState",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "no-content-type",
        "close_plain",
        drop("messages", 0, "contentType"),
        "messages[0].contentType",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "no-action-type",
        "close_plain",
        drop("sessionState", "dialogAction", "type"),
        "sessionState.dialogAction.type",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "no-intent-name",
        "close_plain",
        drop("sessionState", "intent", "name"),
        "sessionState.intent.name",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "no-card-title",
        "elicit_slot_card",
        drop(*CARD, "title"),
        "messages[1].imageResponseCard.title",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "no-button-value",
        "elicit_slot_card",
        drop(*CARD, "buttons", 2, "value"),
        "messages[1].imageResponseCard.buttons[2].value",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "no-context-ttl",
        "elicit_slot_card",
        drop(*CONTEXT, "timeToLive"),
        "sessionState.activeContexts[0].timeToLive",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "no-interpreted-value",
        "confirm_intent",
        drop(*SLOTS, "Course", "value", "interpretedValue"),
        "sessionState.intent.slots['Course'].value.interpretedValue",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "no-sub-slot-name",
        "elicit_slot_card",
        put(
            "sessionState",
            "dialogAction",
            "subSlotToElicit",
            value={"subSlotToElicit": {"name": "Day"}},
        ),
        "sessionState.dialogAction.subSlotToElicit.name",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    # unknown members
    case(
        "top-level-session-attributes",
        "close_plain",
        put("sessionAttributes", value={}),
        "sessionAttributes",
        Rule.UNKNOWN_MEMBER,
    ),
    case(
        "v1-fulfillment-state",
        "close_plain",
        put("sessionState", "dialogAction", "fulfillmentState", value="Fulfilled"),
        "sessionState.dialogAction.fulfillmentState",
        Rule.UNKNOWN_MEMBER,
    ),
    case(
        "button-url",
        "elicit_slot_card",
        put(*CARD, "buttons", 0, "url", value="https://x"),
        "messages[1].imageResponseCard.buttons[0].url",
        Rule.UNKNOWN_MEMBER,
    ),
    case(
        "intent-kendra",
        "close_plain",
        put("sessionState", "intent", "kendraResponse", value={}),
        "sessionState.intent.kendraResponse",
        Rule.UNKNOWN_MEMBER,
    ),
    # wrong types
    case(
        "empty-response",
        "close_plain",
        lambda r: r.clear(),
        "sessionState",
        Rule.REQUIRED_MEMBER_MISSING,
    ),
    case(
        "type-not-string",
        "close_plain",
        put("sessionState", "dialogAction", "type", value=3),
        "sessionState.dialogAction.type",
        Rule.WRONG_TYPE,
    ),
    case(
        "messages-not-list",
        "close_plain",
        put("messages", value={"contentType": "PlainText"}),
        "messages",
        Rule.WRONG_TYPE,
    ),
    case(
        "session-state-list",
        "close_plain",
        put("sessionState", value=[]),
        "sessionState",
        Rule.WRONG_TYPE,
    ),
    case(
        "ttl-string",
        "elicit_slot_card",
        put(*CONTEXT, "timeToLive", "timeToLiveInSeconds", value="300"),
        "sessionState.activeContexts[0].timeToLive.timeToLiveInSeconds",
        Rule.WRONG_TYPE,
    ),
    case(
        "turns-bool",
        "elicit_slot_card",
        put(*CONTEXT, "timeToLive", "turnsToLive", value=True),
        "sessionState.activeContexts[0].timeToLive.turnsToLive",
        Rule.WRONG_TYPE,
    ),
    case(
        "null-member",
        "close_plain",
        put("sessionState", "intent", "confirmationState", value=None),
        "sessionState.intent.confirmationState",
        Rule.WRONG_TYPE,
    ),
    case(
        "null-message",
        "close_plain",
        put("messages", 0, value=None),
        "messages[0]",
        Rule.WRONG_TYPE,
    ),
    case(
        "resolved-values-string",
        "confirm_intent",
        put(*SLOTS, "Course", "value", "resolvedValues", value="Python"),
        "sessionState.intent.slots['Course'].value.resolvedValues",
        Rule.WRONG_TYPE,
    ),
    # string lengths (numbers from the model)
    case(
        "content-too-long",
        "close_plain",
        put("messages", 0, "content", value="x" * (CONTENT_MAX + 1)),
        "messages[0].content",
        Rule.TOO_LONG,
    ),
    case(
        "content-too-long-utf16",
        "close_plain",
        put("messages", 0, "content", value="😀" * (CONTENT_MAX // 2 + 1)),
        "messages[0].content",
        Rule.TOO_LONG,
    ),
    case(
        "title-too-long",
        "elicit_slot_card",
        put(*CARD, "title", value="t" * (TITLE_MAX + 1)),
        "messages[1].imageResponseCard.title",
        Rule.TOO_LONG,
    ),
    case(
        "url-too-long",
        "elicit_slot_card",
        put(*CARD, "imageUrl", value="u" * (URL_MAX + 1)),
        "messages[1].imageResponseCard.imageUrl",
        Rule.TOO_LONG,
    ),
    case(
        "button-text-too-long",
        "elicit_slot_card",
        put(*CARD, "buttons", 0, "text", value="b" * (BUTTON_TEXT_MAX + 1)),
        "messages[1].imageResponseCard.buttons[0].text",
        Rule.TOO_LONG,
    ),
    case(
        "button-value-too-long",
        "elicit_slot_card",
        put(*CARD, "buttons", 4, "value", value="v" * (BUTTON_VALUE_MAX + 1)),
        "messages[1].imageResponseCard.buttons[4].value",
        Rule.TOO_LONG,
    ),
    case(
        "content-empty",
        "close_plain",
        put("messages", 0, "content", value=""),
        "messages[0].content",
        Rule.TOO_SHORT,
    ),
    case(
        "intent-name-empty",
        "close_plain",
        put("sessionState", "intent", "name", value=""),
        "sessionState.intent.name",
        Rule.TOO_SHORT,
    ),
    case(
        "button-text-empty",
        "elicit_slot_card",
        put(*CARD, "buttons", 1, "text", value=""),
        "messages[1].imageResponseCard.buttons[1].text",
        Rule.TOO_SHORT,
    ),
    case(
        "session-key-empty",
        "close_plain",
        put("sessionState", "sessionAttributes", "", value="x"),
        "sessionState.sessionAttributes['']",
        Rule.TOO_SHORT,
    ),
    case(
        "lone-surrogate",
        "close_plain",
        put("messages", 0, "content", value="bad \ud800"),
        "messages[0].content",
        Rule.INVALID_UNICODE,
    ),
    # enums
    case(
        "action-type-enum",
        "close_plain",
        put("sessionState", "dialogAction", "type", value="Finish"),
        "sessionState.dialogAction.type",
        Rule.ENUM,
    ),
    case(
        "content-type-enum",
        "close_plain",
        put("messages", 0, "contentType", value="Markdown"),
        "messages[0].contentType",
        Rule.ENUM,
    ),
    case(
        "intent-state-enum",
        "close_plain",
        put("sessionState", "intent", "state", value="Done"),
        "sessionState.intent.state",
        Rule.ENUM,
    ),
    case(
        "confirmation-enum",
        "close_plain",
        put("sessionState", "intent", "confirmationState", value="Maybe"),
        "sessionState.intent.confirmationState",
        Rule.ENUM,
    ),
    case(
        "style-enum",
        "elicit_slot_card",
        put("sessionState", "dialogAction", "slotElicitationStyle", value="Loud"),
        "sessionState.dialogAction.slotElicitationStyle",
        Rule.ENUM,
    ),
    case(
        "slot-shape-enum",
        "confirm_intent",
        put(*SLOTS, "Course", "shape", value="Tuple"),
        "sessionState.intent.slots['Course'].shape",
        Rule.ENUM,
    ),
    # patterns
    case(
        "context-name-pattern",
        "elicit_slot_card",
        put(*CONTEXT, "name", value="choosing-lesson!"),
        "sessionState.activeContexts[0].name",
        Rule.PATTERN,
    ),
    case(
        "hint-intent-pattern",
        "delegate_slot_shapes",
        put("sessionState", "runtimeHints", "slotHints", "bad name", value={}),
        "sessionState.runtimeHints.slotHints['bad name']",
        Rule.PATTERN,
    ),
    # list and map sizes
    case(
        "six-buttons",
        "elicit_slot_card",
        put(*CARD, "buttons", value=_buttons(BUTTONS_MAX + 1)),
        "messages[1].imageResponseCard.buttons",
        Rule.TOO_MANY_ITEMS,
    ),
    case(
        "too-many-messages",
        "close_plain",
        put("messages", value=[{"contentType": "PlainText", "content": "hi"}] * (MESSAGES_MAX + 1)),
        "messages",
        Rule.TOO_MANY_ITEMS,
    ),
    case(
        "too-many-contexts",
        "elicit_slot_card",
        lambda r: r["sessionState"]["activeContexts"].extend(
            copy.deepcopy(r["sessionState"]["activeContexts"]) * CONTEXTS_MAX
        ),
        "sessionState.activeContexts",
        Rule.TOO_MANY_ITEMS,
    ),
    case(
        "empty-hint-values",
        "delegate_slot_shapes",
        put(
            "sessionState",
            "runtimeHints",
            "slotHints",
            "PlanStudy",
            "Course",
            "runtimeHintValues",
            value=[],
        ),
        "sessionState.runtimeHints.slotHints['PlanStudy']['Course'].runtimeHintValues",
        Rule.TOO_FEW_ITEMS,
    ),
    case(
        "too-many-context-attributes",
        "elicit_slot_card",
        put(
            *CONTEXT,
            "contextAttributes",
            value={f"k{i}": "v" for i in range(CONTEXT_ATTRIBUTES_MAX + 1)},
        ),
        "sessionState.activeContexts[0].contextAttributes",
        Rule.TOO_MANY_ITEMS,
    ),
    # map key and value types
    case(
        "session-value-int",
        "close_plain",
        put("sessionState", "sessionAttributes", "progress", value=3),
        "sessionState.sessionAttributes['progress']",
        Rule.WRONG_TYPE,
    ),
    case(
        "session-value-dict",
        "close_plain",
        put("sessionState", "sessionAttributes", "progress", value={"a": "b"}),
        "sessionState.sessionAttributes['progress']",
        Rule.WRONG_TYPE,
    ),
    case(
        "session-value-null",
        "close_plain",
        put("sessionState", "sessionAttributes", "progress", value=None),
        "sessionState.sessionAttributes['progress']",
        Rule.WRONG_TYPE,
    ),
    case(
        "session-key-int",
        "close_plain",
        put("sessionState", "sessionAttributes", 3, value="x"),
        "sessionState.sessionAttributes[3]",
        Rule.WRONG_TYPE,
    ),
    case(
        "request-value-bool",
        "delegate_slot_shapes",
        put("requestAttributes", "flag", value=True),
        "requestAttributes['flag']",
        Rule.WRONG_TYPE,
    ),
    case(
        "context-value-empty",
        "elicit_slot_card",
        put(*CONTEXT, "contextAttributes", "course", value=""),
        "sessionState.activeContexts[0].contextAttributes['course']",
        Rule.TOO_SHORT,
    ),
    # numeric ranges
    case(
        "ttl-below-min",
        "elicit_slot_card",
        put(*CONTEXT, "timeToLive", "timeToLiveInSeconds", value=TTL_SECONDS["min"] - 1),
        "sessionState.activeContexts[0].timeToLive.timeToLiveInSeconds",
        Rule.BELOW_MIN,
    ),
    case(
        "ttl-above-max",
        "elicit_slot_card",
        put(*CONTEXT, "timeToLive", "timeToLiveInSeconds", value=TTL_SECONDS["max"] + 1),
        "sessionState.activeContexts[0].timeToLive.timeToLiveInSeconds",
        Rule.ABOVE_MAX,
    ),
    case(
        "turns-above-max",
        "elicit_slot_card",
        put(*CONTEXT, "timeToLive", "turnsToLive", value=TURNS["max"] + 1),
        "sessionState.activeContexts[0].timeToLive.turnsToLive",
        Rule.ABOVE_MAX,
    ),
]


SEMANTIC_CASES = [
    case(
        "no-dialog-action",
        "close_plain",
        drop("sessionState", "dialogAction"),
        "sessionState.dialogAction",
        Rule.DIALOG_ACTION_REQUIRED,
    ),
    case(
        "action-none",
        "close_plain",
        put("sessionState", "dialogAction", "type", value="None"),
        "sessionState.dialogAction.type",
        Rule.DIALOG_ACTION_NOT_FOR_LAMBDA,
    ),
    case(
        "close-no-intent",
        "close_plain",
        drop("sessionState", "intent"),
        "sessionState.intent",
        Rule.INTENT_REQUIRED,
    ),
    case(
        "elicit-slot-no-intent",
        "elicit_slot_card",
        drop("sessionState", "intent"),
        "sessionState.intent",
        Rule.INTENT_REQUIRED,
    ),
    case(
        "confirm-no-intent",
        "confirm_intent",
        drop("sessionState", "intent"),
        "sessionState.intent",
        Rule.INTENT_REQUIRED,
    ),
    case(
        "delegate-no-intent",
        "delegate_slot_shapes",
        drop("sessionState", "intent"),
        "sessionState.intent",
        Rule.INTENT_REQUIRED,
    ),
    case(
        "no-intent-state",
        "confirm_intent",
        drop("sessionState", "intent", "state"),
        "sessionState.intent.state",
        Rule.INTENT_STATE_REQUIRED,
    ),
    case(
        "close-in-progress",
        "close_plain",
        put("sessionState", "intent", "state", value="InProgress"),
        "sessionState.intent.state",
        Rule.CLOSE_STATE_NOT_FINAL,
    ),
    case(
        "close-ready",
        "close_plain",
        put("sessionState", "intent", "state", value="ReadyForFulfillment"),
        "sessionState.intent.state",
        Rule.CLOSE_STATE_NOT_FINAL,
    ),
    case(
        "close-waiting",
        "ssml",
        put("sessionState", "intent", "state", value="Waiting"),
        "sessionState.intent.state",
        Rule.CLOSE_STATE_NOT_FINAL,
    ),
    case(
        "elicit-slot-ready",
        "elicit_slot_card",
        put("sessionState", "intent", "state", value="ReadyForFulfillment"),
        "sessionState.intent.state",
        Rule.READY_FOR_FULFILLMENT_NEEDS_DELEGATE,
    ),
    case(
        "no-slot-to-elicit",
        "elicit_slot_card",
        drop("sessionState", "dialogAction", "slotToElicit"),
        "sessionState.dialogAction.slotToElicit",
        Rule.SLOT_TO_ELICIT_REQUIRED,
    ),
    case(
        "style-with-close",
        "close_plain",
        put("sessionState", "dialogAction", "slotElicitationStyle", value="SpellByLetter"),
        "sessionState.dialogAction.slotElicitationStyle",
        Rule.ELICIT_SLOT_ONLY,
    ),
    case(
        "sub-slot-with-confirm",
        "confirm_intent",
        put("sessionState", "dialogAction", "subSlotToElicit", value={"name": "Day"}),
        "sessionState.dialogAction.subSlotToElicit",
        Rule.ELICIT_SLOT_ONLY,
    ),
    case(
        "slot-to-elicit-with-delegate",
        "delegate_slot_shapes",
        put("sessionState", "dialogAction", "slotToElicit", value="Course"),
        "sessionState.dialogAction.slotToElicit",
        Rule.ELICIT_SLOT_ONLY,
    ),
    case(
        "elicit-intent-no-messages",
        "elicit_intent",
        drop("messages"),
        "messages",
        Rule.MESSAGES_REQUIRED,
    ),
    case(
        "confirm-empty-messages",
        "confirm_intent",
        put("messages", value=[]),
        "messages",
        Rule.MESSAGES_REQUIRED,
    ),
    case("close-no-messages", "close_plain", drop("messages"), "messages", Rule.MESSAGES_REQUIRED),
    case(
        "elicit-slot-no-messages",
        "elicit_slot_card",
        drop("messages"),
        "messages",
        Rule.MESSAGES_REQUIRED,
    ),
    case(
        "plain-no-content",
        "close_plain",
        drop("messages", 0, "content"),
        "messages[0].content",
        Rule.MESSAGE_CONTENT_REQUIRED,
    ),
    case(
        "custom-no-content",
        "ssml",
        drop("messages", 2, "content"),
        "messages[2].content",
        Rule.MESSAGE_CONTENT_REQUIRED,
    ),
    case(
        "card-missing",
        "elicit_slot_card",
        drop(*CARD),
        "messages[1].imageResponseCard",
        Rule.MESSAGE_CARD_REQUIRED,
    ),
    case(
        "card-on-plain-text",
        "elicit_slot_card",
        put("messages", 0, "imageResponseCard", value={"title": "T"}),
        "messages[0].imageResponseCard",
        Rule.MESSAGE_CARD_UNEXPECTED,
    ),
    case(
        "ssml-unclosed",
        "ssml",
        put("messages", 1, "content", value="<speak>Hi"),
        "messages[1].content",
        Rule.SSML_MALFORMED,
    ),
    case(
        "ssml-bare-ampersand",
        "ssml",
        put("messages", 1, "content", value="<speak>Loops & lists</speak>"),
        "messages[1].content",
        Rule.SSML_MALFORMED,
    ),
    case(
        "ssml-text-after",
        "ssml",
        put("messages", 1, "content", value="<speak>Hi</speak> there"),
        "messages[1].content",
        Rule.SSML_MALFORMED,
    ),
    case(
        "ssml-plain-text",
        "ssml",
        put("messages", 1, "content", value="Hello there"),
        "messages[1].content",
        Rule.SSML_MALFORMED,
    ),
    case(
        "ssml-doctype",
        "ssml",
        put(
            "messages",
            1,
            "content",
            value='<!DOCTYPE speak [<!ENTITY a "aaaa">]><speak>&a;</speak>',
        ),
        "messages[1].content",
        Rule.SSML_MALFORMED,
    ),
    case(
        "ssml-not-speak",
        "ssml",
        put("messages", 1, "content", value="<p>Hello</p>"),
        "messages[1].content",
        Rule.SSML_NOT_SPEAK,
    ),
    case(
        "ssml-nested-speak",
        "ssml",
        put("messages", 1, "content", value="<speak>a <speak>b</speak></speak>"),
        "messages[1].content",
        Rule.SSML_NESTED_SPEAK,
    ),
    case(
        "scalar-slot-no-value",
        "confirm_intent",
        drop(*SLOTS, "Course", "value"),
        "sessionState.intent.slots['Course'].value",
        Rule.SLOT_VALUE_MISSING,
    ),
    case(
        "list-slot-no-values",
        "delegate_slot_shapes",
        drop(*SLOTS, "Topics", "values"),
        "sessionState.intent.slots['Topics'].values",
        Rule.SLOT_VALUES_MISSING,
    ),
    case(
        "list-item-no-value",
        "delegate_slot_shapes",
        drop(*SLOTS, "Topics", "values", 1, "value"),
        "sessionState.intent.slots['Topics'].values[1].value",
        Rule.SLOT_VALUE_MISSING,
    ),
    case(
        "composite-no-subslots",
        "delegate_slot_shapes",
        drop(*SLOTS, "Schedule", "subSlots"),
        "sessionState.intent.slots['Schedule'].subSlots",
        Rule.SLOT_SUBSLOTS_MISSING,
    ),
    case(
        "sub-slot-no-value",
        "delegate_slot_shapes",
        put(*SLOTS, "Schedule", "subSlots", "Day", value={"shape": "Scalar"}),
        "sessionState.intent.slots['Schedule'].subSlots['Day'].value",
        Rule.SLOT_VALUE_MISSING,
    ),
    case(
        "values-on-scalar",
        "confirm_intent",
        put(*SLOTS, "Course", "values", value=[]),
        "sessionState.intent.slots['Course'].values",
        Rule.SLOT_SHAPE_MISMATCH,
    ),
    case(
        "subslots-on-list",
        "delegate_slot_shapes",
        put(*SLOTS, "Topics", "subSlots", value={}),
        "sessionState.intent.slots['Topics'].subSlots",
        Rule.SLOT_SHAPE_MISMATCH,
    ),
    case(
        "not-json",
        "close_plain",
        put("messages", 0, "content", value=float("nan")),
        "",
        Rule.NOT_JSON,
    ),
    case(
        "not-json-object",
        "close_plain",
        put("sessionState", "sessionAttributes", "when", value=object()),
        "",
        Rule.NOT_JSON,
    ),
    case(
        "too-large",
        "delegate_slot_shapes",
        put("requestAttributes", "blob", value="x" * RESPONSE_BUDGET_BYTES),
        "",
        Rule.RESPONSE_TOO_LARGE,
    ),
    case(
        "too-large-non-ascii",
        "delegate_slot_shapes",
        put("requestAttributes", "blob", value="é" * (RESPONSE_BUDGET_BYTES // 2 + 1)),
        "",
        Rule.RESPONSE_TOO_LARGE,
    ),
    case(
        "session-attributes-too-large",
        "close_plain",
        put(
            "sessionState", "sessionAttributes", "blob", value="x" * SESSION_ATTRIBUTES_BUDGET_BYTES
        ),
        "sessionState.sessionAttributes",
        Rule.SESSION_ATTRIBUTES_TOO_LARGE,
    ),
]


@pytest.mark.parametrize(("base", "mutation", "path", "rule"), STRUCTURAL_CASES)
def test_structural_rule_fails(base: str, mutation: Mutation, path: str, rule: Rule) -> None:
    response = good(base)
    mutation(response)
    violations = validate_lex_response(response)
    assert (path, rule) in {(v.path, v.code) for v in violations}, violations


@pytest.mark.parametrize(("base", "mutation", "path", "rule"), SEMANTIC_CASES)
def test_semantic_rule_fails(base: str, mutation: Mutation, path: str, rule: Rule) -> None:
    response = good(base)
    mutation(response)
    violations = validate_lex_response(response)
    assert (path, rule) in {(v.path, v.code) for v in violations}, violations


def test_every_rule_has_a_failing_case() -> None:
    covered = {param.values[3] for param in STRUCTURAL_CASES + SEMANTIC_CASES}
    covered |= {Rule.UNKNOWN_SLOT, Rule.TOO_DEEP}  # tested below
    assert covered == set(Rule)


def test_deep_and_circular_slots_are_reported_not_crashed() -> None:
    response = good("confirm_intent")
    response["sessionState"]["intent"]["slots"]["Course"] = _nested_slot(3000)
    codes = {v.code for v in validate_lex_response(response)}
    assert {Rule.TOO_DEEP, Rule.NOT_JSON} <= codes
    loop: dict[str, Any] = {"shape": "List", "values": []}
    loop["values"].append(loop)
    response["sessionState"]["intent"]["slots"]["Course"] = loop
    codes = {v.code for v in validate_lex_response(response)}
    assert {Rule.TOO_DEEP, Rule.NOT_JSON} <= codes


def test_response_that_is_not_an_object() -> None:
    assert [(v.path, v.code) for v in validate_lex_response(["sessionState"])] == [
        ("", Rule.WRONG_TYPE)
    ]


def test_ssml_checks_only_ssml_messages() -> None:
    response = good("close_plain")
    response["messages"][0]["content"] = "<speak>unclosed"
    assert validate_lex_response(response) == []


def test_mutations_report_only_what_changed() -> None:
    """A single structural slip is reported once, not drowned in follow-on noise."""
    response = good("elicit_slot_card")
    response["messages"][1]["imageResponseCard"]["buttons"] = _buttons(BUTTONS_MAX + 1)
    assert [(v.path, v.code) for v in validate_lex_response(response)] == [
        ("messages[1].imageResponseCard.buttons", Rule.TOO_MANY_ITEMS)
    ]


# --------------------------------------------------------------------------- options


def test_require_messages_flag_relaxes_close_and_elicit_slot_only() -> None:
    for name in ("close_plain", "elicit_slot_card"):
        response = good(name)
        del response["messages"]
        assert validate_lex_response(response, require_messages=False) == []
    for name in ("elicit_intent", "confirm_intent"):  # documented: always needed
        response = good(name)
        del response["messages"]
        codes = [v.code for v in validate_lex_response(response, require_messages=False)]
        assert codes == [Rule.MESSAGES_REQUIRED]


def test_delegate_needs_no_messages() -> None:
    assert "messages" not in GOOD["delegate_slot_shapes"]
    assert validate_lex_response(good("delegate_slot_shapes")) == []


def test_known_slots_rejects_unknown_slot_to_elicit() -> None:
    response = good("elicit_slot_card")
    response["sessionState"]["dialogAction"]["slotToElicit"] = "CourseName"
    response["sessionState"]["intent"]["slots"] = {}
    assert validate_lex_response(response) == []  # without known_slots nothing to check
    violations = validate_lex_response(response, known_slots=KNOWN_SLOTS)
    assert [(v.path, v.code) for v in violations] == [
        ("sessionState.dialogAction.slotToElicit", Rule.UNKNOWN_SLOT)
    ]
    assert "LessonName" in violations[0].message


def test_known_slots_skips_intents_it_does_not_list() -> None:
    response = good("elicit_slot_card")
    response["sessionState"]["intent"]["name"] = "FallbackIntent"
    response["sessionState"]["dialogAction"]["slotToElicit"] = "Anything"
    assert validate_lex_response(response, known_slots=KNOWN_SLOTS) == []


# ----------------------------------------------------------------------- the model is botocore's


def test_dialog_action_types_are_the_models_enum() -> None:
    model_enum = model_meta("DialogAction", "type")["enum"]
    assert set(contract_model().shape("DialogActionType").enum) == set(model_enum)
    for action_type in model_enum:
        response = good("close_plain")
        response["sessionState"]["dialogAction"]["type"] = action_type
        assert Rule.ENUM not in {v.code for v in validate_lex_response(response)}


def test_message_content_limit_is_the_models_max() -> None:
    assert contract_model().shape("Message").members["content"].max == CONTENT_MAX
    response = good("close_plain")
    response["messages"][0]["content"] = "x" * CONTENT_MAX
    assert validate_lex_response(response) == []
    response["messages"][0]["content"] += "x"
    [violation] = validate_lex_response(response)
    assert violation.code is Rule.TOO_LONG and str(CONTENT_MAX) in violation.message


def test_walker_follows_a_changed_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Edit botocore's model (smaller Text max, extra DialogActionType): the validator follows."""
    import botocore.session
    from botocore.model import ServiceModel

    loader = botocore.session.get_session().get_component("data_loader")
    data = copy.deepcopy(loader.load_service_model("lexv2-runtime", "service-2"))
    data["shapes"]["Text"]["max"] = 5
    data["shapes"]["DialogActionType"]["enum"].append("Wave")
    edited = compile_model(ServiceModel(data, service_name="lexv2-runtime"))
    monkeypatch.setattr("lex_bot.devtools.lex_contract.contract_model", lambda: edited)

    response = good("close_plain")
    response["messages"][0]["content"] = "abcdef"
    response["sessionState"]["dialogAction"]["type"] = "Wave"
    response["sessionState"]["dialogAction"].pop("slotToElicit", None)
    assert [(v.path, v.code) for v in validate_lex_response(response)] == [
        ("messages[0].content", Rule.TOO_LONG)
    ]


def test_model_is_loaded_once() -> None:
    assert contract_model() is contract_model()


# --------------------------------------------------------------------------- assert_lex_response


def test_assert_lex_response_lists_every_violation() -> None:
    response = good("close_plain")
    response["sessionState"]["dialogAction"]["type"] = "Finish"
    response["messages"][0]["content"] = ""
    response["extra"] = True
    with pytest.raises(AssertionError) as raised:
        assert_lex_response(response)
    text = str(raised.value)
    assert text.startswith("Lex response breaks 3 contract rules:")
    for expected in (
        "sessionState.dialogAction.type: [enum] 'Finish'",
        "messages[0].content: [too-short]",
        "extra: [unknown-member]",
    ):
        assert expected in text


def test_violation_reads_well() -> None:
    violation = ContractViolation("", Rule.NOT_JSON, "not JSON")
    assert str(violation) == "(response): [not-json] not JSON"
