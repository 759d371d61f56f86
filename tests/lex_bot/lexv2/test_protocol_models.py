"""The typed Lex V2 protocol: event models, response builders and their limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paths import EVENTS as EVENTS_DIR
from pydantic import ValidationError

from lex_bot.devtools.lex_contract import assert_lex_response
from lex_bot.lexv2.events import (
    ConfirmationState,
    InputMode,
    Intent,
    IntentState,
    InvocationSource,
    LexEvent,
    SlotShape,
    StyleType,
)
from lex_bot.lexv2.limits import MESSAGE_MAX_CHARS, MESSAGES_MAX, clean_text, shorten, split_text
from lex_bot.lexv2.responses import (
    LexResponse,
    MessageContentType,
    ResponseContractError,
    card,
    close,
    confirm_intent,
    delegate,
    elicit_intent,
    elicit_slot,
    plain_text,
    ssml,
    to_messages,
)

EVENTS = sorted((EVENTS_DIR).glob("*.json"))


def load(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text())


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_every_corpus_event_parses(path: Path) -> None:
    event = LexEvent.model_validate(json.loads(path.read_text()))
    assert isinstance(event.invocation_source, InvocationSource)
    assert isinstance(event.input_mode, InputMode)
    assert event.intent_name


def test_corpus_covers_the_documented_variations() -> None:
    events = [LexEvent.model_validate(json.loads(p.read_text())) for p in EVENTS]
    assert {e.invocation_source for e in events} == set(InvocationSource)
    assert {e.input_mode for e in events} == set(InputMode)
    shapes = {slot.shape for e in events for slot in e.intent.slots.values() if slot is not None}
    assert {SlotShape.SCALAR, SlotShape.LIST, SlotShape.COMPOSITE} <= shapes
    assert any(len(e.interpretations) > 1 for e in events)
    assert any(e.transcriptions for e in events)
    assert any(e.session_state.active_contexts for e in events)
    assert {e.intent.confirmation_state for e in events} >= {
        ConfirmationState.CONFIRMED,
        ConfirmationState.DENIED,
        ConfirmationState.NONE,
    }
    assert any(e.locale != "en_US" for e in events)
    raw = [json.loads(p.read_text()) for p in EVENTS]
    assert any("sessionAttributes" not in r["sessionState"] for r in raw)
    assert any(r["sessionState"].get("sessionAttributes") == {} for r in raw)


def test_slot_shapes_expose_values() -> None:
    event = LexEvent.model_validate(load("complete_lesson_list_slot.json"))
    slot = event.intent.slot("LessonName")
    assert slot is not None and slot.shape is SlotShape.LIST
    assert slot.interpreted_values() == ["variables", "for loops"]
    composite = LexEvent.model_validate(load("set_goal_composite_slot.json")).intent.slot(
        "GoalLesson"
    )
    assert composite is not None and composite.sub_slots is not None
    assert composite.sub_slots["Lesson"].interpreted == "recursion"


def test_speech_transcriptions_and_sentiment_are_typed() -> None:
    event = LexEvent.model_validate(load("start_lesson_speech_transcriptions.json"))
    assert event.is_voice
    assert event.transcriptions[0].transcription_confidence == pytest.approx(0.94)
    assert event.transcriptions[0].resolved_context.intent == "StartLesson"
    assert event.transcriptions[1].resolved_slots["LessonName"].interpreted == "four loops"
    sentiment = LexEvent.model_validate(load("recommend_dialog_hook_sentiment.json"))
    assert sentiment.interpretations[0].sentiment_response.sentiment_score.neutral == 0.9


def test_unknown_fields_are_kept() -> None:
    raw = load("learning_path_unknown_future_fields.json")
    event = LexEvent.model_validate(raw)
    dumped = event.model_dump(by_alias=True)
    assert dumped["futureField"] == {"addedByLexLater": True}


def test_untrusted_text_is_cleaned_and_bounded() -> None:
    raw = load("greeting_text_fulfillment.json")
    raw["inputTranscript"] = "hi\x00" + "x" * 100_000
    event = LexEvent.model_validate(raw)
    assert "\x00" not in event.input_transcript
    assert len(event.input_transcript) <= 1024


def test_invalid_enum_is_rejected() -> None:
    raw = load("greeting_text_fulfillment.json")
    raw["inputMode"] = "Telepathy"
    with pytest.raises(ValidationError):
        LexEvent.model_validate(raw)


# ----------------------------------------------------------------------------- builders


def test_long_text_is_split_not_truncated() -> None:
    sentence = "Loops repeat work until a condition changes. "
    text = sentence * 60  # ~2,700 characters
    messages = to_messages(text)
    assert len(messages) >= 3
    assert all(1 <= len(m.content) <= MESSAGE_MAX_CHARS for m in messages)
    assert " ".join(m.content for m in messages).split() == text.split()


def test_overlong_text_is_capped_at_ten_messages_with_a_note() -> None:
    messages = to_messages("word " * 5_000)
    assert len(messages) == MESSAGES_MAX
    assert messages[-1].content.endswith("…")


def test_card_limits_are_enforced() -> None:
    buttons = [
        (f"Lesson number {i} with a very long title indeed, longer than fifty", f"value {i}" * 20)
        for i in range(8)
    ]
    message = card("T" * 400, buttons, subtitle="S" * 400)
    response = close(Intent(name="Help"), messages=[plain_text("hi"), message])
    assert_lex_response(response.to_lex())
    built = message.image_response_card
    assert len(built.buttons) == 5
    assert all(len(b.text) <= 50 and len(b.value) <= 50 for b in built.buttons)
    assert len(built.title) <= 250 and built.title.endswith("…")


def test_ssml_escapes_markup_injection() -> None:
    message = ssml('Start </speak><audio src="x"/> now & then')
    assert message.content_type is MessageContentType.SSML
    assert message.content.startswith("<speak>") and message.content.endswith("</speak>")
    assert message.content.count("</speak>") == 1
    assert "&lt;/speak&gt;" in message.content


def test_close_requires_a_final_state_and_a_message() -> None:
    with pytest.raises(ResponseContractError):
        close(Intent(name="Help"), IntentState.IN_PROGRESS, "hi")
    with pytest.raises(ResponseContractError):
        close(Intent(name="Help"), IntentState.FULFILLED, [])
    response = close(Intent(name="Help"), IntentState.FAILED, "Sorry")
    assert response.session_state.intent.state is IntentState.FAILED


def test_elicit_slot_names_a_slot_and_carries_the_intent() -> None:
    with pytest.raises(ResponseContractError):
        elicit_slot(Intent(name="StartLesson"), "", "Which one?")
    response = elicit_slot(
        Intent(name="StartLesson"), "LessonName", "Which one?", style=StyleType.SPELL_BY_WORD
    )
    lex = response.to_lex()
    assert lex["sessionState"]["dialogAction"] == {
        "type": "ElicitSlot",
        "slotToElicit": "LessonName",
        "slotElicitationStyle": "SpellByWord",
    }
    assert lex["sessionState"]["intent"]["name"] == "StartLesson"
    assert_lex_response(lex)


def test_every_dialog_action_builds_a_valid_response() -> None:
    event = LexEvent.model_validate(load("complete_lesson_list_slot.json"))
    intent = event.intent
    responses = [
        close(intent, messages="Done"),
        elicit_slot(intent, "LessonName", "Which?"),
        confirm_intent(intent, "Sure?"),
        delegate(intent),
        elicit_intent("What next?"),
    ]
    for response in responses:
        assert_lex_response(response.to_lex())
    assert (
        confirm_intent(intent, "Sure?").session_state.intent.confirmation_state
        is ConfirmationState.NONE
    )


def test_slots_without_interpreted_value_are_made_valid() -> None:
    raw = load("complete_lesson_list_slot.json")
    raw["sessionState"]["intent"]["slots"]["LessonName"]["values"][0]["value"].pop(
        "interpretedValue"
    )
    intent = LexEvent.model_validate(raw).intent
    lex = delegate(intent).to_lex()
    assert_lex_response(lex)
    first = lex["sessionState"]["intent"]["slots"]["LessonName"]["values"][0]["value"]
    assert first["interpretedValue"] == first["originalValue"] == "variables"


def test_session_attribute_values_must_be_strings() -> None:
    with pytest.raises(ValidationError):
        close(Intent(name="Help"), messages="hi", session_attributes={"n": 3})  # type: ignore[dict-item]


def test_response_model_round_trips() -> None:
    response = elicit_slot(
        Intent(name="StartLesson"), "LessonName", [plain_text("a"), card("b", [("c", "d")])]
    )
    again = LexResponse.model_validate(response.to_lex())
    assert again.to_lex() == response.to_lex()


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("short", 10, "short"), ("Introduction to recursion", 15, "Introduction…")],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


def test_split_text_keeps_every_word() -> None:
    text = "One two three. Four five six! Seven eight nine? Ten."
    for limit in (7, 12, 20, 100):
        chunks = split_text(text, limit)
        assert all(len(c) <= limit for c in chunks)
        assert " ".join(chunks).split() == text.split()


def test_clean_text_drops_controls_keeps_scripts_and_emoji() -> None:
    assert clean_text("שלום\u202e abc 🎉\x07", 100) == "שלום abc 🎉"
