"""The Lex bot definition (``lex_bot/lesson_app/bot_definition.yaml``) as validated data.

One file says which intents the bot has, their sample utterances in every locale, their slots
and slot types and which code hooks Lex calls. ``deploy/lex_template.py`` turns it into the
Lex part of the CloudFormation template; the tests hold it against the registered handlers
(every intent has a handler and the other way round, every slot a handler elicits exists).

Checks beyond the field types:

* every ``{Slot}`` in an utterance is a slot of that intent;
* every slot type is defined under ``slot_types`` or is a built-in (``AMAZON.*``);
* utterances have 1-200 characters and are unique within a locale (ignoring case);
* every intent without a ``parent`` has utterances in every bot locale, and only there;
  intents with a ``parent`` (``AMAZON.FallbackIntent``) have none;
* a ``FallbackIntent`` exists (Lex requires one).

Example:
    >>> definition = load_bot_definition()
    >>> definition.slot_type_of("StartLesson", "LessonName")
    'LessonTitle'
    >>> sorted(definition.elicitable_slots()["CompleteLesson"])
    ['LessonName', 'Score']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFINITION_PATH = Path(__file__).resolve().parent.parent / "lesson_app" / "bot_definition.yaml"

#: Lex V2 quotas and naming rules.
MAX_UTTERANCE_CHARS = 200
BUILT_IN_PREFIX = "AMAZON."
FALLBACK_INTENT = "FallbackIntent"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"
LOCALE_PATTERN = r"^[a-z]{2}_[A-Z]{2}$"

_SLOT_REFERENCE = re.compile(r"\{([^{}]*)\}")


class BotDefinitionError(ValueError):
    """The bot definition file is missing, not YAML, or not a valid bot definition."""


class SlotResolution(StrEnum):
    """How Lex fills a custom slot: with what was said, or with the closest listed value."""

    ORIGINAL_VALUE = "original_value"
    TOP_RESOLUTION = "top_resolution"


class VoiceEngine(StrEnum):
    """Amazon Polly engines a Lex locale can speak with."""

    STANDARD = "standard"
    NEURAL = "neural"
    LONG_FORM = "long-form"
    GENERATIVE = "generative"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlotDefinition(_Model):
    """A slot of an intent; ``prompt`` is the message-catalogue key Lex asks for it with.

    ``elicitation_code_hook``: Lex calls the dialog code hook after every answer to the
    slot's question, also one it could not take as a value (the slot then empty, the answer
    in ``inputTranscript``), so the bot can hear "skip" for a number slot and count retries
    itself (``SlotCaptureSetting.ElicitationCodeHook`` in the template).
    ``multiple_values``: a List slot ("A, B and C"; ``MultipleValuesSetting``), which Lex V2
    allows for custom slot types.
    """

    name: str = Field(pattern=NAME_PATTERN)
    type: str = Field(min_length=1, max_length=100)
    required: bool = False
    prompt: str = Field(min_length=1)
    elicitation_code_hook: bool = False
    multiple_values: bool = False


class SlotTypeDefinition(_Model):
    """A custom slot type; its values come from ``lex_bot/lesson_app/slot_values.json``."""

    description: str = ""
    resolution: SlotResolution = SlotResolution.ORIGINAL_VALUE


class IntentDefinition(_Model):
    """An intent: its utterances per locale, its slots and which code hooks Lex calls."""

    description: str = ""
    parent: str | None = None
    dialog_code_hook: bool = False
    fulfillment_code_hook: bool = False
    utterances: dict[str, list[str]] = Field(default_factory=dict)
    slots: list[SlotDefinition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_slots_and_utterances(self) -> IntentDefinition:
        names = [slot.name for slot in self.slots]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"slot(s) defined twice: {duplicates}")
        if self.parent is not None and any(self.utterances.values()):
            raise ValueError(f"an intent with parent {self.parent} cannot have utterances")
        for locale, utterances in self.utterances.items():
            seen: set[str] = set()
            for utterance in utterances:
                _check_utterance(locale, utterance, set(names))
                key = lex_text_key(utterance)
                if key in seen:
                    raise ValueError(f"{locale}: utterance listed twice: {utterance!r}")
                seen.add(key)
        return self

    def slot(self, name: str) -> SlotDefinition | None:
        """The slot called ``name``, or ``None``."""
        return next((slot for slot in self.slots if slot.name == name), None)


class LocaleDefinition(_Model):
    """A bot locale (a Lex locale id such as ``en_US``): voice and NLU settings."""

    description: str = ""
    voice_id: str = Field(min_length=1)
    voice_engine: VoiceEngine | None = None
    nlu_confidence_threshold: float = Field(default=0.4, ge=0.0, le=1.0)


class DtmfSettings(_Model):
    """How Lex reads key presses at every slot question (``DTMFSpecification``)."""

    max_length: int = Field(default=3, ge=1, le=1024)
    end_character: str = Field(default="#", pattern=r"^[A-D0-9#*]$")
    deletion_character: str = Field(default="*", pattern=r"^[A-D0-9#*]$")
    end_timeout_ms: int = Field(default=3000, ge=1)
    start_timeout_ms: int = Field(default=5000, ge=1)


class BotInfo(_Model):
    """The bot itself: name, description, session time-out, key presses and locales."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    idle_session_ttl_seconds: int = Field(default=600, ge=60, le=86_400)
    dtmf: DtmfSettings = Field(default_factory=DtmfSettings)
    locales: dict[str, LocaleDefinition] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_locale_ids(self) -> BotInfo:
        bad = sorted(locale for locale in self.locales if not re.match(LOCALE_PATTERN, locale))
        if bad:
            raise ValueError(f"locale ids must look like en_US: {bad}")
        return self


