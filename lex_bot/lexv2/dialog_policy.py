"""One dialog policy for every slot question: a new request is answered, never swallowed.

When a bot elicits a slot with original-value resolution, Lex fills the slot with whatever
the learner says next ("Amazon Lex V2 developer guide", "Custom slot types", slot value
resolution): "what do I need before recursion?" fills ``LessonName`` of the pending
``CompleteLesson`` with "recursion", and a handler that trusts the slot records a lesson the
learner never said they finished. The handler still receives the whole ``inputTranscript``
and Lex's ``interpretations`` with their ``nluConfidence`` (sent on every turn, "Lambda input
event format"), so the router can tell an answer from a new request.

The rule (:meth:`DialogPolicy.switch`), applied by the router before any handler runs, for a
dialog code hook turn of the intent whose slot the bot asked for last (``asked``, kept in
the session by the router after every response):

1. an answer that *is* a listed value of the slot (Lex resolved it, ``resolvedValues`` is not
   empty, and it spans the whole transcript) is an answer: no switch;
2. another intent (not ``FallbackIntent``) with ``nluConfidence`` of at least
   ``switch_confidence`` (0.75) and above the pending intent's own confidence is a clear
   request: the turn becomes that intent, with the slots Lex interpreted for it;
3. a question (a ``?`` or ``¿``, or a first word that asks, per locale, after spoken
   fillers such as "so", "uh", "pues") is not an answer either: it goes to the best other
   intent from ``question_confidence`` (0.4, the bots' NLU confidence threshold), else to
   ``FallbackIntent``;
4. a request that asks no question ("tell me about X", "show me X", "háblame de X") goes to
   the best other intent from ``question_confidence`` when it is above the pending intent's
   own confidence ("show module Functions" at the module question stays an answer);
5. anything else answers the slot.

A yes/no question (ConfirmIntent) is remembered as ``Intent?``; on DTMF a key press that
Lex did not read as yes or no ("1" yes, "2" no, ``confirm_keys``) confirms or declines that
intent: the turn becomes the pending intent with its ``confirmationState`` set (its slots
are not carried, so a bot reads keys out only where the question's subject is kept in the
session).

The pending intent is dropped (a later "I finished X" starts it afresh). The switched turn
is answered in the dialog code hook, and the response names the new intent: Lex V2 lets a
code hook change the intent ("Lambda response format", ``sessionState.intent``).

Example:
    >>> from lex_bot.devtools.event_factory import lex_event, slot
    >>> from lex_bot.lexv2.events import LexEvent
    >>> raw = lex_event("CompleteLesson", {"LessonName": slot("recursion")},
    ...     source="DialogCodeHook", transcript="what do I need before recursion?",
    ...     interpretations=[
    ...         {"intent": {"name": "CompleteLesson", "slots": {}}},
    ...         {"intent": {"name": "ShowPrerequisites", "slots": {}}, "nluConfidence": 1.0}])
    >>> DialogPolicy().switch(LexEvent.model_validate(raw), "CompleteLesson.LessonName").name
    'ShowPrerequisites'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from lex_bot.lexv2.events import (
    ConfirmationState,
    DialogActionType,
    InputMode,
    Intent,
    IntentState,
    InvocationSource,
    LexEvent,
    Slot,
)
from lex_bot.lexv2.responses import LexResponse

FALLBACK_INTENT = "FallbackIntent"
#: The mark of a pending yes/no question in ``asked`` (``"ResetProgress?"``).
CONFIRM_MARK = "?"

#: Words that open a question, per language (the locale's first two letters), accents off.
#: Only words that rarely open an answer: Spanish "esta"/"es" ("esta lección") and "por"
#: ("por favor") are left out; "¿" and "?" mark the other questions.
DEFAULT_QUESTION_WORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset({"what", "whats", "which", "who", "whom", "whose", "where", "when", "why",
                     "how", "is", "are", "am", "can", "could", "do", "does", "did", "should",
                     "shall", "will", "would", "may"}),
    "es": frozenset({"que", "cual", "cuales", "quien", "quienes", "donde", "cuando", "cuanto",
                     "cuanta", "cuantos", "cuantas", "como", "puedo", "debo"}),
}  # fmt: skip
#: Words that open a request without asking ("tell me about X", "dime qué es X"): speech
#: transcripts carry no "?", and a request is no more an answer than a question is.
DEFAULT_REQUEST_WORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset({"tell", "show", "explain", "describe", "give", "teach"}),
    "es": frozenset({"dime", "dame", "muestrame", "ensename", "explicame", "hablame",
                     "cuentame", "describeme", "explica", "muestra", "ensena"}),
}  # fmt: skip
#: Spoken fillers that may come before a question or request ("so what…", "uh tell me…").
DEFAULT_FILLERS: Mapping[str, frozenset[str]] = {
    "en": frozenset({"so", "uh", "um", "umm", "er", "erm", "well", "and", "oh", "ok", "okay",
                     "hmm", "hey", "but", "then", "now", "like", "actually"}),
    "es": frozenset({"y", "pues", "bueno", "eh", "este", "entonces", "oye", "mmm", "ah",
                     "vale", "pero", "ahora"}),
}  # fmt: skip
_WORD = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class DialogPolicy:
    """Decides whether an answer to a slot question is really a new request.

    Parameters:
        switch_confidence: the ``nluConfidence`` from which another intent is a clear request.
        question_confidence: the confidence from which a question goes to another intent
            (below it, to ``fallback_intent``).
        question_words: words that open a question, per language code.
    """

    switch_confidence: float = 0.75
    question_confidence: float = 0.4
    fallback_intent: str = FALLBACK_INTENT
    question_words: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: dict(DEFAULT_QUESTION_WORDS)
    )
    request_words: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: dict(DEFAULT_REQUEST_WORDS)
    )
    fillers: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_FILLERS))
    confirm_keys: Mapping[str, ConfirmationState] = field(
        default_factory=lambda: {"1": ConfirmationState.CONFIRMED, "2": ConfirmationState.DENIED}
    )

    def is_question(self, text: str, locale: str) -> bool:
        """``text`` asks something: a question mark, or a first word that asks, after
        spoken fillers ("so", "uh", "pues"): speech transcripts carry no "?".

        Example:
            >>> policy = DialogPolicy()
            >>> policy.is_question("how far am I", "en_US"), policy.is_question("loops", "en_US")
            (True, False)
            >>> policy.is_question("¿Cuánto llevo?", "es_US")
            True
            >>> policy.is_question("uh so what is recursion about", "en_US")
            True
        """
        stripped = text.strip()
        if stripped.endswith("?") or stripped.startswith("¿"):
            return True
        return self._opens_with(stripped, locale, self.question_words)

    def is_request(self, text: str, locale: str) -> bool:
        """``text`` asks for something without asking a question: a first word (after
        fillers) that requests ("tell me about X", "show me", "dime", "háblame de").

        Example:
            >>> policy = DialogPolicy()
            >>> policy.is_request("tell me about recursion", "en_US")
            True
            >>> policy.is_request("eh háblame de recursión", "es_US")
            True
            >>> policy.is_request("recursion please", "en_US")
            False
        """
        return self._opens_with(text.strip(), locale, self.request_words)

    def _opens_with(self, text: str, locale: str, openings: Mapping[str, frozenset[str]]) -> bool:
        language = locale[:2]
        fillers = self.fillers.get(language, frozenset())
        words = _WORD.findall(_fold(text))
        while words and words[0] in fillers:
            words.pop(0)
        return bool(words) and words[0] in openings.get(language, frozenset())

    def is_bare_answer(self, slot: Slot | None, transcript: str, locale: str) -> bool:
        """``transcript`` answers a slot question with the slot's value and nothing else: the
        value makes up the whole transcript ("What Is Programming?"), or nearly all of it
        (:func:`value_spans_transcript`) and the transcript neither asks nor requests.

        A bot whose answer *writes* something asks before writing when this is ``False``
        (Lex fills the slot from part of "tell me about hello world").

        Example:
            >>> from lex_bot.lexv2.events import SlotValue
            >>> s = Slot(value=SlotValue(originalValue="recursion", interpretedValue="recursion"))
            >>> policy = DialogPolicy()
            >>> policy.is_bare_answer(s, "recursion please", "en_US")
            True
            >>> policy.is_bare_answer(s, "explain recursion", "en_US")
            False
        """
        if slot is None or slot.value is None:
            return False
        heard = _words(transcript)
        if any(_words(v) == heard for v in (slot.original, slot.interpreted) if v):
            return True
        return (
            value_spans_transcript(slot, transcript)
            and not self.is_question(transcript, locale)
            and not self.is_request(transcript, locale)
        )

    def switch(self, event: LexEvent, asked: str | None) -> Intent | None:
        """The intent this turn really asks for, when it is not an answer to ``asked``.

        Parameters:
            event: the turn's event.
            asked: the slot the bot asked for last, as ``Intent.Slot``.
        Returns:
            The intent to answer instead (state ``InProgress``, its slots as Lex interpreted
            them), or ``None`` when the turn answers the question.
        """
        if asked is not None and asked.endswith(CONFIRM_MARK):
            return self._confirmed_by_key(event, asked[: -len(CONFIRM_MARK)])
        if asked is None or event.invocation_source is not InvocationSource.DIALOG_CODE_HOOK:
            return None
        intent_name, _, slot_name = asked.partition(".")
        current = event.intent
        if current.name != intent_name or not slot_name:
            return None
        transcript = event.input_transcript.strip()
        if not transcript or _answers_with_listed_value(current, slot_name, transcript):
            return None
        own = max(
            (
                i.nlu_confidence or 0.0
                for i in event.interpretations
                if i.intent.name == current.name
            ),
            default=0.0,
        )
        others = sorted(
            (
                i
                for i in event.interpretations
                if i.intent.name not in (current.name, self.fallback_intent)
                and i.nlu_confidence is not None
            ),
            key=lambda i: -(i.nlu_confidence or 0.0),
        )
        best = others[0] if others else None
        confidence = best.nlu_confidence or 0.0 if best else 0.0
        if best is not None and confidence >= self.switch_confidence and confidence > own:
            return _fresh(best.intent)
        plausible = best is not None and confidence >= self.question_confidence
        if self.is_question(transcript, event.locale):
            if plausible:
                return _fresh(best.intent)
            return Intent(name=self.fallback_intent, state=IntentState.IN_PROGRESS)
        if self.is_request(transcript, event.locale) and plausible and confidence > own:
            return _fresh(best.intent)
        return None

    def _confirmed_by_key(self, event: LexEvent, pending: str) -> Intent | None:
        """The pending intent confirmed or declined by a key press, else ``None``."""
        key = event.input_transcript.strip()
        if event.input_mode is not InputMode.DTMF or key not in self.confirm_keys:
            return None
        if event.intent_name == pending and event.intent.confirmation_state not in (
            None,
            ConfirmationState.NONE,
        ):
            return None  # Lex read the answer itself
        return Intent(
            name=pending,
            state=IntentState.IN_PROGRESS,
            confirmationState=self.confirm_keys[key],
        )

    @staticmethod
    def asked_after(event: LexEvent, response: LexResponse) -> str | None:
        """What a response leaves the learner asked: a slot (``Intent.Slot``), a yes/no
        question (``Intent?``), else ``None``.

        ``ElicitSlot`` names the slot; after ``Delegate`` Lex elicits what the event's
        ``proposedNextState`` says it would.
        """
        state = response.session_state
        action = state.dialog_action
        intent = state.intent.name if state.intent else event.intent_name
        if action.type is DialogActionType.CONFIRM_INTENT:
            return f"{intent}{CONFIRM_MARK}"
        if action.type is DialogActionType.ELICIT_SLOT and action.slot_to_elicit:
            return f"{intent}.{action.slot_to_elicit}"
        proposed = event.proposed_next_state
        if (
            action.type is DialogActionType.DELEGATE
            and proposed is not None
            and proposed.dialog_action is not None
            and proposed.dialog_action.type is DialogActionType.ELICIT_SLOT
            and proposed.dialog_action.slot_to_elicit
            and intent == event.intent_name
        ):
            slots = state.intent.slots if state.intent else {}
            if slots.get(proposed.dialog_action.slot_to_elicit) is None:
                return f"{intent}.{proposed.dialog_action.slot_to_elicit}"
        return None


def value_spans_transcript(slot: Slot | None, transcript: str, *, extra_words: int = 2) -> bool:
    """The slot's value makes up (nearly) all of ``transcript``: at most ``extra_words``
    words of the transcript are not words of the value ("it's recursion", "recursion
    please").

    An answer that only *contains* the value ("tell me about hello world", Lex filling the
    slot from part of the utterance, "Custom slot types") may be a different request; a bot
    whose answer writes something asks before writing.

    Example:
        >>> from lex_bot.lexv2.events import SlotValue
        >>> s = Slot(value=SlotValue(originalValue="hello world", interpretedValue="Hello, World!"))
        >>> value_spans_transcript(s, "hello world please"), value_spans_transcript(
        ...     s, "tell me about hello world")
        (True, False)
    """
    if slot is None or slot.value is None:
        return False
    heard = _words(transcript)
    value = {w for v in (slot.original, slot.interpreted) if v for w in _words(v)}
    return bool(value) and sum(1 for w in heard if w not in value) <= extra_words


def _answers_with_listed_value(intent: Intent, slot_name: str, transcript: str) -> bool:
    slot = intent.slot(slot_name)
    if slot is None or slot.value is None or not slot.value.resolved_values:
        return False
    heard = _words(transcript)
    return any(_words(v) == heard for v in (slot.original, slot.interpreted) if v)


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


def _fresh(intent: Intent) -> Intent:
    return intent.model_copy(
        update={"state": IntentState.IN_PROGRESS, "confirmation_state": ConfirmationState.NONE}
    )
