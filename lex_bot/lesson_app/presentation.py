"""Channel-aware output: text channels get text and a card of buttons, voice gets SSML.

Example:
    >>> from lex_bot.devtools.event_factory import lex_event
    >>> from lex_bot.lexv2.events import LexEvent
    >>> from lex_bot.lexv2.router import Turn
    >>> from lex_bot.lesson_app.session import LessonSession
    >>> def turn_on(mode):
    ...     event = LexEvent.model_validate(lex_event("Help", input_mode=mode))
    ...     return Turn(event=event, session=LessonSession())
    >>> [m.content_type.value for m in reply(turn_on("Text"), "Pick one.", [("For Loops", "x")])]
    ['PlainText', 'ImageResponseCard']
    >>> reply(turn_on("Speech"), "Pick one.", [("For Loops", "x")])[0].content
    '<speak>Pick one. You can say For Loops.</speak>'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lex_bot.lesson_app.messages import Messages, messages_for
from lex_bot.lexv2.limits import BUTTON_VALUE_MAX_CHARS, CARD_MAX_BUTTONS, MESSAGES_MAX
from lex_bot.lexv2.responses import Message, card, ssml, to_messages
from lex_bot.lexv2.router import Turn

VOICE_MAX_CHOICES = 3
Choice = tuple[str, str]


def texts(turn: Turn[Any]) -> Messages:
    """The message catalogue of this turn's locale."""
    return messages_for(turn.locale)


def reply(
    turn: Turn[Any],
    text: str,
    choices: Sequence[Choice] = (),
    *,
    title: str | None = None,
    voice_text: str | None = None,
    keys: bool = False,
) -> list[Message]:
    """Messages for ``text`` and optional ``(label, value)`` choices, shaped for the channel.

    Parameters:
        text: what to say on a text channel (long text is split into several messages).
        choices: button labels and the values they send back; at most 5 are shown as buttons,
            and on voice at most 3 are read out.
        title: the card title (default: the catalogue's ``card.choose``).
        voice_text: a shorter sentence for voice; defaults to ``text``.
        keys: on voice (Speech and DTMF), also read each choice's key ("press 1 for ...");
            only for questions whose next answer maps a key press back to the choice.
    """
    t = texts(turn)
    if hasattr(turn.session, "offered"):  # for "the second one" after the card (``picks``)
        turn.session.offered = [value for _, value in list(choices)[:CARD_MAX_BUTTONS]]
    if turn.is_voice:
        speech = voice_text or text
        labels = [label for label, _ in choices[:VOICE_MAX_CHOICES]]
        if labels:
            speech = f"{speech} {t('voice.choices', options=t.join(labels, 'or'))}"
        if labels and keys:
            pressed = [t("voice.key", number=n, label=label) for n, label in enumerate(labels, 1)]
            speech = f"{speech} {t('voice.keys', keys=t.join(pressed, 'or'))}"
        return [ssml(speech)]
    messages = to_messages(text)[: MESSAGES_MAX - 1]
    if choices:
        messages.append(card(title or t("card.choose"), list(choices)[:CARD_MAX_BUTTONS]))
    return messages


def button_value(*candidates: str) -> str:
    """The first candidate short enough to be a button value (Lex allows 50 characters)."""
    for candidate in candidates:
        if candidate and len(candidate) <= BUTTON_VALUE_MAX_CHARS:
            return candidate
    return candidates[-1][:BUTTON_VALUE_MAX_CHARS]


def bullet_list(lines: Sequence[str]) -> str:
    """Lines as a text list (one per line, with a bullet)."""
    return "\n".join(f"• {line}" for line in lines)
