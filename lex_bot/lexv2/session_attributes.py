"""Typed session attributes that always serialise to the strings Lex requires.

Lex V2 session attributes are a ``string -> string`` map, and the client application can
put anything in it. Subclass :class:`TypedSessionAttributes`, declare typed fields, and:

* :meth:`TypedSessionAttributes.parse` reads the event's map leniently: a value of the wrong
  type, an oversized value or undecodable JSON is dropped (and reported in ``problems``),
  never trusted and never fatal;
* :meth:`TypedSessionAttributes.to_lex` writes every field back as a string (``str`` as is,
  everything else as compact JSON), omitting ``None`` and empty collections.

The bot's own fields live under one namespace (``namespace``, a key prefix such as
``lessonbot.``); every other key belongs to the client and passes through byte for byte, of
whatever length or number: the map a response returns *becomes* the session's ("Lambda
response format": ``sessionState.sessionAttributes`` replaces the session's attributes), so a
key the bot left out would be deleted, and Lex accepted these in the request, so they are
within its limits. The bot never reads them. When the whole map would exceed
:data:`~lex_bot.lexv2.limits.SESSION_ATTRIBUTES_BUDGET_BYTES`, the bot drops its own fields
(the least important first, ``drop_order``), never the client's, and logs what it dropped.

Session attributes come from the client and are hints, never authority: progress lives in
the progress store.

Example:
    >>> class Attrs(TypedSessionAttributes):
    ...     attempts: int = 0
    ...     namespace = "bot."
    >>> attrs = Attrs.parse({"bot.attempts": "2", "theme": "dark"})
    >>> attrs.attempts, attrs.to_lex()
    (2, {'theme': 'dark', 'bot.attempts': '2'})
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
)

from lex_bot.lexv2.limits import (
    MAX_SESSION_ATTRIBUTE_CHARS,
    MAX_SESSION_ATTRIBUTES,
    SESSION_ATTRIBUTES_BUDGET_BYTES,
    json_utf8_bytes,
)

logger = logging.getLogger("lessonbot")

#: Validation context of values read from the client (see :func:`Counter`).
_FROM_CLIENT = {"from_client": True}


def Counter(low: int, high: int) -> Any:
    """An ``int`` field within ``[low, high]``: a client's value outside is dropped (and
    reported, like any value that fails to parse); the bot's own assignment is clamped.

    A counter the bot increments (``attrs.attempts += 1``) must not raise when a client
    already put it at the top of its range.

    Example:
        >>> class Attrs(TypedSessionAttributes):
        ...     attempts: Counter(0, 3) = 0
        >>> attrs = Attrs.parse({"attempts": "3"})
        >>> attrs.attempts += 1
        >>> attrs.attempts, Attrs.parse({"attempts": "-7"}).attempts
        (3, 0)
    """

    def bounded(value: int, info: ValidationInfo) -> int:
        if low <= value <= high:
            return value
        if info.context and info.context.get("from_client"):
            raise ValueError(f"must be between {low} and {high}")
        return min(max(value, low), high)

    return Annotated[int, AfterValidator(bounded)]


class TypedSessionAttributes(BaseModel):
    """Base for a bot's session attributes; see the module docstring."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    max_value_chars: ClassVar[int] = MAX_SESSION_ATTRIBUTE_CHARS
    max_attributes: ClassVar[int] = MAX_SESSION_ATTRIBUTES
    #: Prefix of the bot's own keys; every other key is the client's and passes through.
    namespace: ClassVar[str] = ""
    #: The bot's optional fields, dropped in this order when the map would exceed the budget.
    drop_order: ClassVar[tuple[str, ...]] = ()
    budget_bytes: ClassVar[int] = SESSION_ATTRIBUTES_BUDGET_BYTES

    # Defaults, not factories: pydantic copies an empty default cheaply, but inspects a
    # factory's signature on every instance (a quarter of a warm turn).
    _extra: dict[str, str] = PrivateAttr(default={})
    _problems: list[str] = PrivateAttr(default=[])

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> Self:
        """Build from an event's ``sessionAttributes``, dropping what cannot be trusted.

        Parameters:
            raw: the map from the event (may be ``None``, may hold non-strings).
        Returns:
            An instance whose ``problems`` lists every value that was dropped and why.
        """
        problems: list[str] = []
        known: dict[str, Any] = {}
        extra: dict[str, str] = {}
        items = list((raw or {}).items()) if isinstance(raw, Mapping) else []
        if raw is not None and not isinstance(raw, Mapping):
            problems.append(f"sessionAttributes is a {type(raw).__name__}, not a map")
        own = 0
        for key, value in items:
            if not isinstance(key, str) or not key or not isinstance(value, str):
                # Lex sends only strings, and keys are never empty (the lexv2-runtime model's
                # NonEmptyString); anything else cannot go back in a response.
                problems.append(f"session attribute {str(key)[:40]!r} is not a string pair")
                continue
            field = cls._own_field(key)
            if field is None:
                extra[key] = value  # the client's: passed through unread and unchanged
                continue
            own += 1
            if own > cls.max_attributes:
                problems.append(f"more than {cls.max_attributes} own session attributes")
                continue
            if len(value) > cls.max_value_chars:
                problems.append(
                    f"session attribute {key!r} is {len(value)} characters, over the limit"
                )
                continue
            try:
                known[field] = cls._decode_field(field, value)
            except ValueError as exc:
                problems.append(f"session attribute {key!r} is not valid: {exc}")
        instance = cls._build(known, problems)
        instance._extra = extra
        instance._problems = problems
        return instance

    @classmethod
    def _own_field(cls, key: str) -> str | None:
        """The field a key of the bot's namespace stores, else ``None`` (a client's key)."""
        if not key.startswith(cls.namespace):
            return None
        name = key[len(cls.namespace) :]
        return name if name in cls.model_fields else None

    @classmethod
    def _decode_field(cls, key: str, value: str) -> Any:
        annotation = cls.model_fields[key].annotation
        if annotation is str or annotation == (str | None):
            return value
        try:
            return json.loads(value)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, or nested too deep
            raise ValueError("not JSON") from exc

    @classmethod
    def _build(cls, known: dict[str, Any], problems: list[str]) -> Self:
        """Validate field by field so one bad value does not discard the others."""
        good: dict[str, Any] = {}
        for key, value in known.items():
            try:
                cls.model_validate({**good, key: value}, context=_FROM_CLIENT)
            except ValidationError as exc:
                problems.append(f"session attribute {key!r} is not valid: {exc.errors()[0]['msg']}")
                continue
            good[key] = value
        return cls.model_validate(good, context=_FROM_CLIENT)

    @property
    def problems(self) -> list[str]:
        """What :meth:`parse` dropped, for the log."""
        return list(self._problems)

    @property
    def extra(self) -> dict[str, str]:
        """Keys the client set that this model does not declare (kept and echoed back)."""
        return dict(self._extra)

    def to_lex(self) -> dict[str, str]:
        """Serialise to Lex's ``string -> string`` map.

        Example:
            >>> TypedSessionAttributes().to_lex()
            {}
        """
        out = self._client_within_budget()
        own: dict[str, str] = {}
        for key, value in self.model_dump(mode="json").items():
            if value is None or value == [] or value == {}:
                continue  # an empty collection is the default: parse gives it back
            text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            if len(text) <= self.max_value_chars:
                own[key] = text
        size = json_utf8_bytes(out) + json_utf8_bytes(
            {self.namespace + k: v for k, v in own.items()}
        )
        dropped = []
        for key in [k for k in self.drop_order if k in own] + [k for k in own]:
            if size <= self.budget_bytes or key not in own:
                continue
            text = own.pop(key)
            size -= _item_bytes(self.namespace + key, text)
            dropped.append(key)
        if dropped:
            logger.warning(
                "own session attributes dropped to fit the budget",
                extra={"dropped": dropped, "client_bytes": json_utf8_bytes(out)},
            )
        out.update({self.namespace + k: v for k, v in own.items()})
        return out

    def _client_within_budget(self) -> dict[str, str]:
        """The client's attributes: all of them, unless they alone exceed the budget.

        A map over the budget did not come through Lex (it would have refused it), so the
        event is not a real Lex turn: the client's keys are kept in order while they fit, and
        the rest is logged, so that the response is still one Lex accepts.
        """
        if json_utf8_bytes(self._extra) <= self.budget_bytes:
            return dict(self._extra)
        out: dict[str, str] = {}
        size = 2
        for key, value in self._extra.items():
            item = _item_bytes(key, value)
            if size + item <= self.budget_bytes:
                out[key] = value
                size += item
        logger.warning(
            "client session attributes over the budget: the event did not come through Lex",
            extra={"kept": len(out), "dropped_count": len(self._extra) - len(out)},
        )
        return out


def _item_bytes(key: str, value: str) -> int:
    """Bytes one ``key: value`` pair adds to the map's JSON (:func:`json_utf8_bytes`'s measure).

    The pair's two strings plus the ": " and ", " separators around them.
    """
    return json_utf8_bytes(key) + json_utf8_bytes(value) + 4
