"""A local Amazon Lex V2 for the chat: it plays Lex's dialog manager around the real handler.

:class:`LocalLex` turns typed text into the events Lex V2 sends a Lambda code hook, calls the
handler (``lex_bot.lesson_app.app.handle`` by default, what ``lambda_function`` calls too)
and carries the conversation between turns the way Lex does:

* a fresh input is classified by :class:`~lex_bot.devtools.local_nlu.LocalNlu`; the intent's slots
  come from the input (all slots of the intent are sent, unfilled ones as ``null``);
* with the intent's dialog code hook enabled, Lex calls it (``DialogCodeHook``); after
  ``Delegate`` (or without a dialog hook) Lex elicits the first empty required slot itself,
  with the slot's prompt from the message catalogue, and once all are filled calls the
  fulfilment code hook (``FulfillmentCodeHook``, intent state ``ReadyForFulfillment``);
* ``ElicitSlot``: the next input answers that slot of the same intent, as
  :meth:`~lex_bot.devtools.local_nlu.LocalNlu.answer` reads it: a listed value, the value a clear
  request carries ("start recursion"), or the whole input; a clear request for another
  intent that carries no value of the slot switches to that intent, as Lex does; the event
  still carries the input's ``interpretations`` (the pending intent first, then the others
  with their confidence), so the handler's dialog policy can tell a new request that Lex
  read as a slot value ("what do I need before recursion?") from an answer. Real Lex sends
  interpretations on every turn too; the local order and confidences are the local NLU's;
* ``ConfirmIntent``: the next "yes"/"no" sets ``confirmationState`` on the same intent
  (anything else is classified afresh);
* ``Close`` and ``ElicitIntent``: the next input is classified afresh;
* session attributes and active contexts are whatever the last response returned.

Rendering (:func:`render_messages`) and the interactive loop (:func:`chat`) use ``rich``;
:func:`run_script` runs a scripted conversation (format in :data:`SCRIPT_HELP`) and checks
every response against the Lex V2 contract.

Example:
    >>> lex = LocalLex(locale="en_US")
    >>> lex.send("what should I learn next").intent
    'RecommendNextLesson'
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lex_bot.devtools.bot_definition import FALLBACK_INTENT, BotDefinition, load_bot_definition
from lex_bot.devtools.event_factory import lex_event
from lex_bot.devtools.local_nlu import (
    Confirmation,
    IntentMatch,
    LocalNlu,
    NluResult,
    confirmation_of,
)
from lex_bot.lesson_app.messages import messages_for
from lex_bot.lexv2.events import LexEvent

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

DEFAULT_SESSION_ID = "local-learner"
BOT = {"id": "LOCALBOTID", "name": "LessonBot", "aliasId": "TSTALIASID",
       "aliasName": "TestBotAlias", "version": "DRAFT"}  # fmt: skip
#: Code hook calls Lex makes for one input at most (dialog hook, fulfilment, and a spare).
MAX_HOOK_CALLS = 4
_TAG = re.compile(r"<[^>]+>")


def _default_handler() -> Handler:
    from lex_bot.lesson_app.app import handle

    return handle


@dataclass
class HookCall:
    """One code hook invocation: the event Lex sent and the handler's response."""

    event: dict[str, Any]
    response: dict[str, Any]


