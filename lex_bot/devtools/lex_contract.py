"""The Lex V2 Lambda response contract, checked against botocore's own ``lexv2-runtime`` model.

Every response our Lambda produces in a test is passed through :func:`assert_lex_response`.
The check has two layers:

1. **Structural.** A Lambda code hook response is ``{"sessionState": SessionState,
   "messages": Messages, "requestAttributes": StringMap}`` (Lex V2 developer guide, "AWS
   Lambda response format for Lex V2"; the members use the runtime API's JSON names). We walk
   the shapes of botocore's ``lexv2-runtime`` service model ourselves: required members,
   unknown members, JSON types, string/list/map lengths, ``enum``, ``pattern`` (with
   :func:`re.fullmatch`) and numeric ranges. botocore's ``ParamValidator`` is not used: it
   skips ``max`` and ``enum``. Lengths are counted in UTF-16 code units, as the Lex V2
   "Quotas" page says character limits are.
2. **Semantic.** The rules Lex documents for Lambda responses but the model cannot express
   (see :func:`_check_semantics` for each rule and its source), plus JSON serialisability
   and a size budget.

Example:
    >>> ok = {"sessionState": {"dialogAction": {"type": "ElicitIntent"}},
    ...       "messages": [{"contentType": "PlainText", "content": "Hi!"}]}
    >>> validate_lex_response(ok)
    []
    >>> [v.code for v in validate_lex_response({"sessionState": {}})]
    [<Rule.DIALOG_ACTION_REQUIRED: 'dialog-action-required'>]
"""

from __future__ import annotations

import functools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from lex_bot.lexv2.limits import (
    RESPONSE_BUDGET_BYTES,
    SESSION_ATTRIBUTES_BUDGET_BYTES,
    json_utf8_bytes,
)

if TYPE_CHECKING:
    from botocore.model import ServiceModel, Shape

SERVICE_NAME = "lexv2-runtime"

# Deeper than any real response (the deepest legal path is about 8 levels); guards recursion.
MAX_NESTING = 40
# SSML longer than this is not parsed (it already fails the model's length limit).
_SSML_PARSE_LIMIT = 16_384

_TOP_LEVEL_SHAPES = {
    "sessionState": "SessionState",
    "messages": "Messages",
    "requestAttributes": "StringMap",
}
# Lex sends unfilled slots as ``null`` and accepts them back (developer guide, "Common
# structures": "If a slot has no value, it is null"); the model has no notion of null.
_NULLABLE_MAP_VALUE_SHAPES = frozenset({"Slot"})
_TEXT_CONTENT_TYPES = frozenset({"PlainText", "SSML", "CustomPayload"})


class Rule(StrEnum):
    """The code of each contract rule a response can break."""

    # structural (botocore model)
    WRONG_TYPE = "wrong-type"
    REQUIRED_MEMBER_MISSING = "required-member-missing"
    UNKNOWN_MEMBER = "unknown-member"
    TOO_SHORT = "too-short"
    TOO_LONG = "too-long"
    TOO_FEW_ITEMS = "too-few-items"
    TOO_MANY_ITEMS = "too-many-items"
    ENUM = "enum"
    PATTERN = "pattern"
    BELOW_MIN = "below-min"
    ABOVE_MAX = "above-max"
    INVALID_UNICODE = "invalid-unicode"
    TOO_DEEP = "too-deep"
    # semantic (Lex developer guide)
    DIALOG_ACTION_REQUIRED = "dialog-action-required"
    DIALOG_ACTION_NOT_FOR_LAMBDA = "dialog-action-not-for-lambda"
    INTENT_REQUIRED = "intent-required"
    INTENT_STATE_REQUIRED = "intent-state-required"
    CLOSE_STATE_NOT_FINAL = "close-state-not-final"
    READY_FOR_FULFILLMENT_NEEDS_DELEGATE = "ready-for-fulfillment-needs-delegate"
    SLOT_TO_ELICIT_REQUIRED = "slot-to-elicit-required"
    ELICIT_SLOT_ONLY = "elicit-slot-only"
    UNKNOWN_SLOT = "unknown-slot"
    MESSAGES_REQUIRED = "messages-required"
    MESSAGE_CONTENT_REQUIRED = "message-content-required"
    MESSAGE_CARD_REQUIRED = "message-card-required"
    MESSAGE_CARD_UNEXPECTED = "message-card-unexpected"
    SSML_MALFORMED = "ssml-malformed"
    SSML_NOT_SPEAK = "ssml-not-speak"
    SSML_NESTED_SPEAK = "ssml-nested-speak"
    SLOT_VALUE_MISSING = "slot-value-missing"
    SLOT_VALUES_MISSING = "slot-values-missing"
    SLOT_SUBSLOTS_MISSING = "slot-subslots-missing"
    SLOT_SHAPE_MISMATCH = "slot-shape-mismatch"
    NOT_JSON = "not-json"
    RESPONSE_TOO_LARGE = "response-too-large"
    SESSION_ATTRIBUTES_TOO_LARGE = "session-attributes-too-large"


