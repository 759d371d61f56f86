"""The intent router: decorators register handlers; one error boundary keeps Lex's contract.

Handlers are grouped in :class:`Router` objects (one per intent module, like Powertools'
``Router`` or a Flask blueprint) and joined into the app's :class:`IntentRouter` with
:meth:`IntentRouter.include_router`, with plain imports and no registration side effects.

Example:
    >>> from lex_bot.devtools.event_factory import lex_event
    >>> help_router = Router()
    >>> @help_router.intent("Help")
    ... def help_intent(turn: Turn) -> LexResponse:
    ...     return turn.close("Ask me what to learn next.")
    >>> app = IntentRouter(emit_metrics=False)
    >>> app.include_router(help_router)
    >>> app.resolve(lex_event("Help"))["sessionState"]["dialogAction"]["type"]
    'Close'

A handler ends the turn early by raising :class:`EndTurn` with the response (for example a
slot asked again from deep inside a helper); the router answers with that response.

Dispatch order for a turn of intent ``X`` invoked by hook ``H``:
1. a handler registered with ``@router.intent("X", hook=H)``;
2. a handler registered with ``@router.intent("X")`` (both hooks);
3. for the dialog code hook only: ``Delegate`` (Lex carries on with the bot's own prompts);
4. the ``@router.fallback`` handler, else a polite built-in answer for an unknown intent.

Before dispatch, a :class:`~lex_bot.lexv2.dialog_policy.DialogPolicy` (when the app gives
one) decides whether the answer to the bot's last slot question is really a new request, and
the turn then goes to that intent's handler instead; after every response the router keeps
the slot it leaves asked in the session's ``asked`` field.

Any exception inside a handler goes to the first matching ``@router.exception_handler``;
anything unhandled, or a handler that returns something that is not a :class:`LexResponse`,
becomes a polite, valid response and one structured error log line with the Lex
``sessionId`` and the request id. Middleware wraps every handler call
(``router.use(mw)`` with ``mw(turn, call_next) -> LexResponse``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from lex_bot.lexv2.dialog_policy import DialogPolicy
from lex_bot.lexv2.events import (
    ActiveContext,
    ConfirmationState,
    Intent,
    IntentState,
    InvocationSource,
    LexEvent,
    Slot,
    StyleType,
)
from lex_bot.lexv2.limits import valid_unicode
from lex_bot.lexv2.observability import (
    get_logger,
    log_fields,
    record_turn_metrics,
    redact,
)
from lex_bot.lexv2.responses import (
    LexResponse,
    MessageLike,
    close,
    confirm_intent,
    delegate,
    elicit_intent,
    elicit_slot,
)
from lex_bot.lexv2.session_attributes import TypedSessionAttributes

S = TypeVar("S", bound=TypedSessionAttributes)
Handler = Callable[["Turn[Any]"], LexResponse]
Middleware = Callable[["Turn[Any]", Handler], LexResponse]

# Keys by which a dict is recognisably meant to be a Lex V2 code hook event.
_LEX_V2_KEYS = (
    "messageVersion",
    "invocationSource",
    "inputMode",
    "sessionId",
    "bot",
    "sessionState",
)


class NotALexV2EventError(ValueError):
    """The Lambda was invoked with something that is not a Lex V2 event at all."""


class EndTurn(Exception):
    """Raised by a handler (or a helper it calls) to answer the turn with ``response`` now.

    Example:
        >>> raise EndTurn(turn.elicit_slot("LessonName", "Which lesson?"))  # doctest: +SKIP
    """

    def __init__(self, response: LexResponse) -> None:
        super().__init__(response.dialog_action_type.value)
        self.response = response


class SwitchIntent(Exception):
    """Raised by a handler to answer the turn as another intent instead.

    For example FallbackIntent, when "the second one" picks a button of the last card: the
    router puts ``intent`` on the turn and calls its handler once, in the same code hook; the
    response names the new intent (a code hook may change the intent, "Lambda response
    format", ``sessionState.intent``).
    """

    def __init__(self, intent: Intent) -> None:
        super().__init__(intent.name)
        self.intent = intent


class ProblemKind(StrEnum):
    BAD_EVENT = "bad_event"
    INTERNAL_ERROR = "internal_error"
    UNKNOWN_INTENT = "unknown_intent"


DEFAULT_PROBLEM_REPLIES: dict[ProblemKind, str] = {
    ProblemKind.BAD_EVENT: "Sorry, I couldn't make sense of that message. Could you say it again?",
    ProblemKind.INTERNAL_ERROR: "Sorry, something went wrong on my side. Please try again.",
    ProblemKind.UNKNOWN_INTENT: (
        "Sorry, I can't help with that yet. Ask me for help to see what I can do."
    ),
}

ProblemReplies = Callable[[str, ProblemKind], str]


def default_problem_replies(locale: str, kind: ProblemKind) -> str:
    """The built-in English answers to problems (apps pass a localised provider instead)."""
    return DEFAULT_PROBLEM_REPLIES[kind]


@dataclass
class Turn(Generic[S]):
    """One Lex turn as a handler sees it: the typed event, typed session, and builders.

    Builders carry the session attributes and active contexts back automatically, so a
    handler changes ``turn.session`` and returns ``turn.close(...)``.
    """

    event: LexEvent
    session: S
    lambda_context: Any = None
    state: dict[str, Any] = field(default_factory=dict)  # per-turn scratch space for middleware
    #: True when the resolver writes ``session`` into the response after the handler (it
    #: does when a dialog policy records what the turn asked): the builders then leave the
    #: session attributes empty instead of serialising them a first time for nothing.
    session_written_after: bool = False

    def _session_attributes(self) -> dict[str, str]:
        return {} if self.session_written_after else self.session.to_lex()

    @property
    def intent(self) -> Intent:
        return self.event.intent

    @property
    def intent_name(self) -> str:
        return self.event.intent_name

    @property
    def invocation_source(self) -> InvocationSource:
        return self.event.invocation_source

    @property
    def is_dialog_hook(self) -> bool:
        return self.event.invocation_source is InvocationSource.DIALOG_CODE_HOOK

    @property
    def is_voice(self) -> bool:
        """The answer will be heard (``LexEvent.is_voice``: the requested content type)."""
        return self.event.is_voice

    @property
    def is_dtmf(self) -> bool:
        return self.event.is_dtmf

    @property
    def locale(self) -> str:
        return self.event.locale

    @property
    def session_id(self) -> str:
        return self.event.session_id

    @property
    def request_id(self) -> str | None:
        return getattr(self.lambda_context, "aws_request_id", None)

    @property
    def confirmation_state(self) -> ConfirmationState:
        return self.intent.confirmation_state or ConfirmationState.NONE

    def slot(self, name: str) -> Slot | None:
        return self.intent.slot(name)

    def slot_value(self, name: str) -> str | None:
        return self.intent.slot_value(name)

    def _contexts(self) -> Sequence[ActiveContext]:
        return self.event.session_state.active_contexts

    def close(
        self,
        messages: MessageLike | Iterable[MessageLike],
        state: IntentState = IntentState.FULFILLED,
        *,
        intent: Intent | None = None,
    ) -> LexResponse:
        """Finish this turn's intent (or ``intent``, e.g. with updated slots) with ``messages``
        (``Fulfilled`` unless ``state`` says otherwise)."""
        return close(
            intent or self.intent,
            state,
            messages,
            session_attributes=self._session_attributes(),
            active_contexts=self._contexts(),
        )

    def elicit_slot(
        self,
        slot: str,
        messages: MessageLike | Iterable[MessageLike] | None = None,
        *,
        slots: Mapping[str, Slot | None] | None = None,
        style: StyleType | None = None,
        intent: Intent | None = None,
    ) -> LexResponse:
        """Ask for ``slot`` of this turn's intent (or ``intent``)."""
        return elicit_slot(
            intent or self.intent,
            slot,
            messages,
            style=style,
            slots=slots,
            session_attributes=self._session_attributes(),
            active_contexts=self._contexts(),
        )

    def confirm_intent(
        self,
        messages: MessageLike | Iterable[MessageLike],
        *,
        intent: Intent | None = None,
        slots: Mapping[str, Slot | None] | None = None,
    ) -> LexResponse:
        """Ask a yes/no question about this turn's intent (or ``intent``)."""
        return confirm_intent(
            intent or self.intent,
            messages,
            slots=slots,
            session_attributes=self._session_attributes(),
            active_contexts=self._contexts(),
        )

    def delegate(self, *, slots: Mapping[str, Slot | None] | None = None) -> LexResponse:
        """Let Lex decide the next step from the bot definition."""
        return delegate(
            self.intent,
            slots=slots,
            session_attributes=self._session_attributes(),
            active_contexts=self._contexts(),
        )

    def elicit_intent(self, messages: MessageLike | Iterable[MessageLike]) -> LexResponse:
        """Ask the learner what they would like to do."""
        return elicit_intent(
            messages,
            session_attributes=self._session_attributes(),
            active_contexts=self._contexts(),
        )


@dataclass(frozen=True)
class IntentSpec:
    """What a handler declares about its intent, for tools that check the bot definition.

    Attributes:
        slots: the slots the handler reads, fills or elicits.
        dialog_hook: the handler acts in the dialog code hook (validates or fills slots, or
            asks for confirmation), so the bot definition must enable that hook.
    """

    slots: frozenset[str] = frozenset()
    dialog_hook: bool = False


class Router:
    """A group of intent handlers, exception handlers and an optional fallback.

    An intent module owns one ``Router``; the app joins them with
    :meth:`IntentRouter.include_router`. Each intent declares the slots its handler reads,
    so tools can hold the handlers against the bot definition without reading their source.
    """

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, InvocationSource | None], Handler] = {}
        self._specs: dict[str, IntentSpec] = {}
        self._fallback: Handler | None = None
        self._exception_handlers: list[
            tuple[tuple[type[BaseException], ...], Callable[..., LexResponse]]
        ] = []

    def intent(
        self,
        name: str,
        *,
        hook: InvocationSource | None = None,
        slots: Iterable[str] = (),
        dialog_hook: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated function for intent ``name`` (optionally one hook only).

        Parameters:
            name: the Lex intent name.
            hook: serve only this code hook (default: both).
            slots: the slots the handler reads, fills or elicits (see :class:`IntentSpec`).
            dialog_hook: the handler acts in the dialog code hook.
        Raises:
            ValueError: when the same intent and hook are registered twice.
        """

        def register(func: Handler) -> Handler:
            self._add_handler((name, hook), func)
            self._merge_spec(name, IntentSpec(frozenset(slots), dialog_hook))
            return func

        return register

    def _merge_spec(self, name: str, spec: IntentSpec) -> None:
        old = self._specs.get(name, IntentSpec())
        self._specs[name] = IntentSpec(old.slots | spec.slots, old.dialog_hook or spec.dialog_hook)

    def _add_handler(self, key: tuple[str, InvocationSource | None], func: Handler) -> None:
        if key in self._handlers:
            name, hook = key
            raise ValueError(f"intent {name!r} ({hook or 'any hook'}) is already registered")
        self._handlers[key] = func

    def fallback(self, func: Handler) -> Handler:
        """Register the handler for intents that nobody registered."""
        self._fallback = func
        return func

    def exception_handler(
        self, *exc_types: type[BaseException]
    ) -> Callable[[Callable[..., LexResponse]], Callable[..., LexResponse]]:
        """Register ``func(turn, exc) -> LexResponse`` for the given exception types."""

        def register(func: Callable[..., LexResponse]) -> Callable[..., LexResponse]:
            self._exception_handlers.append((exc_types, func))
            return func

        return register

    @property
    def intents(self) -> set[str]:
        """Names of every intent with a registered handler."""
        return {name for name, _ in self._handlers}

    @property
    def intent_specs(self) -> dict[str, IntentSpec]:
        """``intent -> what its handler declared`` for every registered intent."""
        return {name: self._specs.get(name, IntentSpec()) for name in self.intents}

    def handler_for(self, intent: str, source: InvocationSource) -> Handler | None:
        """The handler that would serve ``intent`` for ``source`` (``None``: fallback)."""
        return self._handlers.get((intent, source)) or self._handlers.get((intent, None))


class IntentRouter(Router, Generic[S]):
    """Resolves raw Lex V2 events into contract-valid responses with the registered handlers.

    Parameters:
        session_model: the :class:`TypedSessionAttributes` subclass for this bot.
        turn_class: the :class:`Turn` subclass handlers receive (an app adds its helpers).
        problem_replies: ``(locale, ProblemKind) -> str`` for the polite answers to problems.
        emit_metrics: emit per-intent EMF metrics for every turn.
        dialog_policy: the policy for answers to slot questions (see
            :mod:`lex_bot.lexv2.dialog_policy`); it needs an ``asked: str | None`` field in
            ``session_model``, where the router keeps the slot asked last.
    """

    def __init__(
        self,
        session_model: type[S] = TypedSessionAttributes,  # type: ignore[assignment]
        *,
        turn_class: type[Turn[Any]] | None = None,
        problem_replies: ProblemReplies = default_problem_replies,
        emit_metrics: bool = True,
        dialog_policy: DialogPolicy | None = None,
    ) -> None:
        super().__init__()
        if dialog_policy is not None and "asked" not in session_model.model_fields:
            raise ValueError("a dialog policy needs an 'asked' field in the session model")
        self.dialog_policy = dialog_policy
        self.session_model = session_model
        self.turn_class = turn_class or Turn
        self.problem_replies = problem_replies
        self.emit_metrics = emit_metrics
        self._middleware: list[Middleware] = []
        self._observers: list[Callable[[Any, dict[str, Any]], None]] = []

    # ------------------------------------------------------------------ registration

    def include_router(self, router: Router) -> None:
        """Add every handler, exception handler and the fallback of ``router``.

        Raises:
            ValueError: when an intent and hook of ``router`` are already registered.
        """
        for key, func in router._handlers.items():
            self._add_handler(key, func)
        for name, spec in router._specs.items():
            self._merge_spec(name, spec)
        self._exception_handlers.extend(router._exception_handlers)
        if router._fallback is not None:
            self._fallback = router._fallback

    def use(self, middleware: Middleware) -> Middleware:
        """Add middleware ``mw(turn, call_next)``; the first added is the outermost."""
        self._middleware.append(middleware)
        return middleware

    def observe(self, observer: Callable[[Any, dict[str, Any]], None]) -> None:
        """Call ``observer(raw_event, response)`` after every answered event (e.g. recording)."""
        self._observers.append(observer)

    # ------------------------------------------------------------------ dispatch

    def resolve(self, event: Any, context: Any = None) -> dict[str, Any]:
        """Answer one raw Lex V2 event with a JSON-ready response dict.

        Raises:
            NotALexV2EventError: only when ``event`` is not a Lex V2 event at all.
        """
        started = time.perf_counter()
        check_lex_v2_shape(event)
        logger = get_logger()
        request_id = getattr(context, "aws_request_id", None)
        # Every string of the event may be echoed, logged or recorded: make it valid Unicode
        # once, here (lone surrogates become U+FFFD), and say so once.
        event, replaced = valid_unicode(event)
        if replaced:
            logger.warning(
                "event held lone surrogates; replaced with U+FFFD",
                extra=log_fields(request_id=request_id, replaced=replaced),
            )
        try:
            parsed = LexEvent.model_validate(event)
        except ValidationError as exc:
            response = self._bad_event_response(event, exc, request_id)
            self._finish(event, response, started, intent="<invalid>", error=True)
            return response

        session = self.session_model.parse(parsed.session_state.session_attributes)
        turn: Turn[S] = self.turn_class(event=parsed, session=session, lambda_context=context)
        turn.session_written_after = self.dialog_policy is not None  # see the dialog policy below
        switched_from = self._apply_dialog_policy(turn)
        error = False
        try:
            result = self._answer(turn)
            if not isinstance(result, LexResponse):
                raise TypeError(
                    f"handler for {turn.intent_name!r} returned {type(result).__name__}, "
                    "not a LexResponse"
                )
        except Exception as exc:  # the error boundary: learners never see a stack trace
            error = True
            result = self._handle_exception(turn, exc)
        if self.dialog_policy is not None:
            turn.session.asked = self.dialog_policy.asked_after(turn.event, result)  # type: ignore[attr-defined]
            result.session_state.session_attributes = turn.session.to_lex()
        response = result.to_lex()
        logger.info(
            "turn answered",
            extra=log_fields(
                session_id=turn.session_id,
                request_id=request_id,
                intent=turn.intent_name,
                hook=turn.invocation_source.value,
                input_mode=parsed.input_mode.value,
                locale=turn.locale,
                dialog_action=result.dialog_action_type.value,
                transcript=redact(parsed.input_transcript) if parsed.input_transcript else None,
                session_attribute_problems=session.problems or None,
                switched_from=switched_from,
                latency_ms=round((time.perf_counter() - started) * 1000, 3),
            ),
        )
        self._finish(event, response, started, intent=turn.intent_name, error=error)
        return response

    def _apply_dialog_policy(self, turn: Turn[S]) -> str | None:
        """Send the turn to the intent it really asks for; return the intent it left."""
        if self.dialog_policy is None:
            return None
        asked = getattr(turn.session, "asked", None)
        switched = self.dialog_policy.switch(turn.event, asked)
        if switched is None:
            return None
        left = turn.event.intent_name
        state = turn.event.session_state.model_copy(update={"intent": switched})
        turn.event = turn.event.model_copy(
            update={"session_state": state, "proposed_next_state": None}
        )
        return left

    def _answer(self, turn: Turn[S]) -> LexResponse:
        """The handler's response; a :class:`SwitchIntent` hands the turn on once."""
        for attempt in range(2):
            try:
                return self._call(turn)
            except EndTurn as stop:
                return stop.response
            except SwitchIntent as switch:
                if attempt:
                    raise RuntimeError("an intent switched to another intent twice") from switch
                state = turn.event.session_state.model_copy(update={"intent": switch.intent})
                turn.event = turn.event.model_copy(update={"session_state": state})
        raise AssertionError("unreachable")  # pragma: no cover

    def _call(self, turn: Turn[S]) -> LexResponse:
        handler = self.handler_for(turn.intent_name, turn.invocation_source)
        if handler is None:
            if turn.is_dialog_hook and turn.intent_name in self.intents:
                handler = _delegate_handler
            elif self._fallback is not None:
                handler = self._fallback
            else:
                handler = self._unknown_intent_handler
        call = handler
        for middleware in reversed(self._middleware):
            call = _bind(middleware, call)
        return call(turn)

    def _unknown_intent_handler(self, turn: Turn[S]) -> LexResponse:
        get_logger().warning(
            "no handler for intent",
            extra=log_fields(
                session_id=turn.session_id, request_id=turn.request_id, intent=turn.intent_name
            ),
        )
        return turn.elicit_intent(self.problem_replies(turn.locale, ProblemKind.UNKNOWN_INTENT))

    def _handle_exception(self, turn: Turn[S], exc: Exception) -> LexResponse:
        logger = get_logger()
        fields = log_fields(
            session_id=turn.session_id,
            request_id=turn.request_id,
            intent=turn.intent_name,
            hook=turn.invocation_source.value,
            error_type=type(exc).__name__,
        )
        for types, func in self._exception_handlers:
            if isinstance(exc, types):
                try:
                    result = func(turn, exc)
                except Exception:
                    logger.exception("exception handler failed", extra=fields)
                    break
                if isinstance(result, LexResponse):
                    logger.warning(f"handled {type(exc).__name__}: {exc}", extra=fields)
                    return result
                break
        logger.exception("unhandled error in intent handler", extra=fields)
        return turn.elicit_intent(self.problem_replies(turn.locale, ProblemKind.INTERNAL_ERROR))

    def _bad_event_response(
        self, event: Mapping[str, Any], exc: ValidationError, request_id: str | None
    ) -> dict[str, Any]:
        """A polite answer to a Lex-shaped event that fails validation, and a log line."""
        problems = [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:20]
        ]
        session_id = event.get("sessionId")
        bot = event.get("bot")
        locale = bot.get("localeId") if isinstance(bot, Mapping) else None
        get_logger().error(
            "invalid Lex V2 event",
            extra=log_fields(
                session_id=session_id if isinstance(session_id, str) else None,
                request_id=request_id,
                problems=problems,
            ),
        )
        locale = locale if isinstance(locale, str) else "en_US"
        session = self.session_model.parse(_raw_session_attributes(event))
        return elicit_intent(
            self.problem_replies(locale, ProblemKind.BAD_EVENT),
            session_attributes=session.to_lex(),
        ).to_lex()

    def _finish(
        self, event: Any, response: dict[str, Any], started: float, *, intent: str, error: bool
    ) -> None:
        latency_ms = (time.perf_counter() - started) * 1000
        if self.emit_metrics:
            try:
                record_turn_metrics(intent, latency_ms, error=error)
            except Exception:  # metrics must never break a turn
                get_logger().exception("could not emit metrics")
        for observer in self._observers:
            try:
                observer(event, response)
            except Exception:
                get_logger().exception("turn observer failed")