class BotDefinition(_Model):
    """The whole bot: :class:`BotInfo`, custom slot types and intents (by name)."""

    bot: BotInfo
    slot_types: dict[str, SlotTypeDefinition] = Field(default_factory=dict)
    intents: dict[str, IntentDefinition] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_bot(self) -> BotDefinition:
        if FALLBACK_INTENT not in self.intents:
            raise ValueError(f"intents: a {FALLBACK_INTENT} is required (Lex needs one)")
        for name in [*self.slot_types, *self.intents]:
            if not re.match(NAME_PATTERN, name):
                raise ValueError(f"{name!r}: names are letters, digits and _ (letter first)")
            if name.startswith(BUILT_IN_PREFIX.rstrip(".")):
                raise ValueError(f"{name!r}: custom names cannot start with AMAZON")
        locales = set(self.bot.locales)
        seen: dict[tuple[str, str], str] = {}
        for name, intent in self.intents.items():
            for slot in intent.slots:
                known = slot.type in self.slot_types or slot.type.startswith(BUILT_IN_PREFIX)
                if not known:
                    raise ValueError(
                        f"intents.{name}.slots.{slot.name}: unknown slot type {slot.type!r} "
                        f"(define it under slot_types or use a built-in AMAZON.* type)"
                    )
            unknown = sorted(set(intent.utterances) - locales)
            if unknown:
                raise ValueError(f"intents.{name}.utterances: locale(s) not in bot: {unknown}")
            if intent.parent is None:
                missing = sorted(loc for loc in locales if not intent.utterances.get(loc))
                if missing:
                    raise ValueError(f"intents.{name}.utterances: none for locale(s) {missing}")
            for locale, utterances in intent.utterances.items():
                for utterance in utterances:
                    other = seen.setdefault((locale, lex_text_key(utterance)), name)
                    if other != name:
                        raise ValueError(
                            f"intents.{name}.utterances.{locale}: {utterance!r} is also an "
                            f"utterance of {other}"
                        )
        return self

    def locales(self) -> list[str]:
        """The bot's locale ids, in definition order (e.g. ``['en_US', 'es_US']``)."""
        return list(self.bot.locales)

    def slot(self, intent: str, name: str) -> SlotDefinition | None:
        """The slot ``name`` of ``intent``, or ``None`` when either does not exist."""
        spec = self.intents.get(intent)
        return None if spec is None else spec.slot(name)

    def slot_type_of(self, intent: str, slot: str) -> str | None:
        """The slot type name of ``slot`` in ``intent`` (``None`` when there is no such slot).

        Example:
            >>> load_bot_definition().slot_type_of("CompleteLesson", "Score")
            'AMAZON.Number'
        """
        found = self.slot(intent, slot)
        return None if found is None else found.type

    def elicitable_slots(self) -> dict[str, set[str]]:
        """Slot names by intent name: what a handler may ask Lex to elicit.

        Every intent is present (with an empty set when it has no slots), so a check can tell
        "this intent has no such slot" from "unknown intent".
        """
        return {name: {slot.name for slot in intent.slots} for name, intent in self.intents.items()}

    def prompt_keys(self) -> set[str]:
        """Every message-catalogue key the slots prompt with."""
        return {slot.prompt for intent in self.intents.values() for slot in intent.slots}