@dataclass(frozen=True, slots=True)
class ContractViolation:
    """One broken rule: where (``path``), which rule (``code``) and a readable ``message``.

    ``path`` uses member names joined by dots, ``[i]`` for list items and ``['key']`` for map
    entries, e.g. ``messages[0].imageResponseCard.buttons[5]``; ``""`` is the whole response.
    """

    path: str
    code: Rule
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(response)'}: [{self.code}] {self.message}"


# --------------------------------------------------------------------------- the model


@dataclass(slots=True, eq=False)
class ShapeSpec:
    """A botocore shape compiled for fast walking (recursive shapes share one spec)."""

    name: str
    kind: str
    members: dict[str, ShapeSpec] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    item: ShapeSpec | None = None
    key: ShapeSpec | None = None
    value: ShapeSpec | None = None
    nullable_values: bool = False
    min: float | None = None
    max: float | None = None
    enum: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class ContractModel:
    """The compiled shapes of one ``lexv2-runtime`` service model, by shape name."""

    shapes: Mapping[str, ShapeSpec]

    def shape(self, name: str) -> ShapeSpec:
        """The compiled shape ``name``, e.g. ``contract_model().shape("Message")``."""
        return self.shapes[name]


def compile_model(service_model: ServiceModel) -> ContractModel:
    """Compile the shapes a Lambda response uses from ``service_model``.

    Parameters:
        service_model: botocore's ``lexv2-runtime`` model (or a test double of it).
    Returns:
        A :class:`ContractModel` holding every shape reachable from the response's members.
    Example:
        >>> contract_model().shape("DialogActionType").kind
        'string'
    """
    compiled: dict[str, ShapeSpec] = {}
    for shape_name in _TOP_LEVEL_SHAPES.values():
        _compile_shape(service_model.shape_for(shape_name), compiled)
    return ContractModel(shapes=compiled)


def _compile_shape(shape: Shape, compiled: dict[str, ShapeSpec]) -> ShapeSpec:
    """Compile ``shape`` (and what it refers to) into ``compiled``, memoised by name."""
    if shape.name in compiled:
        return compiled[shape.name]
    meta = shape.metadata
    spec = ShapeSpec(
        name=shape.name, kind=shape.type_name, min=meta.get("min"), max=meta.get("max")
    )
    compiled[shape.name] = spec  # registered before recursing: shapes such as Slot are recursive
    if shape.type_name == "structure":
        spec.required = frozenset(meta.get("required", ()))
        spec.members = {name: _compile_shape(m, compiled) for name, m in shape.members.items()}
    elif shape.type_name == "list":
        spec.item = _compile_shape(shape.member, compiled)
    elif shape.type_name == "map":
        spec.key = _compile_shape(shape.key, compiled)
        spec.value = _compile_shape(shape.value, compiled)
        spec.nullable_values = shape.value.name in _NULLABLE_MAP_VALUE_SHAPES
    elif shape.type_name == "string":
        spec.enum = tuple(meta.get("enum", ()))
        if "pattern" in meta:
            spec.pattern = re.compile(meta["pattern"])
    return spec


@functools.cache
def contract_model() -> ContractModel:
    """botocore's ``lexv2-runtime`` model, compiled once per process (lazy singleton)."""
    import botocore.session

    return compile_model(botocore.session.get_session().get_service_model(SERVICE_NAME))


# --------------------------------------------------------------------------- structural walk