def _bind(middleware: Middleware, call_next: Handler) -> Handler:
    return lambda turn: middleware(turn, call_next)


def _delegate_handler(turn: Turn[Any]) -> LexResponse:
    return turn.delegate()


def _raw_session_attributes(event: Mapping[str, Any]) -> Any:
    state = event.get("sessionState")
    return state.get("sessionAttributes") if isinstance(state, Mapping) else None


def check_lex_v2_shape(event: Any) -> None:
    """Fail fast, naming what is missing, when ``event`` is not a Lex V2 code hook event.

    A Lex-shaped event with broken members passes here (it gets a polite answer later);
    API Gateway events, Lex V1 events and ``{}`` do not.

    Raises:
        NotALexV2EventError: with a message naming the missing members.
    """
    if not isinstance(event, Mapping):
        raise NotALexV2EventError(
            f"not a Lex V2 event: expected a JSON object, got {type(event).__name__}"
        )
    if "currentIntent" in event:
        raise NotALexV2EventError(
            "not a Lex V2 event: this looks like a Lex V1 event (it has 'currentIntent'); "
            "configure the bot as Lex V2"
        )
    if "httpMethod" in event or "routeKey" in event or "requestContext" in event:
        raise NotALexV2EventError("not a Lex V2 event: this looks like an API Gateway request")
    present = [key for key in _LEX_V2_KEYS if key in event]
    bot = event.get("bot")
    has_v2_bot = isinstance(bot, Mapping) and "localeId" in bot
    if len(present) < 3 or not (has_v2_bot or "sessionState" in event):
        missing = [key for key in _LEX_V2_KEYS if key not in event]
        raise NotALexV2EventError(
            "not a Lex V2 event: missing " + ", ".join(missing or ["bot.localeId"])
        )