def lex_text_key(text: str) -> str:
    """How Lex compares utterances and slot values: ignoring case and repeated spaces.

    Example:
        >>> lex_text_key("  Start   {LessonName} ")
        'start {lessonname}'
    """
    return " ".join(text.casefold().split())


def _check_utterance(locale: str, utterance: str, slots: set[str]) -> None:
    """Raise ValueError when ``utterance`` breaks a Lex rule or names an unknown slot."""
    text = utterance.strip()
    if not text or len(text) > MAX_UTTERANCE_CHARS:
        raise ValueError(
            f"{locale}: utterances need 1-{MAX_UTTERANCE_CHARS} characters: {utterance!r}"
        )
    if text.count("{") != text.count("}"):
        raise ValueError(f"{locale}: unbalanced braces in {utterance!r}")
    unknown = sorted(set(_SLOT_REFERENCE.findall(text)) - slots)
    if unknown:
        raise ValueError(f"{locale}: {utterance!r} names unknown slot(s) {unknown}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key written twice in one mapping."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        keys.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def _format_errors(source: str, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"  {where}: {message}")
    return f"{source}: invalid bot definition:\n" + "\n".join(lines)


def parse_bot_definition(
    data: Mapping[str, Any], source: str = "<bot definition>"
) -> BotDefinition:
    """Validate already-parsed definition data.

    Parameters:
        data: the YAML document as Python data.
        source: names the data in error messages (usually the file path).
    Returns:
        The validated :class:`BotDefinition`.
    Raises:
        BotDefinitionError: naming ``source`` and the offending field.

    Example:
        >>> parse_bot_definition({"bot": {}}, "x.yaml")
        Traceback (most recent call last):
        ...
        lex_bot.devtools.bot_definition.BotDefinitionError: x.yaml: invalid bot definition:
          bot.name: Field required
          bot.locales: Field required
          intents: Field required
    """
    if not isinstance(data, Mapping):
        raise BotDefinitionError(f"{source}: expected a mapping with bot, slot_types, intents")
    try:
        return BotDefinition.model_validate(dict(data))
    except ValidationError as exc:
        raise BotDefinitionError(_format_errors(source, exc)) from None


@lru_cache(maxsize=16)
def _load(path: Path) -> BotDefinition:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BotDefinitionError(f"{path}: cannot read the bot definition: {exc}") from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise BotDefinitionError(f"{path}: not valid YAML: {exc}") from exc
    return parse_bot_definition(data, str(path))


def load_bot_definition(path: Path | None = None) -> BotDefinition:
    """Read and validate the bot definition (cached per path; the result is read-only).

    Parameters:
        path: the YAML file; defaults to :data:`DEFINITION_PATH`.
    Returns:
        The validated :class:`BotDefinition`.
    Raises:
        BotDefinitionError: the file is unreadable, not YAML, or not a valid definition; the
            message names the file and the field.

    Example:
        >>> load_bot_definition().locales()
        ['en_US', 'es_US']
    """
    return _load(Path(path or DEFINITION_PATH).resolve())


def clear_cache() -> None:
    """Forget cached definitions (after editing a definition file in the same process)."""
    _load.cache_clear()
