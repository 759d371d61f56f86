"""Lex V2 response models and the builders that keep them inside Lex's contract.

Every way of making a response goes through these builders, which enforce the limits of
the ``lexv2-runtime`` model and the Lex V2 rules for Lambda responses:

* message content is 1..1024 characters: longer text is split at sentence ends into several
  messages (at most 10); if even ten are not enough, the tenth ends with a visible ellipsis;
* a card's title and subtitle are at most 250 characters, it has at most 5 buttons whose text
  and value are at most 50 characters (longer ones are shortened with an ellipsis);
* ``ElicitSlot`` names a slot and carries the intent; ``Close`` carries a final intent state;
  ``ConfirmIntent`` and ``Delegate`` carry the intent;
* session attribute values are strings (see :mod:`lex_bot.lexv2.session_attributes`).

Example:
    >>> r = close(Intent(name="Help"), IntentState.FULFILLED, [plain_text("I can help.")])
    >>> r.to_lex()["sessionState"]["dialogAction"]
    {'type': 'Close'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any
from xml.sax.saxutils import escape

from pydantic import Field, field_validator, model_validator

from lex_bot.lexv2.events import (
    ActiveContext,
    ConfirmationState,
    DialogActionType,
    Intent,
    IntentState,
    LexModel,
    Slot,
    SlotShape,
    StyleType,
)
from lex_bot.lexv2.limits import (
    BUTTON_TEXT_MAX_CHARS,
    BUTTON_VALUE_MAX_CHARS,
    CARD_IMAGE_URL_MAX_CHARS,
    CARD_MAX_BUTTONS,
    CARD_SUBTITLE_MAX_CHARS,
    CARD_TITLE_MAX_CHARS,
    MESSAGE_MAX_CHARS,
    MESSAGES_MAX,
    SLOT_NAME_MAX_CHARS,
    clean_text,
    shorten,
    split_text,
)

FINAL_CLOSE_STATES = frozenset({IntentState.FULFILLED, IntentState.FAILED})
_CONTEXT_NAME = re.compile(r"^([A-Za-z0-9]_?)+$")
_SLOT_NAME = re.compile(r"^([0-9a-zA-Z][_-]?)+$")


class ResponseContractError(ValueError):
    """A builder was asked for a response Lex would reject; raised instead of producing it."""


class MessageContentType(StrEnum):
    PLAIN_TEXT = "PlainText"
    SSML = "SSML"
    IMAGE_RESPONSE_CARD = "ImageResponseCard"
    CUSTOM_PAYLOAD = "CustomPayload"


class Button(LexModel):
    """A card button; ``text`` is shown, ``value`` is sent back as the learner's input."""

    text: str
    value: str

    @field_validator("text", "value", mode="before")
    @classmethod
    def _fit(cls, value: Any, info: Any) -> str:
        limit = BUTTON_TEXT_MAX_CHARS if info.field_name == "text" else BUTTON_VALUE_MAX_CHARS
        text = clean_text(str(value), 10 * limit).strip() or "?"
        return shorten(text, limit)


