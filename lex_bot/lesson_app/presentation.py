"""Channel-aware output: text channels get text and a card of buttons, voice gets SSML.

Which one the client gets follows the content type it asked for (``LexEvent.is_voice``:
Lex's ``responseContentType``, "AWS Lambda input event format for Lex V2",
https://docs.aws.amazon.com/lexv2/latest/dg/lambda-input-format.html): ``audio/*`` gets one
SSML answer and no card, also for a typed request; ``text/plain`` gets text and a card.

On voice, choices become ONE short question made of the choices' spoken forms
(:class:`Label`: "Would you like to start For Loops, or browse the modules?"), unless the
answer already ends with its own question; a learner who answered with keys (DTMF input)
also hears which key picks which choice ("Or press 1 for Yes, or 2 for No.").

Example:
    >>> from lex_bot.devtools.event_factory import lex_event
    >>> from lex_bot.lexv2.events import LexEvent
    >>> from lex_bot.lexv2.router import Turn
    >>> from lex_bot.lesson_app.session import LessonSession
    >>> def turn_on(mode, **kw):
    ...     event = LexEvent.model_validate(lex_event("Help", input_mode=mode, **kw))
    ...     return Turn(event=event, session=LessonSession())
    >>> go = Label("Start For Loops", SSML("start For Loops"))
    >>> [m.content_type.value for m in reply(turn_on("Text"), "Ready.", [(go, "x")])]
    ['PlainText', 'ImageResponseCard']
    >>> reply(turn_on("Speech"), "Ready.", [(go, "x")])[0].content
    '<speak>Ready. Shall we start For Loops?</speak>'
    >>> typed_audio = turn_on("Text", response_content_type="audio/mpeg")
    >>> [m.content_type.value for m in reply(typed_audio, "Ready.", [(go, "x")])]
    ['SSML']
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

from lex_bot.lesson_app.messages import Messages, messages_for
from lex_bot.lesson_app.speech import SSML, SpokenMessages, spoken_for, spoken_text
from lex_bot.lexv2.limits import (
    BUTTON_VALUE_MAX_CHARS,
    CARD_MAX_BUTTONS,
    MESSAGE_MAX_CHARS,
    MESSAGES_MAX,
)
from lex_bot.lexv2.responses import Message, card, ssml, to_messages
from lex_bot.lexv2.router import Turn

#: Choices offered in the spoken question (on DTMF every named choice gets its key).
VOICE_MAX_CHOICES = 3
VOICE_MAX_OFFERS = 2
Choice = tuple[str, str]
#: A spoken answer: SSML (or plain text to be made speakable), or the function of the spoken
#: catalogue that renders it, called only when the turn is answered by voice.
VoiceText = str | Callable[[SpokenMessages], str]
#: Spoken SSML, or a function returning it, called the first time a voice answer needs it.
Said = SSML | Callable[[], SSML]
_TAG = re.compile(r"<[^>]+>")


class Label(str):
    """A button label that also knows how it is said.

    ``speech`` is the SSML a voice answer uses for the choice; ``offer`` says whether it is
    an action the spoken question offers ("start For Loops", "browse the modules"); other
    labels (a lesson title, "Yes") are only read with their key on DTMF. ``subject`` (the
    lesson's spoken title) and ``short`` ("start it") let a lone offer whose lesson the
    answer has just named be asked briefly: "Shall we start it?".

    ``speech``, ``subject`` and ``short`` may be given as functions returning the SSML: they
    are rendered on first use, so a text turn, which never says its buttons, does not pay
    for rendering them.

    Example:
        >>> label = Label("Start Loops", lambda: SSML("start Loops"))
        >>> label, label.speech
        ('Start Loops', 'start Loops')
    """

    offer: bool
    _said: dict[str, Said | None]

    def __new__(
        cls,
        text: str,
        speech: Said,
        offer: bool = True,
        *,
        subject: Said | None = None,
        short: Said | None = None,
    ) -> Label:
        label = super().__new__(cls, text)
        label.offer = offer
        label._said = {"speech": speech, "subject": subject, "short": short}
        return label

    def _rendered(self, name: str) -> SSML | None:
        value = self._said[name]
        if callable(value):
            value = self._said[name] = value()
        return value

    @property
    def speech(self) -> SSML:
        """How the choice is said (SSML)."""
        speech = self._rendered("speech")
        assert speech is not None
        return speech

    @property
    def subject(self) -> SSML | None:
        """The lesson's spoken title, for the brief question ("Shall we start it?")."""
        return self._rendered("subject")

    @property
    def short(self) -> SSML | None:
        """The brief spoken offer ("start it")."""
        return self._rendered("short")


def texts(turn: Turn[Any]) -> Messages:
    """The message catalogue of this turn's locale."""
    return messages_for(turn.locale)


def speech_of(turn: Turn[Any]) -> SpokenMessages:
    """The spoken catalogue of this turn's locale (SSML; see ``speech``)."""
    return spoken_for(turn.locale)


def reply(
    turn: Turn[Any],
    text: str,
    choices: Sequence[Choice] = (),
    *,
    title: str | None = None,
    voice_text: VoiceText | None = None,
    keys: bool = False,
) -> list[Message]:
    """Messages for ``text`` and optional ``(label, value)`` choices, shaped for the channel.

    Parameters:
        text: what to say on a text channel (long text is split into several messages).
        choices: button labels and the values they send back; at most 5 are shown as buttons.
            On voice, up to :data:`VOICE_MAX_OFFERS` :class:`Label` offers become one
            question, unless the answer already asks one.
        title: the card title (default: the catalogue's ``card.choose``).
        voice_text: the spoken answer: :class:`~lex_bot.lesson_app.speech.SSML` built with
            ``speech_of(turn)`` (the same content as ``text``), or plain text to be made
            speakable, or the function of the spoken catalogue that builds it (the same
            function that built ``text`` from the text catalogue; called only on voice, so
            a text turn does not render an answer it never sends); defaults to ``text``
            made speakable.
        keys: on DTMF input, also say each choice's key ("press 1 for ..."); only for
            questions whose next answer maps a key press back to the choice.
    """
    t = texts(turn)
    if hasattr(turn.session, "offered"):  # for "the second one" after the card (``picks``)
        turn.session.offered = [value for _, value in list(choices)[:CARD_MAX_BUTTONS]]
    if turn.is_voice:
        s = speech_of(turn)
        said = voice_text if voice_text is not None else text
        if callable(said):
            said = said(s)
        said = said if isinstance(said, SSML) else spoken_text(said, turn.locale)
        shown = list(choices)[:VOICE_MAX_CHOICES]
        offers = [label for label, _ in shown if isinstance(label, Label) and label.offer]
        offers = [_offered(label, said, alone=len(offers) == 1) for label in offers]
        if offers and not _asks(said):
            question = s("voice.offer", options=s.join(offers[:VOICE_MAX_OFFERS], "or"))
            said = SSML(f"{said} {question}")
        if keys and shown and turn.is_dtmf:
            # Every choice the answer named gets its key (a page of candidates has up to
            # CARD_MAX_BUTTONS), not only the ones offered in the spoken question.
            pressed = [
                s("voice.key", number=n, label=_spoken_label(s, label))
                for n, (label, _) in enumerate(list(choices)[:CARD_MAX_BUTTONS], 1)
            ]
            said = SSML(f"{said} {s('voice.keys', keys=s.join(pressed, 'or'))}")
        return ssml_messages(said)
    messages = to_messages(text)[: MESSAGES_MAX - 1]
    if choices:
        messages.append(card(title or t("card.choose"), list(choices)[:CARD_MAX_BUTTONS]))
    return messages


#: What may follow the offered lesson's title in the answer's last sentence for "start it"
#: to be clear: no sentence break, no capital (so no other title), a few words ("...
#: Capstone Project already; you can review it any time.").
_AFTER_SUBJECT = re.compile(r"[^.!?A-ZÁÉÍÓÚÑ<]{0,60}[.!?]?\s*$")


def _offered(label: Label, said: str, *, alone: bool) -> SSML:
    """How the spoken question offers ``label``: briefly ("start it") when it is the only
    offer and the answer's last sentence names its lesson and no other ("... is Hello,
    World!", "You've mastered Recursion already; you can review it any time.")."""
    subject = label.subject or ""
    at = said.rfind(subject) if subject else -1
    named_last = at >= 0 and _AFTER_SUBJECT.fullmatch(said[at + len(subject) :]) is not None
    if alone and label.short and named_last:
        return label.short
    return label.speech


def _spoken_label(s: SpokenMessages, label: str) -> SSML:
    return label.speech if isinstance(label, Label) else s.content(label, s.locale)


def _asks(said: str) -> bool:
    """The spoken answer ends with a question of its own."""
    return _TAG.sub("", said).rstrip().endswith("?")


def ssml_messages(said: SSML) -> list[Message]:
    """SSML content as ``<speak>`` messages: one, or several split at sentence ends (outside
    any tag) when Lex's 1,024-character message limit needs it.

    Example:
        >>> [m.content for m in ssml_messages(SSML("One. Two."))]
        ['<speak>One. Two.</speak>']
    """
    room = MESSAGE_MAX_CHARS - len("<speak></speak>")
    chunks: list[str] = []
    current = ""
    for sentence in _top_level_sentences(said):
        joined = f"{current} {sentence}".strip()
        if len(joined) <= room:
            current = joined
            continue
        if current:
            chunks.append(current)
        current = sentence
    if current:
        chunks.append(current)
    out = []
    for chunk in chunks[:MESSAGES_MAX]:
        if len(chunk) <= room:
            out.append(ssml(chunk, escaped=True))
        else:  # one sentence longer than a message: say its words, shortened
            out.append(ssml(html.unescape(_TAG.sub("", chunk))))
    return out


def _top_level_sentences(said: str) -> list[str]:
    """``said`` cut after each sentence end that is not inside a tag's content."""
    pieces: list[str] = []
    depth, start = 0, 0
    for match in re.finditer(r"<(/?)[^>]*?(/?)>|(?<=[.?!])\s+", said):
        if match.group(0).startswith("<"):
            if match.group(1):
                depth -= 1
            elif not match.group(2):
                depth += 1
        elif depth == 0:
            pieces.append(said[start : match.start()])
            start = match.end()
    pieces.append(said[start:])
    return [p for p in pieces if p.strip()]


def button_value(*candidates: str) -> str:
    """The first candidate short enough to be a button value (Lex allows 50 characters)."""
    for candidate in candidates:
        if candidate and len(candidate) <= BUTTON_VALUE_MAX_CHARS:
            return candidate
    return candidates[-1][:BUTTON_VALUE_MAX_CHARS]


def bullet_list(lines: Sequence[str]) -> str:
    """Lines as a text list (one per line, with a bullet)."""
    return "\n".join(f"• {line}" for line in lines)
