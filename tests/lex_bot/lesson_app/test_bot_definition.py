"""The bot definition (lex_bot/lesson_app/bot_definition.yaml): valid, in step with handlers."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lex_bot.devtools.bot_definition import (
    DEFINITION_PATH,
    BotDefinition,
    BotDefinitionError,
    lex_text_key,
    load_bot_definition,
)
from lex_bot.devtools.event_factory import lex_event, slot
from lex_bot.lesson_app.messages import load_catalogue, messages_for
from lex_bot.lexv2.router import IntentSpec

MIN_UTTERANCES = 8


@pytest.fixture(scope="module")
def definition() -> BotDefinition:
    return load_bot_definition()


def registered_intents() -> set[str]:
    from lex_bot.lesson_app.app import app

    names = app.intents
    return set(names() if callable(names) else names)


# ----------------------------------------------------------------------------- handlers


@pytest.fixture(scope="module")
def intent_specs() -> dict[str, IntentSpec]:
    """What each handler declared on its router (``@router.intent(name, slots=...)``)."""
    from lex_bot.lesson_app.app import app

    return app.intent_specs


def test_every_intent_has_a_handler_and_every_handler_an_intent(definition) -> None:
    registered = registered_intents()
    assert sorted(set(definition.intents) - registered) == [], "intents without a handler"
    assert sorted(registered - set(definition.intents)) == [], "handlers without an intent"


def test_declared_slots_are_exactly_the_slots_of_the_intent(
    definition: BotDefinition, intent_specs: dict[str, IntentSpec]
) -> None:
    elicitable = definition.elicitable_slots()
    for intent, spec in intent_specs.items():
        assert spec.slots <= elicitable[intent], f"{intent} declares an undefined slot"
        assert elicitable[intent] <= spec.slots, f"{intent}: slots no handler reads"


def test_code_hooks_match_what_the_handlers_declare(
    definition: BotDefinition, intent_specs: dict[str, IntentSpec]
) -> None:
    for intent, spec in intent_specs.items():
        lex = definition.intents[intent]
        assert lex.fulfillment_code_hook, intent
        if spec.dialog_hook:  # Lex brings a "no" or a slot value back only through it
            assert lex.dialog_code_hook, f"{intent} acts in the dialog code hook"
    assert not definition.intents["Greeting"].dialog_code_hook


def _slot_names_in(response: dict[str, Any]) -> set[str]:
    state = response["sessionState"]
    names = set((state.get("intent") or {}).get("slots") or {})
    to_elicit = state["dialogAction"].get("slotToElicit")
    return names | ({to_elicit} if to_elicit else set())


@pytest.mark.parametrize("value", [None, "zzqx unknown lesson", "python"])
def test_handlers_act_only_as_they_declare(
    definition: BotDefinition, intent_specs: dict[str, IntentSpec], value: str | None
) -> None:
    """The declarations are true: a handler that answers the dialog hook (where the bot
    definition enables it) with anything but ``Delegate`` declared ``dialog_hook``, and every
    slot it names is one it declared."""
    from lambda_function import lambda_handler

    for intent, spec in intent_specs.items():
        slots = {
            name: (slot(value) if value is not None else None)
            for name in definition.elicitable_slots()[intent]
        }
        hooks = ["FulfillmentCodeHook"]
        if definition.intents[intent].dialog_code_hook:  # else Lex never calls it there
            hooks.append("DialogCodeHook")
        for source in hooks:
            event = lex_event(intent, slots, source=source, transcript=value or "hi")
            response = lambda_handler(event, None)
            action = response["sessionState"]["dialogAction"]["type"]
            if source == "DialogCodeHook" and action != "Delegate":
                assert spec.dialog_hook, f"{intent} acts in the dialog hook undeclared"
            assert _slot_names_in(response) <= spec.slots | set(slots), intent


def test_the_contract_checker_gets_every_intent(definition: BotDefinition) -> None:
    slots = definition.elicitable_slots()
    assert set(slots) == set(definition.intents)
    assert slots["FallbackIntent"] == set()
    assert slots["BrowseModules"] == {"Module"}


# ----------------------------------------------------------------------------- content


def test_the_bot_speaks_english_and_spanish(definition: BotDefinition) -> None:
    assert definition.locales() == ["en_US", "es_US"]
    assert definition.intents["FallbackIntent"].parent == "AMAZON.FallbackIntent"


@pytest.mark.parametrize("locale", ["en_US", "es_US"])
def test_enough_utterances_per_intent(definition: BotDefinition, locale: str) -> None:
    few = {
        name: len(intent.utterances.get(locale, []))
        for name, intent in definition.intents.items()
        if intent.parent is None and len(intent.utterances.get(locale, [])) < MIN_UTTERANCES
    }
    assert not few


@pytest.mark.parametrize("locale", ["en_US", "es_US"])
def test_slot_intents_can_be_started_with_and_without_naming_the_slot(
    definition: BotDefinition, locale: str
) -> None:
    for name, intent in definition.intents.items():
        for spec in intent.slots:
            utterances = intent.utterances[locale]
            assert any(f"{{{spec.name}}}" in u for u in utterances), (name, spec.name)
        if intent.slots:
            assert any("{" not in u for u in intent.utterances[locale]), name


def test_every_prompt_key_is_in_every_catalogue(definition: BotDefinition) -> None:
    keys = definition.prompt_keys()
    assert keys >= {"prompt.lesson_name", "prompt.goal_lesson", "prompt.module", "prompt.score"}
    for locale in definition.locales():
        catalogue = load_catalogue(locale)
        assert keys <= set(catalogue), locale
        assert all(messages_for(locale)(key).strip() for key in keys)


#: Catalogue button values (what a tap sends as the learner's utterance) -> intent, slot.
BUTTONS = {
    "button.next.value": ("RecommendNextLesson", None),
    "button.modules.value": ("BrowseModules", None),
    "button.help.value": ("Help", None),
    "button.start.value": ("StartLesson", "LessonName"),
    "button.done.value": ("CompleteLesson", "LessonName"),
    "button.module.value": ("BrowseModules", "Module"),
}


@pytest.mark.parametrize("locale", ["en_US", "es_US"])
@pytest.mark.parametrize("key", sorted(BUTTONS))
def test_button_values_are_utterances_of_their_intent(
    definition: BotDefinition, locale: str, key: str
) -> None:
    intent, slot = BUTTONS[key]
    template = load_catalogue(locale)[key]
    sent = template.format(name=f"{{{slot}}}") if slot else template
    utterances = {lex_text_key(u) for u in definition.intents[intent].utterances[locale]}
    assert lex_text_key(sent) in utterances


def test_slot_lookups(definition: BotDefinition) -> None:
    assert definition.slot_type_of("StartLesson", "LessonName") == "LessonTitle"
    assert definition.slot_type_of("SetLearningGoal", "GoalLesson") == "LessonTitle"
    assert definition.slot_type_of("BrowseModules", "Module") == "ModuleName"
    assert definition.slot_type_of("CompleteLesson", "Score") == "AMAZON.Number"
    assert definition.slot_type_of("Help", "LessonName") is None
    assert definition.slot("NoSuchIntent", "LessonName") is None
    lesson = definition.slot("StartLesson", "LessonName")
    assert lesson is not None and lesson.required and lesson.prompt == "prompt.lesson_name"
    score = definition.slot("CompleteLesson", "Score")
    assert score is not None and not score.required


def test_loading_is_cached_per_path(definition: BotDefinition) -> None:
    assert load_bot_definition() is definition
    assert load_bot_definition(DEFINITION_PATH) is definition


def test_the_template_generator_reads_the_definition() -> None:
    from deploy.lex_template import BOT, bot_resources, load_definition, load_slot_values

    resources = bot_resources(load_definition(), load_slot_values())
    locales = resources[BOT]["Properties"]["BotLocales"]
    assert [locale["LocaleId"] for locale in locales] == ["en_US", "es_US"]
    for locale in locales:
        intents = {intent["Name"]: intent for intent in locale["Intents"]}
        assert set(intents) == registered_intents()
        assert intents["StartLesson"]["DialogCodeHook"] == {"Enabled": True}
        assert "DialogCodeHook" not in intents["Help"]
        assert {t["Name"] for t in locale["SlotTypes"]} == {"LessonTitle", "ModuleName"}


# ----------------------------------------------------------------------------- invalid input

SMALL: dict[str, Any] = {
    "bot": {
        "name": "TestBot",
        "locales": {
            "en_US": {"voice_id": "Joanna", "nlu_confidence_threshold": 0.4},
            "es_US": {"voice_id": "Lupe"},
        },
    },
    "slot_types": {"LessonTitle": {"resolution": "original_value"}},
    "intents": {
        "StartLesson": {
            "fulfillment_code_hook": True,
            "slots": [
                {"name": "LessonName", "type": "LessonTitle", "required": True, "prompt": "p"}
            ],
            "utterances": {"en_US": ["start {LessonName}"], "es_US": ["empezar {LessonName}"]},
        },
        "Help": {"utterances": {"en_US": ["help"], "es_US": ["ayuda"]}},
        "FallbackIntent": {"parent": "AMAZON.FallbackIntent", "fulfillment_code_hook": True},
    },
}

Change = Callable[[dict[str, Any]], object]


def _start(d: dict[str, Any]) -> dict[str, Any]:
    return d["intents"]["StartLesson"]


INVALID: list[tuple[str, Change, str]] = [
    (
        "unknown slot in utterance",
        lambda d: _start(d)["utterances"]["en_US"].append("go {Nope}"),
        r"intents.StartLesson: en_US: 'go \{Nope\}' names unknown slot\(s\) \['Nope'\]",
    ),
    (
        "unknown slot type",
        lambda d: _start(d)["slots"][0].update(type="Lesson"),
        "intents.StartLesson.slots.LessonName: unknown slot type 'Lesson'",
    ),
    (
        "no utterances in a locale",
        lambda d: d["intents"]["Help"]["utterances"].pop("es_US"),
        r"intents.Help.utterances: none for locale\(s\) \['es_US'\]",
    ),
    (
        "utterances for a locale the bot lacks",
        lambda d: d["intents"]["Help"]["utterances"].update(fr_FR=["aide"]),
        r"locale\(s\) not in bot: \['fr_FR'\]",
    ),
    (
        "repeated utterance",
        lambda d: d["intents"]["Help"]["utterances"]["en_US"].append("HELP "),
        "intents.Help: en_US: utterance listed twice: 'HELP '",
    ),
    (
        "same utterance in two intents",
        lambda d: _start(d)["utterances"]["en_US"].append("Help"),
        "intents.Help.utterances.en_US: 'help' is also an utterance of StartLesson",
    ),
    (
        "utterance too long",
        lambda d: d["intents"]["Help"]["utterances"]["en_US"].append("x" * 201),
        "utterances need 1-200 characters",
    ),
    (
        "no fallback intent",
        lambda d: d["intents"].pop("FallbackIntent"),
        "a FallbackIntent is required",
    ),
    (
        "fallback with utterances",
        lambda d: d["intents"]["FallbackIntent"].update(utterances={"en_US": ["huh"]}),
        "intents.FallbackIntent: an intent with parent AMAZON.FallbackIntent cannot have",
    ),
    (
        "misspelt field",
        lambda d: d["intents"]["Help"].update(utterance={"en_US": ["help"]}),
        "intents.Help.utterance: Extra inputs are not permitted",
    ),
    (
        "slot without prompt",
        lambda d: _start(d)["slots"][0].pop("prompt"),
        "intents.StartLesson.slots.0.prompt: Field required",
    ),
    (
        "unknown resolution",
        lambda d: d["slot_types"]["LessonTitle"].update(resolution="closest"),
        "slot_types.LessonTitle.resolution: Input should be 'original_value' or",
    ),
    (
        "bad locale id",
        lambda d: d["bot"]["locales"].update(english={"voice_id": "Joanna"}),
        "locale ids must look like en_US",
    ),
    (
        "slot defined twice",
        lambda d: _start(d)["slots"].append(copy.deepcopy(_start(d)["slots"][0])),
        r"slot\(s\) defined twice: \['LessonName'\]",
    ),
]


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "bot.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_small_definition_is_valid(tmp_path: Path) -> None:
    loaded = load_bot_definition(_write(tmp_path, SMALL))
    assert loaded.elicitable_slots() == {
        "StartLesson": {"LessonName"},
        "Help": set(),
        "FallbackIntent": set(),
    }
    assert loaded.bot.idle_session_ttl_seconds == 600  # the default


@pytest.mark.parametrize(
    ("change", "message"), [(c, m) for _, c, m in INVALID], ids=[i for i, _, _ in INVALID]
)
def test_invalid_definitions_are_refused_naming_file_and_field(
    tmp_path: Path, change: Change, message: str
) -> None:
    data = copy.deepcopy(SMALL)
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(BotDefinitionError, match=message) as caught:
        load_bot_definition(path)
    assert str(path.resolve()) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bot: [unclosed\n", "not valid YAML"),
        ("intents: {}\nintents: {}\n", "duplicate key 'intents'"),
        ("- a list\n", "expected a mapping"),
        ("a: !!python/object/apply:os.system [echo hi]\n", "not valid YAML"),
    ],
)
def test_unreadable_definitions_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BotDefinitionError, match=message):
        load_bot_definition(path)


def test_a_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(BotDefinitionError, match="cannot read"):
        load_bot_definition(tmp_path / "missing.yaml")