class ImageResponseCard(LexModel):
    title: str
    subtitle: str | None = None
    image_url: str | None = Field(default=None, alias="imageUrl")
    buttons: list[Button] = Field(default_factory=list)

    @field_validator("title", "subtitle", mode="before")
    @classmethod
    def _fit(cls, value: Any, info: Any) -> Any:
        if value is None:
            return None
        limit = CARD_TITLE_MAX_CHARS if info.field_name == "title" else CARD_SUBTITLE_MAX_CHARS
        text = clean_text(str(value), 10 * limit).strip()
        if not text:
            if info.field_name == "title":
                raise ValueError("a card needs a non-empty title")
            return None
        return shorten(text, limit)

    @field_validator("image_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not (0 < len(value) <= CARD_IMAGE_URL_MAX_CHARS):
            raise ValueError(f"imageUrl must be 1..{CARD_IMAGE_URL_MAX_CHARS} characters")
        return value

    @field_validator("buttons")
    @classmethod
    def _max_buttons(cls, value: list[Button]) -> list[Button]:
        if len(value) > CARD_MAX_BUTTONS:
            raise ValueError(f"a card has at most {CARD_MAX_BUTTONS} buttons, got {len(value)}")
        return value


class Message(LexModel):
    content_type: MessageContentType = Field(alias="contentType")
    content: str | None = None
    image_response_card: ImageResponseCard | None = Field(default=None, alias="imageResponseCard")

    @model_validator(mode="after")
    def _check(self) -> Message:
        if self.content_type is MessageContentType.IMAGE_RESPONSE_CARD:
            if self.image_response_card is None:
                raise ValueError("an ImageResponseCard message needs imageResponseCard")
        elif not self.content or len(self.content) > MESSAGE_MAX_CHARS:
            raise ValueError(f"message content must be 1..{MESSAGE_MAX_CHARS} characters")
        return self


class ResponseDialogAction(LexModel):
    type: DialogActionType
    slot_to_elicit: str | None = Field(default=None, alias="slotToElicit")
    slot_elicitation_style: StyleType | None = Field(default=None, alias="slotElicitationStyle")


class ResponseSessionState(LexModel):
    dialog_action: ResponseDialogAction = Field(alias="dialogAction")
    intent: Intent | None = None
    session_attributes: dict[str, str] = Field(default_factory=dict, alias="sessionAttributes")
    active_contexts: list[ActiveContext] | None = Field(default=None, alias="activeContexts")

    @field_validator("session_attributes")
    @classmethod
    def _strings(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if not isinstance(key, str) or not isinstance(item, str):
                raise ValueError(f"session attribute {key!r} must map a string to a string")
        return value


class LexResponse(LexModel):
    """A complete response to Lex; build it with :func:`close`, :func:`elicit_slot`, ..."""

    session_state: ResponseSessionState = Field(alias="sessionState")
    messages: list[Message] = Field(default_factory=list)
    request_attributes: dict[str, str] | None = Field(default=None, alias="requestAttributes")

    @field_validator("messages")
    @classmethod
    def _max_messages(cls, value: list[Message]) -> list[Message]:
        if len(value) > MESSAGES_MAX:
            raise ValueError(f"at most {MESSAGES_MAX} messages, got {len(value)}")
        return value

    @property
    def dialog_action_type(self) -> DialogActionType:
        return self.session_state.dialog_action.type

    def texts(self) -> list[str]:
        """The text of every message (card titles for cards), for tests and the local chat."""
        out = []
        for message in self.messages:
            if message.content:
                out.append(message.content)
            elif message.image_response_card:
                out.append(message.image_response_card.title)
        return out


# --------------------------------------------------------------------------- messages

MessageLike = str | Message


def plain_text(text: str) -> Message:
    """One PlainText message; text longer than Lex allows is shortened visibly.

    Use :func:`to_messages` to keep all of a long text as several messages.

    Example:
        >>> plain_text("Hello!").content
        'Hello!'
    """
    cleaned = clean_text(text, 4 * MESSAGE_MAX_CHARS).strip() or "…"
    return Message(
        contentType=MessageContentType.PLAIN_TEXT, content=shorten(cleaned, MESSAGE_MAX_CHARS)
    )


def ssml(text: str, *, escaped: bool = False) -> Message:
    """An SSML message wrapping ``text`` in ``<speak>``; the text is XML-escaped unless ``escaped``.

    Escaping means a lesson title such as ``</speak>`` is spoken, not interpreted.

    Example:
        >>> ssml("Loops & lists").content
        '<speak>Loops &amp; lists</speak>'
    """
    body = text if escaped else escape(clean_text(text, 4 * MESSAGE_MAX_CHARS))
    room = MESSAGE_MAX_CHARS - len("<speak></speak>")
    if len(body) > room:
        if escaped:
            raise ResponseContractError("pre-escaped SSML is longer than a Lex message allows")
        body = escape(shorten(clean_text(text, 4 * MESSAGE_MAX_CHARS), room // 2))
    return Message(contentType=MessageContentType.SSML, content=f"<speak>{body}</speak>")


def card(
    title: str,
    buttons: Sequence[tuple[str, str]] = (),
    *,
    subtitle: str | None = None,
    image_url: str | None = None,
) -> Message:
    """An ImageResponseCard; ``buttons`` are ``(text, value)`` pairs, at most 5 are kept.

    Example:
        >>> card("Pick one", [("Loops", "loops")]).image_response_card.buttons[0].value
        'loops'
    """
    kept = [Button(text=text, value=value) for text, value in list(buttons)[:CARD_MAX_BUTTONS]]
    return Message(
        contentType=MessageContentType.IMAGE_RESPONSE_CARD,
        imageResponseCard=ImageResponseCard(
            title=title, subtitle=subtitle, imageUrl=image_url, buttons=kept
        ),
    )


def custom_payload(content: str) -> Message:
    """A CustomPayload message (for example JSON a web client renders itself)."""
    if not 0 < len(content) <= MESSAGE_MAX_CHARS:
        raise ResponseContractError(f"custom payload must be 1..{MESSAGE_MAX_CHARS} characters")
    return Message(contentType=MessageContentType.CUSTOM_PAYLOAD, content=content)


def to_messages(items: MessageLike | Iterable[MessageLike] | None) -> list[Message]:
    """Normalise strings and messages into at most 10 valid Lex messages.

    Strings longer than 1024 characters are split at sentence ends into several PlainText
    messages; if the total would exceed 10 messages, the first ten are kept and the tenth
    ends with an ellipsis to show that the answer was cut.

    Example:
        >>> len(to_messages("word " * 400))
        2
    """
    if items is None:
        return []
    if isinstance(items, (str, Message)):
        items = [items]
    out: list[Message] = []
    for item in items:
        if isinstance(item, Message):
            out.append(item)
            continue
        text = clean_text(str(item), 10 * MESSAGE_MAX_CHARS * MESSAGES_MAX).strip()
        out.extend(plain_text(chunk) for chunk in split_text(text, MESSAGE_MAX_CHARS))
    if len(out) > MESSAGES_MAX:
        # Keep the first ten; a trailing ellipsis on the last one shows the answer was cut.
        out = out[:MESSAGES_MAX]
        last = out[-1]
        if last.content_type is MessageContentType.PLAIN_TEXT and last.content:
            out[-1] = plain_text(shorten(last.content, MESSAGE_MAX_CHARS - 2) + " …")
    return out


# --------------------------------------------------------------------------- session state


def _fit_slot(slot: Slot | None) -> Slot | None:
    """A copy of ``slot`` that satisfies the runtime model (``interpretedValue`` required)."""
    if slot is None:
        return None
    value = slot.value
    if value is not None:
        interpreted = value.interpreted_value or value.original_value
        if not interpreted:
            value = None
        else:
            value = value.model_copy(
                update={
                    "interpreted_value": interpreted,
                    "original_value": value.original_value or None,
                    "resolved_values": [
                        v for v in value.resolved_values if isinstance(v, str) and v
                    ],
                }
            )
    values = None
    if slot.shape is SlotShape.LIST:
        values = [fitted for item in slot.values or () if (fitted := _fit_slot(item)) is not None]
        if not values and value is not None:
            # Lex needs a List slot's items in ``values``: keep the lone value as one item.
            values = [Slot(shape=SlotShape.SCALAR, value=value)]
    sub_slots = None
    if slot.shape is SlotShape.COMPOSITE and slot.sub_slots:
        sub_slots = {k: _fit_slot(v) for k, v in slot.sub_slots.items() if _SLOT_NAME.match(k)}
    if value is None and not values and not sub_slots:
        return None
    return Slot(shape=slot.shape, value=value, values=values or None, subSlots=sub_slots or None)


def response_intent(
    intent: Intent,
    state: IntentState | None = None,
    confirmation_state: ConfirmationState | None = None,
    slots: Mapping[str, Slot | None] | None = None,
) -> Intent:
    """The intent as a response carries it: only the members Lex accepts, slots made valid."""
    source = intent.slots if slots is None else slots
    fitted = {
        name: _fit_slot(slot)
        for name, slot in source.items()
        if isinstance(name, str) and 0 < len(name) <= SLOT_NAME_MAX_CHARS
    }
    return Intent(
        name=intent.name,
        slots=fitted,
        state=state or intent.state or IntentState.IN_PROGRESS,
        confirmationState=confirmation_state or intent.confirmation_state or ConfirmationState.NONE,
    )


def valid_contexts(contexts: Sequence[ActiveContext] | None) -> list[ActiveContext] | None:
    """The active contexts that Lex would accept back, or ``None`` to leave them unchanged."""
    if not contexts:
        return None
    kept = []
    for ctx in contexts[:20]:
        ttl = ctx.time_to_live
        if (
            _CONTEXT_NAME.match(ctx.name)
            and len(ctx.name) <= 100
            and ttl is not None
            and ttl.time_to_live_in_seconds is not None
            and 5 <= ttl.time_to_live_in_seconds <= 86400
            and ttl.turns_to_live is not None
            and 1 <= ttl.turns_to_live <= 20
            and len(ctx.context_attributes) <= 10
            and all(
                0 < len(k) <= 100 and isinstance(v, str) and 0 < len(v) <= 1024
                for k, v in ctx.context_attributes.items()
            )
        ):
            kept.append(
                ActiveContext(
                    name=ctx.name, contextAttributes=dict(ctx.context_attributes), timeToLive=ttl
                )
            )
    return kept or None


def _response(
    action: ResponseDialogAction,
    intent: Intent | None,
    messages: MessageLike | Iterable[MessageLike] | None,
    session_attributes: Mapping[str, str] | None,
    active_contexts: Sequence[ActiveContext] | None,
) -> LexResponse:
    return LexResponse(
        sessionState=ResponseSessionState(
            dialogAction=action,
            intent=intent,
            sessionAttributes=dict(session_attributes or {}),
            activeContexts=valid_contexts(active_contexts),
        ),
        messages=to_messages(messages),
    )


# --------------------------------------------------------------------------- dialog actions


def close(
    intent: Intent,
    state: IntentState = IntentState.FULFILLED,
    messages: MessageLike | Iterable[MessageLike] | None = None,
    *,
    session_attributes: Mapping[str, str] | None = None,
    active_contexts: Sequence[ActiveContext] | None = None,
) -> LexResponse:
    """End the intent: Lex says the messages and waits for the next utterance.

    Parameters:
        intent: the intent being closed (its slots are echoed, made valid).
        state: ``Fulfilled`` or ``Failed``; other states are not final and are refused.
        messages: what to say.
    Returns:
        A ``Close`` response.
    Example:
        >>> close(Intent(name="Goodbye"), messages="Bye!").messages[0].content
        'Bye!'
    """
    if state not in FINAL_CLOSE_STATES:
        raise ResponseContractError(f"Close needs a final intent state, not {state}")
    if not to_messages(messages):
        raise ResponseContractError("Close needs at least one message: the bot must say something")
    return _response(
        ResponseDialogAction(type=DialogActionType.CLOSE),
        response_intent(intent, state=state),
        messages,
        session_attributes,
        active_contexts,
    )


def elicit_slot(
    intent: Intent,
    slot_to_elicit: str,
    messages: MessageLike | Iterable[MessageLike] | None = None,
    *,
    style: StyleType | None = None,
    slots: Mapping[str, Slot | None] | None = None,
    session_attributes: Mapping[str, str] | None = None,
    active_contexts: Sequence[ActiveContext] | None = None,
) -> LexResponse:
    """Ask the learner for ``slot_to_elicit`` of ``intent``.

    Parameters:
        slots: replacement slot values (for example with the rejected value cleared).
        style: ``SpellByLetter`` / ``SpellByWord`` for voice spelling.
    Example:
        >>> elicit_slot(Intent(name="StartLesson"), "LessonName", "Which?").dialog_action_type
        <DialogActionType.ELICIT_SLOT: 'ElicitSlot'>
    """
    if not slot_to_elicit or not _SLOT_NAME.match(slot_to_elicit):
        raise ResponseContractError(f"ElicitSlot needs a valid slot name, got {slot_to_elicit!r}")
    return _response(
        ResponseDialogAction(
            type=DialogActionType.ELICIT_SLOT,
            slotToElicit=slot_to_elicit,
            slotElicitationStyle=style,
        ),
        response_intent(intent, state=IntentState.IN_PROGRESS, slots=slots),
        messages,
        session_attributes,
        active_contexts,
    )


def confirm_intent(
    intent: Intent,
    messages: MessageLike | Iterable[MessageLike] | None = None,
    *,
    slots: Mapping[str, Slot | None] | None = None,
    session_attributes: Mapping[str, str] | None = None,
    active_contexts: Sequence[ActiveContext] | None = None,
) -> LexResponse:
    """Ask a yes/no question about ``intent``; Lex answers with its ``confirmationState``."""
    return _response(
        ResponseDialogAction(type=DialogActionType.CONFIRM_INTENT),
        response_intent(
            intent,
            state=IntentState.IN_PROGRESS,
            confirmation_state=ConfirmationState.NONE,
            slots=slots,
        ),
        messages,
        session_attributes,
        active_contexts,
    )


def delegate(
    intent: Intent,
    *,
    slots: Mapping[str, Slot | None] | None = None,
    session_attributes: Mapping[str, str] | None = None,
    active_contexts: Sequence[ActiveContext] | None = None,
) -> LexResponse:
    """Let Lex choose the next step of ``intent`` from the bot's configuration."""
    return _response(
        ResponseDialogAction(type=DialogActionType.DELEGATE),
        response_intent(intent, slots=slots),
        None,
        session_attributes,
        active_contexts,
    )


def elicit_intent(
    messages: MessageLike | Iterable[MessageLike] | None = None,
    *,
    session_attributes: Mapping[str, str] | None = None,
    active_contexts: Sequence[ActiveContext] | None = None,
) -> LexResponse:
    """Ask the learner what they want to do next (no intent is carried)."""
    if not to_messages(messages):
        raise ResponseContractError("ElicitIntent needs at least one message to prompt with")
    return _response(
        ResponseDialogAction(type=DialogActionType.ELICIT_INTENT),
        None,
        messages,
        session_attributes,
        active_contexts,
    )