def _kind_of(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Lex's character limits."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class _Walker:
    """Walks one value against a :class:`ShapeSpec`, collecting violations."""

    __slots__ = ("out",)

    def __init__(self, out: list[ContractViolation]) -> None:
        self.out = out

    def report(self, path: str, code: Rule, message: str) -> None:
        self.out.append(ContractViolation(path, code, message))

    def walk(self, value: Any, spec: ShapeSpec, path: str, depth: int = 0) -> None:
        if depth > MAX_NESTING:
            self.report(path, Rule.TOO_DEEP, f"nested more than {MAX_NESTING} levels")
            return
        kind = spec.kind
        if kind == "structure":
            self._structure(value, spec, path, depth)
        elif kind == "string":
            self._string(value, spec, path)
        elif kind == "list":
            self._list(value, spec, path, depth)
        elif kind == "map":
            self._map(value, spec, path, depth)
        elif kind in ("integer", "long"):
            if type(value) is not int:
                self._wrong_type(value, "an integer", spec, path)
            else:
                self._range(value, spec, path)
        elif kind in ("float", "double"):
            if type(value) not in (int, float):
                self._wrong_type(value, "a number", spec, path)
            else:
                self._range(value, spec, path)
        elif kind == "boolean":
            if type(value) is not bool:
                self._wrong_type(value, "a boolean", spec, path)
        elif kind == "timestamp":
            if type(value) not in (str, int, float):
                self._wrong_type(value, "a timestamp", spec, path)
        elif kind == "blob":
            if type(value) is not str:
                self._wrong_type(value, "base64 text", spec, path)
        else:  # pragma: no cover - a model change we do not know how to check
            self.report(path, Rule.WRONG_TYPE, f"unsupported shape type {kind!r} ({spec.name})")

    def _wrong_type(self, value: Any, expected: str, spec: ShapeSpec, path: str) -> None:
        self.report(
            path, Rule.WRONG_TYPE, f"expected {expected} ({spec.name}), got {_kind_of(value)}"
        )

    def _structure(self, value: Any, spec: ShapeSpec, path: str, depth: int) -> None:
        if not isinstance(value, dict):
            self._wrong_type(value, "an object", spec, path)
            return
        prefix = f"{path}." if path else ""
        for name in spec.required:
            if name not in value:
                self.report(
                    prefix + name, Rule.REQUIRED_MEMBER_MISSING, f"{spec.name} requires {name!r}"
                )
        members = spec.members
        for name, item in value.items():
            member = members.get(name)
            if member is None:
                self.report(
                    f"{prefix}{name}",
                    Rule.UNKNOWN_MEMBER,
                    f"{spec.name} has no member {name!r} (members: {', '.join(members)})",
                )
            elif item is None:
                self._wrong_type(
                    item, "a value, not null (omit the member instead)", member, prefix + name
                )
            else:
                self.walk(item, member, prefix + name, depth + 1)

    def _string(self, value: Any, spec: ShapeSpec, path: str) -> None:
        if type(value) is not str:
            self._wrong_type(value, "a string", spec, path)
            return
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                self.report(
                    path, Rule.INVALID_UNICODE, "contains a lone surrogate, not valid Unicode"
                )
                return
        self._length(_text_length(value), spec, path, Rule.TOO_SHORT, Rule.TOO_LONG, "characters")
        if spec.enum and value not in spec.enum:
            self.report(
                path, Rule.ENUM, f"{value!r} is not one of {', '.join(spec.enum)} ({spec.name})"
            )
        if spec.pattern is not None and spec.pattern.fullmatch(value) is None:
            self.report(
                path, Rule.PATTERN, f"{value!r} does not match {spec.pattern.pattern} ({spec.name})"
            )

    def _length(
        self, n: int, spec: ShapeSpec, path: str, short: Rule, long: Rule, unit: str
    ) -> None:
        if spec.min is not None and n < spec.min:
            self.report(path, short, f"{n} {unit}, at least {spec.min:g} allowed ({spec.name})")
        if spec.max is not None and n > spec.max:
            self.report(path, long, f"{n} {unit}, at most {spec.max:g} allowed ({spec.name})")

    def _range(self, value: float, spec: ShapeSpec, path: str) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            self.report(path, Rule.WRONG_TYPE, f"{value} is not a finite number ({spec.name})")
            return
        if spec.min is not None and value < spec.min:
            self.report(
                path, Rule.BELOW_MIN, f"{value} is below the minimum {spec.min:g} ({spec.name})"
            )
        if spec.max is not None and value > spec.max:
            self.report(
                path, Rule.ABOVE_MAX, f"{value} is above the maximum {spec.max:g} ({spec.name})"
            )

    def _list(self, value: Any, spec: ShapeSpec, path: str, depth: int) -> None:
        if not isinstance(value, (list, tuple)):
            self._wrong_type(value, "a list", spec, path)
            return
        self._length(len(value), spec, path, Rule.TOO_FEW_ITEMS, Rule.TOO_MANY_ITEMS, "items")
        item_spec = spec.item
        assert item_spec is not None
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if item is None:
                self._wrong_type(item, "a value, not null", item_spec, item_path)
            else:
                self.walk(item, item_spec, item_path, depth + 1)

    def _map(self, value: Any, spec: ShapeSpec, path: str, depth: int) -> None:
        if not isinstance(value, dict):
            self._wrong_type(value, "an object", spec, path)
            return
        self._length(len(value), spec, path, Rule.TOO_FEW_ITEMS, Rule.TOO_MANY_ITEMS, "entries")
        key_spec, value_spec = spec.key, spec.value
        assert key_spec is not None and value_spec is not None
        for key, item in value.items():
            entry_path = f"{path}[{key!r}]"
            if type(key) is not str:
                self.report(
                    entry_path,
                    Rule.WRONG_TYPE,
                    f"map key must be a string ({key_spec.name}), got {_kind_of(key)}",
                )
            else:
                self._string(key, key_spec, entry_path)
            if item is None:
                if not spec.nullable_values:
                    self._wrong_type(item, "a value, not null", value_spec, entry_path)
            else:
                self.walk(item, value_spec, entry_path, depth + 1)


def _check_structure(response: Any, model: ContractModel, out: list[ContractViolation]) -> None:
    """The top-level object and every member against the model's shapes."""
    walker = _Walker(out)
    if not isinstance(response, dict):
        walker.report(
            "", Rule.WRONG_TYPE, f"a Lambda response is a JSON object, got {_kind_of(response)}"
        )
        return
    if "sessionState" not in response:
        # Developer guide, "Lambda response format": sessionState "is always required".
        walker.report(
            "sessionState", Rule.REQUIRED_MEMBER_MISSING, "the response requires 'sessionState'"
        )
    for name, item in response.items():
        shape_name = _TOP_LEVEL_SHAPES.get(name)
        if shape_name is None:
            walker.report(
                str(name),
                Rule.UNKNOWN_MEMBER,
                f"a Lambda response has only {', '.join(_TOP_LEVEL_SHAPES)}; got {name!r}",
            )
        elif item is None:
            walker.report(
                name, Rule.WRONG_TYPE, "expected a value, not null (omit the member instead)"
            )
        else:
            walker.walk(item, model.shape(shape_name), name)


# --------------------------------------------------------------------------- semantic rules


def _add(out: list[ContractViolation], path: str, code: Rule, message: str) -> None:
    out.append(ContractViolation(path, code, message))


def _member(value: Any, name: str) -> Any:
    """``value[name]`` when ``value`` is an object, else ``None`` (semantic checks are lenient)."""
    return value.get(name) if isinstance(value, dict) else None


def _check_semantics(
    response: dict[str, Any],
    known_slots: Mapping[str, Collection[str]] | None,
    require_messages: bool,
    out: list[ContractViolation],
) -> None:
    """The documented Lex V2 rules for Lambda responses that the model cannot express.

    Sources (Lex V2 developer guide unless noted):

    * "AWS Lambda response format for Lex V2": ``sessionState`` is always required; the
      ``messages`` field "is required if ``dialogAction.type`` is ``ElicitIntent`` or
      ``ConfirmIntent``"; PlainText/CustomPayload/SSML carry ``content``, ImageResponseCard
      carries ``imageResponseCard``.
    * AWS re:Post knowledge center, "lex-dialogflow-fulfillment-lambda": the dialog action
      ``type`` is always required; ``slotToElicit`` is needed when the type is ``ElicitSlot``;
      ``intent`` is not needed for ``Delegate`` or ``ElicitIntent``; ``intent.state`` is
      required; ``ReadyForFulfillment`` is only valid with ``Delegate``.
    * "Common structures": the dialog action types a Lambda returns are Close, ConfirmIntent,
      Delegate, ElicitIntent and ElicitSlot; ``slotElicitationStyle`` and ``subSlotToElicit``
      configure the slot being elicited; a Slot's ``shape`` is Scalar (``value``), List
      (``values``) or Composite (``subSlots``).
    * ``Close`` ends the intent, so its state must be final: ``Fulfilled`` or ``Failed``
      (``InProgress``/``Waiting`` are not final, ``ReadyForFulfillment`` needs ``Delegate``).

    House rules (stricter than Lex, because this bot always speaks and always says which
    intent it acts on): ``Delegate`` carries the intent; with ``require_messages`` ``Close``
    and ``ElicitSlot`` carry at least one message too; ``slotToElicit`` only with ``ElicitSlot``.
    """
    session = _member(response, "sessionState")
    if not isinstance(session, dict):
        return  # reported structurally
    action = session.get("dialogAction")
    intent = session.get("intent")
    action_type = _member(action, "type")
    if action is None:
        _add(
            out,
            "sessionState.dialogAction",
            Rule.DIALOG_ACTION_REQUIRED,
            "sessionState needs a dialogAction",
        )
    _check_dialog_action(action, action_type, intent, known_slots, out)
    _check_intent(intent, action_type, out)
    _check_messages(response.get("messages"), action_type, require_messages, out)
    _check_size(response, session, out)


_NEEDS_INTENT = frozenset({"Close", "ConfirmIntent", "Delegate", "ElicitSlot"})
_NEEDS_MESSAGES = frozenset({"ElicitIntent", "ConfirmIntent"})
_NEEDS_MESSAGES_WHEN_SPEAKING = frozenset({"Close", "ElicitSlot"})
_LAMBDA_ACTION_TYPES = frozenset(
    {"Close", "ConfirmIntent", "Delegate", "ElicitIntent", "ElicitSlot"}
)
_FINAL_STATES = frozenset({"Fulfilled", "Failed"})


def _check_dialog_action(
    action: Any,
    action_type: Any,
    intent: Any,
    known_slots: Mapping[str, Collection[str]] | None,
    out: list[ContractViolation],
) -> None:
    """Rules tying the dialog action's type to its other members and to the intent."""
    if not isinstance(action, dict) or not isinstance(action_type, str):
        return
    base = "sessionState.dialogAction"
    if action_type == "None":
        _add(
            out,
            f"{base}.type",
            Rule.DIALOG_ACTION_NOT_FOR_LAMBDA,
            "'None' is a runtime state, not a dialog action a Lambda may return",
        )
    if action_type in _NEEDS_INTENT and not isinstance(intent, dict):
        _add(
            out,
            "sessionState.intent",
            Rule.INTENT_REQUIRED,
            f"{action_type} needs sessionState.intent with a name",
        )
    if action_type == "ElicitSlot":
        slot = action.get("slotToElicit")
        if not slot:
            _add(
                out,
                f"{base}.slotToElicit",
                Rule.SLOT_TO_ELICIT_REQUIRED,
                "ElicitSlot needs slotToElicit",
            )
        elif known_slots is not None and isinstance(slot, str):
            name = _member(intent, "name")
            allowed = known_slots.get(name) if isinstance(name, str) else None
            if allowed is not None and slot not in allowed:
                _add(
                    out,
                    f"{base}.slotToElicit",
                    Rule.UNKNOWN_SLOT,
                    f"intent {name!r} has no slot {slot!r} (has: {', '.join(sorted(allowed))})",
                )
    elif action_type in _LAMBDA_ACTION_TYPES:
        for member in ("slotToElicit", "slotElicitationStyle", "subSlotToElicit"):
            if member in action:
                _add(
                    out,
                    f"{base}.{member}",
                    Rule.ELICIT_SLOT_ONLY,
                    f"{member} is only valid with ElicitSlot",
                )


def _check_intent(intent: Any, action_type: Any, out: list[ContractViolation]) -> None:
    """The intent's state against the dialog action, and each slot's shape."""
    if not isinstance(intent, dict):
        return
    base = "sessionState.intent"
    state = intent.get("state")
    if state is None:
        _add(out, f"{base}.state", Rule.INTENT_STATE_REQUIRED, "the intent needs a state")
    elif isinstance(state, str):
        if action_type == "Close" and state not in _FINAL_STATES:
            _add(
                out,
                f"{base}.state",
                Rule.CLOSE_STATE_NOT_FINAL,
                f"Close needs a final intent state (Fulfilled or Failed), got {state!r}",
            )
        elif (
            state == "ReadyForFulfillment"
            and action_type != "Delegate"
            and isinstance(action_type, str)
        ):
            _add(
                out,
                f"{base}.state",
                Rule.READY_FOR_FULFILLMENT_NEEDS_DELEGATE,
                f"ReadyForFulfillment is only valid with Delegate, not {action_type}",
            )
    slots = intent.get("slots")
    if isinstance(slots, dict):
        for slot_name, slot in slots.items():
            _check_slot(slot, f"{base}.slots[{slot_name!r}]", out, 0)


def _check_slot(slot: Any, path: str, out: list[ContractViolation], depth: int) -> None:
    """A non-null slot holds what its shape says: Scalar a value, List values, Composite subSlots"""
    if not isinstance(slot, dict) or depth > MAX_NESTING:
        return
    shape = slot.get("shape", "Scalar")
    if shape == "Scalar" and "value" not in slot:
        _add(
            out,
            f"{path}.value",
            Rule.SLOT_VALUE_MISSING,
            "a Scalar slot that is not null needs a value",
        )
    if shape == "List" and not slot.get("values"):
        _add(out, f"{path}.values", Rule.SLOT_VALUES_MISSING, "a List slot needs values")
    if shape == "Composite" and not slot.get("subSlots"):
        _add(out, f"{path}.subSlots", Rule.SLOT_SUBSLOTS_MISSING, "a Composite slot needs subSlots")
    if "values" in slot and shape != "List":
        _add(
            out,
            f"{path}.values",
            Rule.SLOT_SHAPE_MISMATCH,
            f"values needs shape List, not {shape!r}",
        )
    if "subSlots" in slot and shape != "Composite":
        _add(
            out,
            f"{path}.subSlots",
            Rule.SLOT_SHAPE_MISMATCH,
            f"subSlots needs shape Composite, not {shape!r}",
        )
    values = slot.get("values")
    if isinstance(values, list):
        for index, item in enumerate(values):
            _check_slot(item, f"{path}.values[{index}]", out, depth + 1)
    sub_slots = slot.get("subSlots")
    if isinstance(sub_slots, dict):
        for sub_name, item in sub_slots.items():
            _check_slot(item, f"{path}.subSlots[{sub_name!r}]", out, depth + 1)


def _check_messages(
    messages: Any, action_type: Any, require_messages: bool, out: list[ContractViolation]
) -> None:
    """Messages are present when the action needs them and each carries what its type needs."""
    needed = action_type in _NEEDS_MESSAGES or (
        require_messages and action_type in _NEEDS_MESSAGES_WHEN_SPEAKING
    )
    if needed and not messages:
        why = (
            "the developer guide requires them"
            if action_type in _NEEDS_MESSAGES
            else "this bot always speaks"
        )
        _add(out, "messages", Rule.MESSAGES_REQUIRED, f"{action_type} needs messages ({why})")
    if not isinstance(messages, (list, tuple)):
        return
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        path = f"messages[{index}]"
        content_type = message.get("contentType")
        if content_type == "ImageResponseCard":
            if message.get("imageResponseCard") is None:
                _add(
                    out,
                    f"{path}.imageResponseCard",
                    Rule.MESSAGE_CARD_REQUIRED,
                    "an ImageResponseCard message needs imageResponseCard",
                )
        elif content_type in _TEXT_CONTENT_TYPES:
            content = message.get("content")
            if content is None:
                _add(
                    out,
                    f"{path}.content",
                    Rule.MESSAGE_CONTENT_REQUIRED,
                    f"a {content_type} message needs content",
                )
            if "imageResponseCard" in message:
                _add(
                    out,
                    f"{path}.imageResponseCard",
                    Rule.MESSAGE_CARD_UNEXPECTED,
                    f"a {content_type} message must not carry imageResponseCard",
                )
            if content_type == "SSML" and isinstance(content, str):
                _check_ssml(content, f"{path}.content", out)


def _local_name(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _check_ssml(content: str, path: str, out: list[ContractViolation]) -> None:
    """SSML is one well-formed ``<speak>`` document with no ``<speak>`` inside it."""
    if len(content) > _SSML_PARSE_LIMIT:
        return  # the model's length limit already reports it; do not parse megabytes
    if "<!" in content and re.search(r"<!\s*(DOCTYPE|ENTITY)", content, re.IGNORECASE):
        # SSML has no DTD; refusing it also keeps entity expansion out of the parser.
        _add(out, path, Rule.SSML_MALFORMED, "SSML must not declare a DOCTYPE or entities")
        return
    try:
        root = ET.fromstring(content)
    except ET.ParseError as error:
        _add(out, path, Rule.SSML_MALFORMED, f"SSML is not well-formed XML: {error}")
        return
    if _local_name(root.tag) != "speak":
        _add(out, path, Rule.SSML_NOT_SPEAK, f"SSML must be wrapped in <speak>, not <{root.tag}>")
    if any(_local_name(element.tag) == "speak" for element in root.iter() if element is not root):
        _add(out, path, Rule.SSML_NESTED_SPEAK, "SSML must not nest <speak> elements")


def _check_size(
    response: dict[str, Any], session: dict[str, Any], out: list[ContractViolation]
) -> None:
    """The response is plain JSON (no ``default=``, no NaN) and fits the size budgets."""
    try:
        size = json_utf8_bytes(response)
    except (TypeError, ValueError, RecursionError) as error:
        _add(out, "", Rule.NOT_JSON, f"not JSON-serialisable: {error}")
        return
    if size > RESPONSE_BUDGET_BYTES:
        _add(
            out,
            "",
            Rule.RESPONSE_TOO_LARGE,
            f"{size} bytes of JSON (UTF-8), budget {RESPONSE_BUDGET_BYTES}",
        )
    attributes = session.get("sessionAttributes")
    if isinstance(attributes, dict):
        size = json_utf8_bytes(attributes)
        if size > SESSION_ATTRIBUTES_BUDGET_BYTES:
            _add(
                out,
                "sessionState.sessionAttributes",
                Rule.SESSION_ATTRIBUTES_TOO_LARGE,
                f"{size} bytes of JSON (UTF-8), budget {SESSION_ATTRIBUTES_BUDGET_BYTES}",
            )


# --------------------------------------------------------------------------- public API


def validate_lex_response(
    response: Any,
    *,
    known_slots: Mapping[str, Collection[str]] | None = None,
    require_messages: bool = True,
) -> list[ContractViolation]:
    """Every way ``response`` breaks the Lex V2 Lambda response contract.

    Parameters:
        response: what the Lambda returns (a ``dict`` as it would be serialised to JSON).
        known_slots: the bot's slot names by intent name; when given and the intent is in it,
            ``slotToElicit`` must be one of that intent's slots (intents missing from the
            mapping, e.g. built-in ones, are not checked).
        require_messages: also require messages for ``Close`` and ``ElicitSlot`` (Lex needs
            them only for ``ElicitIntent`` and ``ConfirmIntent``; this bot always speaks).
    Returns:
        The violations, structural ones first; an empty list means the response is valid.
    Example:
        >>> bad = {"sessionState": {"dialogAction": {"type": "Close"}}, "extra": 1}
        >>> sorted(str(v.code) for v in validate_lex_response(bad))
        ['intent-required', 'messages-required', 'unknown-member']
    """
    out: list[ContractViolation] = []
    _check_structure(response, contract_model(), out)
    if isinstance(response, dict):
        _check_semantics(response, known_slots, require_messages, out)
    return out


def assert_lex_response(
    response: Any,
    *,
    known_slots: Mapping[str, Collection[str]] | None = None,
    require_messages: bool = True,
) -> None:
    """Raise ``AssertionError`` listing every violation if ``response`` breaks the contract.

    Parameters are those of :func:`validate_lex_response`.
    Example:
        >>> assert_lex_response({"sessionState": {"dialogAction": {"type": "Delegate"}}})
        Traceback (most recent call last):
        ...
        AssertionError: Lex response breaks 1 contract rule:
          - sessionState.intent: [intent-required] Delegate needs sessionState.intent with a name
    """
    violations = validate_lex_response(
        response, known_slots=known_slots, require_messages=require_messages
    )
    if violations:
        lines = "\n".join(f"  - {violation}" for violation in violations)
        noun = "rule" if len(violations) == 1 else "rules"
        raise AssertionError(f"Lex response breaks {len(violations)} contract {noun}:\n{lines}")