@dataclass
class LexTurnResult:
    """What one input produced.

    Attributes:
        text: what the learner typed.
        nlu: how the input was classified (``None`` when it filled a slot or confirmed).
        calls: every code hook call, in order.
        messages: what the learner is shown (handler messages, and Lex's own slot prompts).
        intent: the intent that answered the turn.
        intent_state: the intent's state at the end of the turn (``None`` after
            ``ElicitIntent``, which ends the intent without one).
        dialog_action: the last dialog action (``Close``, ``ElicitSlot``, ...).
        slot_to_elicit: the slot Lex asks for next, if any.
    """

    text: str
    nlu: NluResult | None
    calls: list[HookCall] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    intent: str | None = None
    intent_state: str | None = None
    dialog_action: str | None = None
    slot_to_elicit: str | None = None

    @property
    def buttons(self) -> list[dict[str, str]]:
        """The buttons of the last card in the messages (``[{"text", "value"}]``)."""
        for message in reversed(self.messages):
            card = message.get("imageResponseCard")
            if message.get("contentType") == "ImageResponseCard" and card:
                return list(card.get("buttons") or [])
        return []

    def reply_text(self) -> str:
        """Everything shown, as one text: messages (SSML without tags), card texts, buttons."""
        parts: list[str] = []
        for message in self.messages:
            parts.append(message_text(message))
            card = message.get("imageResponseCard") or {}
            parts.extend(str(card.get(k, "")) for k in ("title", "subtitle"))
            for button in card.get("buttons") or []:
                parts.extend([str(button.get("text", "")), str(button.get("value", ""))])
        return "\n".join(p for p in parts if p)


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a message as a learner sees or hears it (SSML tags stripped).

    Example:
        >>> message_text({"contentType": "SSML", "content": "<speak>Hi &amp; bye</speak>"})
        'Hi & bye'
    """
    content = str(message.get("content") or "")
    if message.get("contentType") == "SSML":
        return html.unescape(_TAG.sub("", content)).strip()
    return content


class LocalLex:
    """A local stand-in for the Lex V2 runtime of one session.

    Parameters:
        locale: the bot locale (``en_US`` or ``es_US``).
        input_mode: ``Text``, ``Speech`` or ``DTMF``.
        session_id: the Lex session id (the learner id, so progress follows it).
        handler: the code hook, ``handler(event, context) -> response``.
        definition: the bot definition (default: ``lex_bot/lesson_app/bot_definition.yaml``).
        nlu_factory: ``(locale) -> LocalNlu``; default: built from the current lesson graph
            (``lex_bot.lesson_app.services``), rebuilt when the graph changes.
    """

    def __init__(
        self,
        locale: str = "en_US",
        input_mode: str = "Text",
        session_id: str = DEFAULT_SESSION_ID,
        handler: Handler | None = None,
        definition: BotDefinition | None = None,
        nlu_factory: Callable[[str], LocalNlu] | None = None,
    ) -> None:
        self.definition = definition or load_bot_definition()
        if locale not in self.definition.bot.locales:
            raise ValueError(f"unknown locale {locale!r}; the bot has {self.definition.locales()}")
        self.locale = locale
        self.input_mode = input_mode
        self.session_id = session_id
        self.handler = handler or _default_handler()
        self._nlu_factory = nlu_factory
        self._nlu_cache: dict[tuple[int, str], LocalNlu] = {}
        self.reset_session()

    # ------------------------------------------------------------------ state

    def reset_session(self) -> None:
        """Forget the Lex session (attributes, contexts, pending question); progress stays."""
        self.session_attributes: dict[str, str] = {}
        self.active_contexts: list[dict[str, Any]] = []
        self.intent: dict[str, Any] | None = None
        self.pending: dict[str, Any] | None = None  # the last dialogAction

    def nlu(self) -> LocalNlu:
        """The matcher for the current locale (slot values from the current lesson graph)."""
        if self._nlu_factory is not None:
            return self._nlu_factory(self.locale)
        from lex_bot.lesson_app.services import get_services

        graph = get_services().graph()
        key = (id(graph), self.locale)
        if key not in self._nlu_cache:
            self._nlu_cache = {k: v for k, v in self._nlu_cache.items() if k[0] == id(graph)}
            self._nlu_cache[key] = LocalNlu.for_graph(graph, self.locale, self.definition)
        return self._nlu_cache[key]

    @property
    def is_voice(self) -> bool:
        return self.input_mode in ("Speech", "DTMF")

    # ------------------------------------------------------------------ a turn

    def send(self, text: str) -> LexTurnResult:
        """Send one input, as Lex would after hearing or reading it; return what happened.

        Example:
            >>> LocalLex().send("start loops").dialog_action  # locked for a new learner: asks
            'ConfirmIntent'
        """
        nlu = self.nlu()
        result = LexTurnResult(text=text, nlu=None)
        self._heard: NluResult | None = None
        pending = (self.pending or {}).get("type")
        intent = None
        if pending == "ElicitSlot" and self.intent is not None:
            intent = self._answer_elicited_slot(nlu, text, result)
        elif pending == "ConfirmIntent" and self.intent is not None:
            answer = confirmation_of(text)
            if answer is not None:
                intent = {**self.intent, "confirmationState": answer.value, "state": "InProgress"}
        if intent is None and result.messages:  # re-prompted a slot Lex elicits itself
            return result
        if intent is None:
            result.nlu = result.nlu or nlu.interpret(text)
            intent = self._new_intent(result.nlu.best)
        self._run_intent(intent, text, result)
        return result

    def _answer_elicited_slot(
        self, nlu: LocalNlu, text: str, result: LexTurnResult
    ) -> dict[str, Any] | None:
        """The current intent with the elicited slot filled from ``text``.

        ``None`` when Lex switches to another intent (``result.nlu`` holds it) or re-prompts
        for a value it cannot take (``result`` holds the prompt).
        """
        assert self.intent is not None and self.pending is not None
        name, slot = self.intent["name"], self.pending.get("slotToElicit", "")
        answer = nlu.answer(name, slot, text)
        if isinstance(answer, NluResult):
            result.nlu = answer
            return None
        spec = self.definition.slot(name, slot)
        if answer is None and spec is not None and spec.elicitation_code_hook:
            # The slot's elicitation code hook: Lex calls the dialog code hook with the slot
            # still empty, and the answer it could not take in inputTranscript.
            self._heard = nlu.interpret(text)
            return {**self.intent, "state": "InProgress"}
        if answer is None:
            if spec is not None:  # Lex re-prompts a value it cannot take (e.g. a number)
                result.messages.append(self._prompt(spec.prompt))
                result.intent, result.dialog_action = name, "ElicitSlot"
                result.slot_to_elicit, result.intent_state = slot, "InProgress"
            return None
        slots = {**self.intent.get("slots", {}), slot: answer.to_lex()}
        self._heard = nlu.interpret(text)  # Lex sends the interpretations on every turn
        return {**self.intent, "slots": slots, "state": "InProgress"}

    def _new_intent(self, match: IntentMatch) -> dict[str, Any]:
        spec = self.definition.intents.get(match.intent)
        slots: dict[str, Any] = {s.name: None for s in (spec.slots if spec else [])}
        slots.update({name: fill.to_lex() for name, fill in match.slots.items()})
        return {"name": match.intent, "slots": slots, "state": "InProgress",
                "confirmationState": "None"}  # fmt: skip

    def _run_intent(self, intent: dict[str, Any], text: str, result: LexTurnResult) -> None:
        """Call the code hooks for ``intent`` until Lex would wait for the learner."""
        spec = self.definition.intents.get(intent["name"])
        source = "DialogCodeHook" if spec is None or spec.dialog_code_hook else None
        for _ in range(MAX_HOOK_CALLS):
            if source is None:
                source = self._lex_next_step(intent, result)
                if source is None:
                    return
                intent = {**intent, "state": "ReadyForFulfillment"}
            response = self._invoke(source, intent, text, result)
            action = (response.get("sessionState") or {}).get("dialogAction") or {}
            intent = (response.get("sessionState") or {}).get("intent") or intent
            if action.get("type") != "Delegate" or source == "FulfillmentCodeHook":
                self._settle(action, intent, result, fulfilled=source == "FulfillmentCodeHook")
                return
            source = None  # Delegate: Lex decides what comes next
        self._settle({"type": "Close"}, {**intent, "state": "Failed"}, result, fulfilled=False)

    def _lex_next_step(self, intent: dict[str, Any], result: LexTurnResult) -> str | None:
        """What Lex does itself: elicit a missing required slot, fulfil, or close."""
        spec = self.definition.intents.get(intent["name"])
        missing = self._missing_slot(intent)
        if missing is not None and spec is not None:
            slot = spec.slot(missing)
            assert slot is not None
            result.messages.append(self._prompt(slot.prompt))
            self._settle(
                {"type": "ElicitSlot", "slotToElicit": missing},
                {**intent, "state": "InProgress"}, result, fulfilled=False,
            )  # fmt: skip
            return None
        if intent.get("confirmationState") == Confirmation.DENIED.value:
            self._settle({"type": "Close"}, {**intent, "state": "Failed"}, result, fulfilled=False)
            return None
        if spec is None or spec.fulfillment_code_hook:
            return "FulfillmentCodeHook"
        self._settle({"type": "Close"}, {**intent, "state": "Fulfilled"}, result, fulfilled=True)
        return None

    def _missing_slot(self, intent: Mapping[str, Any]) -> str | None:
        spec = self.definition.intents.get(intent["name"])
        for slot in spec.slots if spec else []:
            if slot.required and not (intent.get("slots") or {}).get(slot.name):
                return slot.name
        return None

    def _prompt(self, key: str) -> dict[str, Any]:
        return {"contentType": "PlainText", "content": messages_for(self.locale)(key)}

    def _settle(
        self, action: dict[str, Any], intent: dict[str, Any], result: LexTurnResult, *,
        fulfilled: bool,
    ) -> None:  # fmt: skip
        """Record where the conversation now waits (the pending dialog action)."""
        kind = action.get("type")
        if kind in ("Close", "Delegate") and fulfilled and intent.get("state") in (
            None, "ReadyForFulfillment", "InProgress", "FulfillmentInProgress",
        ):  # fmt: skip
            intent = {**intent, "state": "Fulfilled"}
        self.pending = {"type": "Close" if kind == "Delegate" else kind, **{
            k: v for k, v in action.items() if k != "type"}}  # fmt: skip
        self.intent = None if kind == "ElicitIntent" else intent
        result.dialog_action = self.pending["type"]
        result.slot_to_elicit = action.get("slotToElicit") if kind == "ElicitSlot" else None
        result.intent = intent.get("name")
        result.intent_state = None if self.intent is None else self.intent.get("state")

    def _invoke(
        self, source: str, intent: dict[str, Any], text: str, result: LexTurnResult
    ) -> dict[str, Any]:
        event = self.build_event(source, intent, text, result.nlu)
        response = self.handler(event, None)
        result.calls.append(HookCall(event, response))
        state = response.get("sessionState") or {}
        if "sessionAttributes" in state:
            self.session_attributes = dict(state["sessionAttributes"] or {})
        if "activeContexts" in state:
            self.active_contexts = list(state["activeContexts"] or [])
        result.messages.extend(response.get("messages") or [])
        return response

    def build_event(
        self, source: str, intent: dict[str, Any], text: str, nlu: NluResult | None = None
    ) -> dict[str, Any]:
        """A Lex V2 code hook event for ``intent`` (validated against ``LexEvent``)."""
        interpretations = []
        nlu = nlu or getattr(self, "_heard", None)
        if nlu is not None:
            own = [m for m in nlu.interpretations if m.intent == intent["name"]]
            if not own:
                interpretations.append({"intent": intent, "interpretationSource": "Lex"})
            for match in own + [m for m in nlu.interpretations if m.intent != intent["name"]]:
                item = intent if match.intent == intent["name"] else self._new_intent(match)
                interpretations.append({"intent": item, "nluConfidence": match.confidence,
                                        "interpretationSource": "Lex"})  # fmt: skip
        else:
            interpretations.append({"intent": intent, "nluConfidence": 1.0,
                                    "interpretationSource": "Lex"})  # fmt: skip
        for item in interpretations:
            if item["intent"]["name"] == FALLBACK_INTENT:
                item.pop("nluConfidence", None)  # Lex gives FallbackIntent no confidence
        event = lex_event(
            intent["name"],
            intent["slots"],
            transcript=text,
            session_id=self.session_id,
            locale=self.locale,
            input_mode=self.input_mode,
            source=source,
            state=intent.get("state"),
            confirmation_state=intent.get("confirmationState", "None"),
            session_attributes=self.session_attributes,
            active_contexts=self.active_contexts,
            interpretations=interpretations,
            request_id=str(uuid.uuid4()),
            bot=BOT,
        )
        event["sessionState"]["intent"] = json.loads(json.dumps(intent))
        event["requestAttributes"] = {}
        missing = self._missing_slot(intent)
        if source == "DialogCodeHook" and missing is not None:
            event["proposedNextState"] = {
                "dialogAction": {"type": "ElicitSlot", "slotToElicit": missing},
                "intent": json.loads(json.dumps(intent)),
                "prompt": {"attempt": "Initial"},
            }
        LexEvent.model_validate(event)  # a local bug must not reach the handler as "Lex"
        return event


# --------------------------------------------------------------------------- rendering


def render_messages(
    console: Console, messages: list[dict[str, Any]], *, voice: bool = False
) -> None:
    """Print messages: text, SSML as plain text, cards as panels with numbered buttons."""
    from rich.panel import Panel
    from rich.text import Text

    for message in messages:
        kind = message.get("contentType")
        if kind == "ImageResponseCard":
            if voice:
                continue
            card = message.get("imageResponseCard") or {}
            body = Text()
            if card.get("subtitle"):
                body.append(f"{card['subtitle']}\n", style="italic")
            for number, button in enumerate(card.get("buttons") or [], 1):
                body.append(f"[{number}] ", style="bold cyan")
                body.append(f"{button.get('text', '')}\n")
            body.rstrip()
            console.print(Panel(body, title=card.get("title", ""),
                                title_align="left", expand=False))  # fmt: skip
        elif kind == "SSML":
            console.print(Text("bot🔊 ", style="bold magenta") + Text(message_text(message)))
        else:
            console.print(Text("bot> ", style="bold green") + Text(message_text(message)))


CHAT_HELP = """Type what a learner would say. Numbers press the buttons of the last card.
/help this help        /quit leave            /debug toggle raw event/response JSON
/voice voice channel   /text text channel     /locale es_US switch language
/reset-session forget this Lex session (your progress is kept)"""


def chat(lex: LocalLex, console: Console, *, debug: bool = False) -> int:
    """The interactive loop: read a line, send it, render the answer. Returns an exit code."""
    from rich.text import Text

    console.print(Text(f"lessonbot local chat ({lex.locale}, {lex.input_mode}); /help for "
                       "commands, /quit to leave.", style="dim"))  # fmt: skip
    buttons: list[dict[str, str]] = []
    while True:
        try:
            line = console.input("[bold blue]you> [/]").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        if not line:
            continue
        if line.startswith("/"):
            command, _, argument = line.partition(" ")
            if command in ("/quit", "/exit"):
                return 0
            if command == "/debug":
                debug = not debug
                console.print(Text(f"debug {'on' if debug else 'off'}", style="dim"))
            else:
                console.print(Text(apply_command(lex, command, argument.strip()), style="dim"))
            continue
        if line.isdigit() and 1 <= int(line) <= len(buttons):
            line = buttons[int(line) - 1].get("value", line)
            console.print(Text(f"(pressed: {line})", style="dim"))
        result = lex.send(line)
        if debug:
            for call in result.calls:
                console.print_json(json.dumps(call.event, ensure_ascii=False))
                console.print_json(json.dumps(call.response, ensure_ascii=False))
        render_messages(console, result.messages, voice=lex.is_voice)
        buttons = [] if lex.is_voice else result.buttons


def apply_command(lex: LocalLex, command: str, argument: str = "") -> str:
    """Run a chat command (``/voice``, ``/locale es_US``, ...); return what to tell the user."""
    if command == "/help":
        return CHAT_HELP
    if command == "/voice":
        lex.input_mode = "Speech"
        return "voice channel: SSML answers, no cards"
    if command == "/text":
        lex.input_mode = "Text"
        return "text channel"
    if command == "/locale":
        if argument not in lex.definition.bot.locales:
            return f"locales: {', '.join(lex.definition.locales())}"
        lex.locale = argument
        return f"locale {argument}"
    if command == "/reset-session":
        lex.reset_session()
        return "new Lex session (progress kept)"
    return f"unknown command {command}; /help lists them"


# --------------------------------------------------------------------------- scripts

SCRIPT_HELP = """A conversation script, one instruction per line:
  > text            the learner says text (a number presses that button of the last card)
  ? text            the last reply contains text (case-insensitive)
  ?! text           the last reply does not contain text
  ?intent Name      the last turn's intent      ?action ElicitSlot   its dialog action
  ?state Fulfilled  the intent's state          ?slot LessonName     the slot being elicited
  ?card / ?no-card  the last reply has (not) a card with buttons
  ?ssml text        the last reply's SSML, markup included, contains text
  @locale es_US     @voice    @text    @dtmf (key presses: "> 2" sends the digit)
  @session reset    (new Lex session, same learner)
  @session new      (a new learner)    @session NAME (that learner)
  @transitions FILE (serve this transitions snapshot from now on)   @transitions off
  # comment         blank lines are ignored
