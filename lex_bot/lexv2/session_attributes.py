"""Typed session attributes that always serialise to the strings Lex requires.

Lex V2 session attributes are a ``string -> string`` map, and the client application can
put anything in it. Subclass :class:`TypedSessionAttributes`, declare typed fields, and:

* :meth:`TypedSessionAttributes.parse` reads the event's map leniently: a value of the wrong
  type, an oversized value or undecodable JSON is dropped (and reported in ``problems``),
  never trusted and never fatal;
* :meth:`TypedSessionAttributes.to_lex` writes every field back as a string (``str`` as is,
  everything else as compact JSON), omitting ``None``, and keeps unknown keys the client set
  (as strings, within bounds) so the bot does not erase what a client stored.

Session attributes come from the client and are hints, never authority: progress lives in
the progress store.

Example:
    >>> class Attrs(TypedSessionAttributes):
    ...     attempts: int = 0
    >>> attrs = Attrs.parse({"attempts": "2", "theme": "dark"})
    >>> attrs.attempts, attrs.to_lex()
    (2, {'theme': 'dark', 'attempts': '2'})
"""

from __future__ import annotations

import json
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

from lex_bot.lexv2.limits import MAX_SESSION_ATTRIBUTE_CHARS, MAX_SESSION_ATTRIBUTES

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
        if len(items) > cls.max_attributes:
            problems.append(
                f"{len(items)} session attributes, only the first {cls.max_attributes} read"
            )
            items = items[: cls.max_attributes]
        for key, value in items:
            if not isinstance(key, str) or not key or len(key) > 100:
                problems.append(f"session attribute key {str(key)[:40]!r} is not a short string")
                continue
            if not isinstance(value, str):
                problems.append(
                    f"session attribute {key!r} is a {type(value).__name__}, not a string"
                )
                continue
            if len(value) > cls.max_value_chars:
                problems.append(
                    f"session attribute {key!r} is {len(value)} characters, over the limit"
                )
                continue
            if key in cls.model_fields:
                try:
                    known[key] = cls._decode_field(key, value)
                except ValueError as exc:
                    problems.append(f"session attribute {key!r} is not valid: {exc}")
            else:
                extra[key] = value
        instance = cls._build(known, problems)
        instance._extra = extra
        instance._problems = problems
        return instance

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
        out = dict(self._extra)
        for key, value in self.model_dump(mode="json").items():
            if value is None:
                out.pop(key, None)
                continue
            text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            if len(text) <= self.max_value_chars:
                out[key] = text
        return out
