"""Hypothesis strategies that generate Lex V2 code hook events, valid and broken.

``lex_events()`` builds events of the documented shape with arbitrary transcripts, slot
values, session attributes, locales, input modes, hooks and confirmation states.
``broken_lex_events()`` takes such an event and breaks its structure (members removed,
replaced by values of the wrong type, oversized or hostile text). ``non_lex_events()`` are
JSON values that are not Lex V2 events at all.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from lex_bot.devtools.event_factory import lex_event

INTENTS = [
    "Greeting",
    "RecommendNextLesson",
    "StartLesson",
    "CompleteLesson",
    "LessonInfo",
    "ShowPrerequisites",
    "SetLearningGoal",
    "ShowLearningPath",
    "ShowProgress",
    "BrowseModules",
    "ResetProgress",
    "Help",
    "Goodbye",
    "FallbackIntent",
]
SLOTS = ["LessonName", "GoalLesson", "Module", "Score"]
LOCALES = ["en_US", "es_US", "en_GB", "fr_CA", "de_DE", "xx"]
HOSTILE_TEXT = [
    "",
    " ",
    "loops",
    "for loops",
    "recursion",
    "Variables",
    "../../etc/passwd",
    "python-intro/../../secrets",
    "<speak>hi</speak>",
    "</speak><audio src='http://x'/>",
    "'; DROP TABLE progress; --",
    "\x00\x01\x02",
    "מה ללמוד עכשיו?\u202e",
    "🎉🐍👩‍💻",
    "{0} {title} %s %(x)s",
    "x" * 5_000,
    "A" * 100_000,
]

text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=300))
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), text)
json_value = st.recursive(
    json_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(text, children, max_size=4)
    ),
    max_leaves=10,
)


@st.composite
def slot_values(draw: st.DrawFn) -> dict[str, Any] | None:
    shape = draw(st.sampled_from(["Scalar", "List", "Composite", None]))
    if shape is None:
        return None

    def scalar() -> dict[str, Any]:
        value = draw(text)
        return {
            "shape": "Scalar",
            "value": {
                "originalValue": value,
                "interpretedValue": draw(st.one_of(st.just(value), text)),
                "resolvedValues": draw(st.lists(text, max_size=3)),
            },
        }

    if shape == "Scalar":
        return scalar()
    if shape == "List":
        items = [scalar() for _ in range(draw(st.integers(0, 3)))]
        return {"shape": "List", "value": scalar()["value"], "values": items}
    return {
        "shape": "Composite",
        "subSlots": {name: scalar() for name in draw(st.lists(st.sampled_from(SLOTS), max_size=2))},
    }


@st.composite
def lex_events(draw: st.DrawFn) -> dict[str, Any]:
    """A Lex V2 event of the documented shape with arbitrary content."""
    intent_name = draw(st.one_of(st.sampled_from(INTENTS), st.text(min_size=1, max_size=30)))
    slots = {
        name: draw(slot_values())
        for name in draw(st.lists(st.sampled_from(SLOTS), max_size=3, unique=True))
    }
    intent = {
        "name": intent_name,
        "slots": slots,
        "state": draw(
            st.sampled_from(
                [
                    "InProgress",
                    "ReadyForFulfillment",
                    "Fulfilled",
                    "Failed",
                    "Waiting",
                    "FulfillmentInProgress",
                ]
            )
        ),
        "confirmationState": draw(st.sampled_from(["None", "Confirmed", "Denied"])),
    }
    mode = draw(st.sampled_from(["Text", "Speech", "DTMF"]))
    attributes = draw(
        st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from(
                    [
                        "lessonbot.failed_attempts",
                        "lessonbot.retrying",
                        "lessonbot.offered_lesson",
                        "lessonbot.offered",
                        "learnerId",
                        "theme",
                    ]
                )
                | text,
                st.one_of(text, json_value),
                max_size=6,
            ),
        )
    )
    event = lex_event(
        intent_name,
        slots,
        state=intent["state"],
        confirmation_state=intent["confirmationState"],
        source=draw(st.sampled_from(["DialogCodeHook", "FulfillmentCodeHook"])),
        input_mode=mode,
        transcript=draw(text),
        session_id=draw(st.one_of(st.just("fuzz-session"), st.text(min_size=1, max_size=64))),
        locale=draw(st.sampled_from(LOCALES)),
        interpretations=[{"intent": copy.deepcopy(intent), "nluConfidence": draw(st.floats(0, 1))}],
    )
    event["responseContentType"] = "text/plain; charset=utf-8"  # a mismatch Lex may send too
    del event["sessionState"]["sessionAttributes"]
    if attributes is not None:  # any shape, not only the factory's string map
        event["sessionState"]["sessionAttributes"] = attributes
    if mode == "Speech":
        event["transcriptions"] = [
            {"transcription": draw(text), "transcriptionConfidence": draw(st.floats(0, 1))}
        ]
    return event


PATHS = [
    ("sessionState",),
    ("sessionState", "intent"),
    ("sessionState", "intent", "name"),
    ("sessionState", "intent", "slots"),
    ("sessionState", "sessionAttributes"),
    ("bot",),
    ("bot", "localeId"),
    ("inputMode",),
    ("invocationSource",),
    ("sessionId",),
    ("interpretations",),
    ("inputTranscript",),
    ("messageVersion",),
    ("transcriptions",),
    ("sessionState", "activeContexts"),
]


@st.composite
def broken_lex_events(draw: st.DrawFn) -> dict[str, Any]:
    """A Lex-shaped event with one to three members removed or replaced by junk."""
    event = draw(lex_events())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = event
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue
        if draw(st.booleans()):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(json_value)
    return event


non_lex_events = st.one_of(
    st.just({}),
    st.lists(json_scalar, max_size=3),
    json_scalar,
    st.fixed_dictionaries(
        {"httpMethod": st.just("POST"), "body": text, "requestContext": st.just({})}
    ),
    st.fixed_dictionaries(
        {"currentIntent": st.just({"name": "X"}), "userId": text, "bot": st.just({"name": "B"})}
    ),
    st.dictionaries(st.sampled_from(["foo", "bar", "Records", "detail"]), json_value, max_size=3),
)
