"""Typed models of the Amazon Lex V2 Lambda input event.

The models follow "AWS Lambda input event format for Lex V2" in the Lex V2 developer guide.
Lex may add fields without changing ``messageVersion``, so every model tolerates unknown
fields and keeps them (``extra="allow"``): a recorded event re-serialises without losses.

Example:
    >>> from lex_bot.devtools.event_factory import lex_event
    >>> raw_event = lex_event("RecommendNextLesson", source="DialogCodeHook")
    >>> event = LexEvent.model_validate(raw_event)
    >>> event.intent_name, event.invocation_source
    ('RecommendNextLesson', <InvocationSource.DIALOG_CODE_HOOK: 'DialogCodeHook'>)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lex_bot.lexv2.limits import MAX_SLOT_VALUE_CHARS, MAX_TRANSCRIPT_CHARS, clean_text


class LexModel(BaseModel):
    """Base of every Lex V2 model: camelCase names, unknown fields kept, no coercion surprises."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)

    def to_lex(self) -> dict[str, Any]:
        """Serialise to the JSON-ready dict Lex uses (aliases, no ``None`` members)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class InvocationSource(StrEnum):
    DIALOG_CODE_HOOK = "DialogCodeHook"
    FULFILLMENT_CODE_HOOK = "FulfillmentCodeHook"


class InputMode(StrEnum):
    TEXT = "Text"
    SPEECH = "Speech"
    DTMF = "DTMF"


class IntentState(StrEnum):
    FAILED = "Failed"
    FULFILLED = "Fulfilled"
    FULFILLMENT_IN_PROGRESS = "FulfillmentInProgress"
    IN_PROGRESS = "InProgress"
    READY_FOR_FULFILLMENT = "ReadyForFulfillment"
    WAITING = "Waiting"


class ConfirmationState(StrEnum):
    CONFIRMED = "Confirmed"
    DENIED = "Denied"
    NONE = "None"


class DialogActionType(StrEnum):
    CLOSE = "Close"
    CONFIRM_INTENT = "ConfirmIntent"
    DELEGATE = "Delegate"
    ELICIT_INTENT = "ElicitIntent"
    ELICIT_SLOT = "ElicitSlot"
    NONE = "None"


class SlotShape(StrEnum):
    SCALAR = "Scalar"
    LIST = "List"
    COMPOSITE = "Composite"


class StyleType(StrEnum):
    DEFAULT = "Default"
    SPELL_BY_LETTER = "SpellByLetter"
    SPELL_BY_WORD = "SpellByWord"


class Sentiment(StrEnum):
    MIXED = "MIXED"
    NEGATIVE = "NEGATIVE"
    NEUTRAL = "NEUTRAL"
    POSITIVE = "POSITIVE"


class InterpretationSource(StrEnum):
    LEX = "Lex"
    BEDROCK = "Bedrock"


class SlotValue(LexModel):
    """``value`` of a slot: what the user said and what Lex made of it."""

    original_value: str | None = Field(default=None, alias="originalValue")
    interpreted_value: str | None = Field(default=None, alias="interpretedValue")
    resolved_values: list[str] = Field(default_factory=list, alias="resolvedValues")

    @field_validator("original_value", "interpreted_value", mode="before")
    @classmethod
    def _bound(cls, value: Any) -> Any:
        return clean_text(value, MAX_SLOT_VALUE_CHARS) if isinstance(value, str) else value

    @field_validator("resolved_values", mode="before")
    @classmethod
    def _bound_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [clean_text(v, MAX_SLOT_VALUE_CHARS) if isinstance(v, str) else v for v in value]
        return value


class Slot(LexModel):
    """One slot: Scalar (``value``), List (``values``) or Composite (``subSlots``)."""

    shape: SlotShape = SlotShape.SCALAR
    value: SlotValue | None = None
    values: list[Slot] | None = None
    sub_slots: dict[str, Slot | None] | None = Field(default=None, alias="subSlots")

    @property
    def interpreted(self) -> str | None:
        """The interpreted value of a Scalar slot (``None`` when empty)."""
        return self.value.interpreted_value if self.value else None

    @property
    def original(self) -> str | None:
        """What the learner actually said for this slot."""
        return self.value.original_value if self.value else None

    def interpreted_values(self) -> list[str]:
        """All interpreted values: one for Scalar, each element for List."""
        if self.shape is SlotShape.LIST and self.values:
            return [v for item in self.values if (v := item.interpreted) is not None]
        return [self.interpreted] if self.interpreted is not None else []


class Intent(LexModel):
    name: str
    slots: dict[str, Slot | None] = Field(default_factory=dict)
    state: IntentState | None = None
    confirmation_state: ConfirmationState | None = Field(default=None, alias="confirmationState")
    kendra_response: dict[str, Any] | None = Field(default=None, alias="kendraResponse")

    @field_validator("slots", mode="before")
    @classmethod
    def _none_slots(cls, value: Any) -> Any:
        return {} if value is None else value

    def slot(self, name: str) -> Slot | None:
        """The slot called ``name``, or ``None`` when absent or empty."""
        return self.slots.get(name)

    def slot_value(self, name: str) -> str | None:
        """The interpreted value of a Scalar slot, or ``None``."""
        slot = self.slots.get(name)
        return slot.interpreted if slot else None


class SentimentScore(LexModel):
    mixed: float | None = None
    negative: float | None = None
    neutral: float | None = None
    positive: float | None = None


class SentimentResponse(LexModel):
    sentiment: Sentiment | None = None
    sentiment_score: SentimentScore | None = Field(default=None, alias="sentimentScore")


class Interpretation(LexModel):
    intent: Intent
    nlu_confidence: float | None = Field(default=None, alias="nluConfidence")
    sentiment_response: SentimentResponse | None = Field(default=None, alias="sentimentResponse")
    interpretation_source: InterpretationSource | None = Field(
        default=None, alias="interpretationSource"
    )


class DialogAction(LexModel):
    type: DialogActionType
    slot_to_elicit: str | None = Field(default=None, alias="slotToElicit")
    slot_elicitation_style: StyleType | None = Field(default=None, alias="slotElicitationStyle")
    sub_slot_to_elicit: dict[str, Any] | None = Field(default=None, alias="subSlotToElicit")


class Prompt(LexModel):
    attempt: str | None = None


class ProposedNextState(LexModel):
    dialog_action: DialogAction | None = Field(default=None, alias="dialogAction")
    intent: Intent | None = None
    prompt: Prompt | None = None


class TimeToLive(LexModel):
    time_to_live_in_seconds: int | None = Field(default=None, alias="timeToLiveInSeconds")
    turns_to_live: int | None = Field(default=None, alias="turnsToLive")


class ActiveContext(LexModel):
    name: str
    context_attributes: dict[str, str] = Field(default_factory=dict, alias="contextAttributes")
    time_to_live: TimeToLive | None = Field(default=None, alias="timeToLive")


class RuntimeHintValue(LexModel):
    phrase: str


class RuntimeHintDetails(LexModel):
    runtime_hint_values: list[RuntimeHintValue] | None = Field(
        default=None, alias="runtimeHintValues"
    )
    sub_slot_hints: dict[str, RuntimeHintDetails] | None = Field(default=None, alias="subSlotHints")


class RuntimeHints(LexModel):
    slot_hints: dict[str, dict[str, RuntimeHintDetails]] | None = Field(
        default=None, alias="slotHints"
    )


class SessionState(LexModel):
    active_contexts: list[ActiveContext] = Field(default_factory=list, alias="activeContexts")
    session_attributes: dict[str, Any] = Field(default_factory=dict, alias="sessionAttributes")
    runtime_hints: RuntimeHints | None = Field(default=None, alias="runtimeHints")
    dialog_action: DialogAction | None = Field(default=None, alias="dialogAction")
    intent: Intent | None = None
    originating_request_id: str | None = Field(default=None, alias="originatingRequestId")

    @field_validator("session_attributes", "active_contexts", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any, info: Any) -> Any:
        if value is None:
            return {} if info.field_name == "session_attributes" else []
        return value


class ResolvedContext(LexModel):
    intent: str | None = None


class Transcription(LexModel):
    transcription: str = ""
    transcription_confidence: float | None = Field(default=None, alias="transcriptionConfidence")
    resolved_context: ResolvedContext | None = Field(default=None, alias="resolvedContext")
    resolved_slots: dict[str, Slot | None] | None = Field(default=None, alias="resolvedSlots")

    @field_validator("transcription", mode="before")
    @classmethod
    def _bound(cls, value: Any) -> Any:
        return clean_text(value, MAX_TRANSCRIPT_CHARS) if isinstance(value, str) else value


class Bot(LexModel):
    id: str
    name: str
    locale_id: str = Field(alias="localeId")
    version: str
    alias_id: str | None = Field(default=None, alias="aliasId")
    alias_name: str | None = Field(default=None, alias="aliasName")


class LexEvent(LexModel):
    """The whole event Lex V2 sends to a Lambda code hook."""

    message_version: str = Field(alias="messageVersion")
    invocation_source: InvocationSource = Field(alias="invocationSource")
    input_mode: InputMode = Field(alias="inputMode")
    response_content_type: str | None = Field(default=None, alias="responseContentType")
    session_id: str = Field(alias="sessionId", min_length=1, max_length=256)
    input_transcript: str = Field(default="", alias="inputTranscript")
    invocation_label: str | None = Field(default=None, alias="invocationLabel")
    bot: Bot
    interpretations: list[Interpretation] = Field(default_factory=list)
    proposed_next_state: ProposedNextState | None = Field(default=None, alias="proposedNextState")
    request_attributes: dict[str, str] = Field(default_factory=dict, alias="requestAttributes")
    session_state: SessionState = Field(alias="sessionState")
    transcriptions: list[Transcription] = Field(default_factory=list)

    @field_validator("input_transcript", mode="before")
    @classmethod
    def _bound_transcript(cls, value: Any) -> Any:
        if value is None:
            return ""
        return clean_text(value, MAX_TRANSCRIPT_CHARS) if isinstance(value, str) else value

    @field_validator("request_attributes", "interpretations", "transcriptions", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any, info: Any) -> Any:
        if value is None:
            return {} if info.field_name == "request_attributes" else []
        return value

    @property
    def intent(self) -> Intent:
        """The intent Lex chose for this turn (from ``sessionState``)."""
        if self.session_state.intent is not None:
            return self.session_state.intent
        if self.interpretations:
            return self.interpretations[0].intent
        return Intent(name="FallbackIntent")

    @property
    def intent_name(self) -> str:
        return self.intent.name

    @property
    def is_voice(self) -> bool:
        """True when the answer will be heard: answer in SSML, with no card.

        Lex sends ``responseContentType``, the content type the client asked for
        ("AWS Lambda input event format for Lex V2",
        https://docs.aws.amazon.com/lexv2/latest/dg/lambda-input-format.html:
        ``audio/mpeg | audio/ogg | audio/pcm | text/plain; charset=utf-8``). An ``audio/*``
        type is a spoken answer, also for a *typed* request that asks for audio back; a
        ``text/*`` type is a text answer, also for spoken input. Without a content type the
        input mode decides (Speech and DTMF are heard).

        Example:
            >>> from lex_bot.devtools.event_factory import lex_event
            >>> typed = lex_event("Help", response_content_type="audio/pcm")
            >>> LexEvent.model_validate(typed).is_voice
            True
        """
        wanted = (self.response_content_type or "").strip().lower()
        if wanted.startswith("audio/"):
            return True
        if wanted.startswith("text/"):
            return False
        return self.input_mode in (InputMode.SPEECH, InputMode.DTMF)

    @property
    def is_dtmf(self) -> bool:
        """True when the learner answered with key presses (read the keys to press back)."""
        return self.input_mode is InputMode.DTMF

    @property
    def locale(self) -> str:
        return self.bot.locale_id