Every code hook response is checked against the Lex V2 contract, and every spoken answer
against the speech lint (SSML Polly reads, nothing read aloud literally, at most 30 s)."""


@dataclass
class ScriptFailure:
    """A failed line of a script."""

    line: int
    source: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.source!r}: {self.reason}"


@dataclass
class ScriptResult:
    """The outcome of :func:`run_script`: turns run, responses checked, failures."""

    turns: int = 0
    responses: int = 0
    failures: list[ScriptFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


ContractCheck = Callable[[dict[str, Any]], list[str]]


def contract_check() -> ContractCheck:
    """``check(response) -> [violation, ...]``: the Lex V2 contract validator
    (:mod:`lex_bot.devtools.lex_contract`), with the bot definition's slots, and the speech
    lint (:mod:`lex_bot.devtools.speech_lint`) for every SSML message."""
    from lex_bot.devtools.lex_contract import validate_lex_response
    from lex_bot.devtools.speech_lint import lint_ssml

    known = load_bot_definition().elicitable_slots()

    def check(response: dict[str, Any]) -> list[str]:
        found = [str(v) for v in validate_lex_response(response, known_slots=known)]
        for message in response.get("messages") or []:
            if isinstance(message, dict) and message.get("contentType") == "SSML":
                content = str(message.get("content") or "")
                found += [f"speech lint: {p}: {content!r}" for p in lint_ssml(content)]
        return found

    return check


def _script_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line


def run_script(
    text: str,
    lex: LocalLex,
    *,
    check: ContractCheck | None = None,
    console: Console | None = None,
) -> ScriptResult:
    """Run a conversation script (see :data:`SCRIPT_HELP`) through ``lex``.

    Parameters:
        text: the script.
        lex: the local Lex session to talk to.
        check: the contract check for every response (default :func:`contract_check`).
        console: where to print the conversation (``None``: silent).
    Returns:
        A :class:`ScriptResult`; ``ok`` is False on any failed expectation, contract
        violation or unknown instruction.

    Example:
        >>> run_script("> hello\\n? your guide", LocalLex()).ok
        True
    """
    check = check or contract_check()
    outcome = ScriptResult()
    last: LexTurnResult | None = None
    for number, line in _script_lines(text):

        def fail(reason: str, number: int = number, line: str = line) -> None:
            outcome.failures.append(ScriptFailure(number, line, reason))
            if console is not None:
                console.print(f"[bold red]FAIL[/] line {number}: {reason}")

        if line.startswith(">"):
            said = line[1:].strip()
            if said.isdigit() and last is not None and 1 <= int(said) <= len(last.buttons):
                said = last.buttons[int(said) - 1]["value"]
            if console is not None:
                console.print(f"[bold blue]you>[/] {said}")
            last = lex.send(said)
            outcome.turns += 1
            for call in last.calls:
                outcome.responses += 1
                for violation in check(call.response):
                    fail(f"contract violation: {violation}")
            if console is not None:
                render_messages(console, last.messages, voice=lex.is_voice)
        elif line.startswith("@"):
            reason = _directive(lex, line[1:].strip())
            if reason:
                fail(reason)
        elif line.startswith("?"):
            if last is None:
                fail("an expectation before anything was said")
                continue
            reason = _expectation(last, line[1:])
            if reason:
                fail(reason)
        else:
            fail("unknown instruction (lines start with >, ?, @ or #)")
    return outcome


def _directive(lex: LocalLex, directive: str) -> str | None:
    name, _, argument = directive.partition(" ")
    argument = argument.strip()
    if name == "locale":
        if argument not in lex.definition.bot.locales:
            return f"unknown locale {argument!r}"
        lex.locale = argument
    elif name in ("voice", "text", "dtmf"):
        lex.input_mode = {"voice": "Speech", "text": "Text", "dtmf": "DTMF"}[name]
    elif name == "transitions":
        from knowledge_graph.transitions import TransitionsLoader
        from lex_bot.lesson_app.services import get_services

        if argument != "off" and not Path(argument).is_file():
            return f"no transitions snapshot at {argument!r}"
        loader = None if argument == "off" else TransitionsLoader(argument, check_seconds=0)
        get_services().use_transitions(loader)
    elif name == "session":
        lex.reset_session()
        if argument == "new":
            lex.session_id = f"local-{uuid.uuid4().hex[:12]}"
        elif argument and argument != "reset":
            lex.session_id = argument
    else:
        return f"unknown directive @{name}"
    return None


def _expectation(last: LexTurnResult, expectation: str) -> str | None:
    """``None`` when ``expectation`` holds for the last turn, else why it does not."""
    if expectation.startswith("!"):
        unwanted = expectation[1:].strip()
        if unwanted.casefold() in last.reply_text().casefold():
            return f"reply contains {unwanted!r}: {last.reply_text()!r}"
        return None
    keyword, _, argument = expectation.partition(" ")
    argument = argument.strip()
    if expectation[:1].isspace():
        keyword = ""  # "? text": a text expectation, whatever its first word
    checks: dict[str, Any] = {
        "intent": last.intent,
        "action": last.dialog_action,
        "state": last.intent_state,
        "slot": last.slot_to_elicit,
    }
    if keyword in checks:
        if str(checks[keyword]) != argument:
            return f"expected {keyword} {argument}, got {checks[keyword]}"
        return None
    if keyword == "ssml" and argument:
        markup = "\n".join(
            str(m.get("content")) for m in last.messages if m.get("contentType") == "SSML"
        )
        if argument not in markup:
            return f"SSML lacks {argument!r}: {markup!r}"
        return None
    if keyword in ("card", "no-card") and not argument:
        has = bool(last.buttons)
        if has != (keyword == "card"):
            return f"expected {'a' if keyword == 'card' else 'no'} card with buttons"
        return None
    wanted = expectation.strip()
    if wanted.casefold() not in last.reply_text().casefold():
        return f"reply lacks {wanted!r}: {last.reply_text()!r}"
    return None
