"""Generate the Lex part of ``deploy/template.yaml`` from the bot definition and slot values.

Inputs: ``lex_bot/lesson_app/bot_definition.yaml`` (bot, locales, slot types, intents), the
generated ``lex_bot/lesson_app/slot_values.json`` (``{locale: {slot_type: [{"value",
"synonyms"}]}}``: each locale's slot types get that locale's values) and the message
catalogues (slot prompts are catalogue keys). Output: the ``AWS::Lex::Bot``,
``AWS::Lex::BotVersion``, ``AWS::Lex::BotAlias`` and the two ``AWS::Lambda::Permission``
resources, written between the ``BEGIN GENERATED`` / ``END GENERATED`` marker comments of the
template (the hand-written rest keeps its comments).

* ``python -m deploy.lex_template`` rewrites the block (``make template``);
  ``--check`` exits 1 when the committed template is stale.
* The bot version resource is named after a hash of everything a Lex bot version snapshots
  (``LessonBotVersion<hash>``): the locales (intents, utterances, prompts, slot values), the
  bot's name, description and role, its data privacy (``ChildDirected``) and its idle session
  TTL. CloudFormation only publishes a new Lex version when that resource is new, so any such
  change gets its own version and the alias moves to it. ``ChildDirected`` is a stack
  parameter, so there are two version resources, one per value, each under a condition
  (``IsChildDirected``/``IsNotChildDirected``); the idle session TTL comes from the bot
  definition (``bot.idle_session_ttl_seconds``). Old versions are retained for rollbacks.
* Lex calls the function's ``live`` alias (``AutoPublishAlias``, moved by CodeDeploy's
  canary), never ``$LATEST``.
* Lex quotas are enforced here: at most 10,000 values per slot type (the first 10,000 in
  the generated order are kept, deterministically, with a warning), values and synonyms of at
  most 140 characters, utterances of at most 200.

Example
-------
>>> slot_type_values([{"value": "Loops", "synonyms": ["loops", "for loops"]}])
[{'SampleValue': {'Value': 'Loops'}, 'Synonyms': [{'Value': 'for loops'}]}]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "deploy" / "template.yaml"
DEFINITION_PATH = REPO_ROOT / "lex_bot" / "lesson_app" / "bot_definition.yaml"
SLOT_VALUES_PATH = REPO_ROOT / "lex_bot" / "lesson_app" / "slot_values.json"

BEGIN_MARKER = "  # --- BEGIN GENERATED: Lex bot (make template; do not edit by hand) ---"
END_MARKER = "  # --- END GENERATED: Lex bot ---"

#: Logical ids the hand-written part of the template relies on.
BOT = "LessonBot"
BOT_VERSION_PREFIX = "LessonBotVersion"
BOT_ALIAS = "LessonBotAlias"
ALIAS_PERMISSION = "LessonBotAliasInvokePermission"
TEST_ALIAS_PERMISSION = "LessonBotTestAliasInvokePermission"
FUNCTION = "LessonFunction"
#: The Lambda alias SAM creates for ``AutoPublishAlias: live`` (``Ref`` gives its ARN).
FUNCTION_ALIAS = "LessonFunctionAliaslive"
#: Conditions of the hand-written template on the ChildDirected parameter.
CHILD_DIRECTED_CONDITIONS = {True: "IsChildDirected", False: "IsNotChildDirected"}
LEX_ROLE = "LexRuntimeRole"
ALIAS_NAME = "live"
#: The alias Lex's console test window uses for the DRAFT version (fixed by Lex).
TEST_BOT_ALIAS_ID = "TSTALIASID"
CODE_HOOK_INTERFACE_VERSION = "1.0"

#: Lex V2 quotas.
MAX_SLOT_TYPE_VALUES = 10_000
MAX_VALUE_CHARS = 140
MAX_UTTERANCE_CHARS = 200
MAX_PROMPT_CHARS = 1000
#: CloudFormation accepts templates of at most 1 MB from S3 (``sam deploy`` uploads it).
MAX_TEMPLATE_BYTES = 1_000_000
PROMPT_MAX_RETRIES = 2

_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")

MessageLookup = Callable[[str, str], str]


class BotTemplateError(ValueError):
    """The bot definition or slot values cannot be turned into a valid Lex bot."""


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _get_att(resource: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [resource, attribute]}


def catalogue_message(locale: str, key: str) -> str:
    """Return the text of message ``key`` in ``locale`` from ``lex_bot/messages``."""
    from lex_bot.lesson_app.messages import messages_for

    return messages_for(locale)(key)


def slot_type_values(values: Sequence[Mapping[str, Any]], *, name: str = "") -> list[dict]:
    """Turn generated slot values into Lex ``SlotTypeValues`` within Lex's quotas.

    Synonyms equal to the value (ignoring case) and repeats are dropped; values or synonyms
    longer than 140 characters are dropped; only the first 10,000 values are kept.

    Example
    -------
    >>> slot_type_values([{"value": "Recursion", "synonyms": []}])
    [{'SampleValue': {'Value': 'Recursion'}}]
    """
    out: list[dict] = []
    seen: set[str] = set()
    for item in values:
        value = str(item["value"]).strip()
        if not value or value.casefold() in seen:
            continue
        if len(value) > MAX_VALUE_CHARS:
            print(f"warning: slot type {name}: value too long, dropped: {value!r}", file=sys.stderr)
            continue
        seen.add(value.casefold())
        synonyms: list[dict[str, str]] = []
        taken = {value.casefold()}
        for synonym in item.get("synonyms") or []:
            text = str(synonym).strip()
            if text and len(text) <= MAX_VALUE_CHARS and text.casefold() not in taken:
                taken.add(text.casefold())
                synonyms.append({"Value": text})
        entry: dict[str, Any] = {"SampleValue": {"Value": value}}
        if synonyms:
            entry["Synonyms"] = synonyms
        out.append(entry)
    if len(out) > MAX_SLOT_TYPE_VALUES:
        print(
            f"warning: slot type {name}: {len(out)} values, keeping the first "
            f"{MAX_SLOT_TYPE_VALUES} (Lex quota)",
            file=sys.stderr,
        )
        out = out[:MAX_SLOT_TYPE_VALUES]
    return out


def _slot_types(definition: Mapping[str, Any], slot_values: Mapping[str, Any]) -> list[dict]:
    """The ``SlotTypes`` of one locale (custom types only; built-ins are referenced by name)."""
    slot_types = []
    for name, spec in (definition.get("slot_types") or {}).items():
        values = slot_values.get(name)
        if not values:
            raise BotTemplateError(
                f"slot type {name}: no values in slot_values.json "
                "(run `python -m lex_bot slot-values`)"
            )
        resolution = str(spec.get("resolution", "original_value")).upper()
        if resolution not in ("ORIGINAL_VALUE", "TOP_RESOLUTION"):
            raise BotTemplateError(f"slot type {name}: unknown resolution {resolution}")
        slot_type: dict[str, Any] = {"Name": name}
        if spec.get("description"):
            slot_type["Description"] = str(spec["description"])
        slot_type["ValueSelectionSetting"] = {"ResolutionStrategy": resolution}
        slot_type["SlotTypeValues"] = slot_type_values(values, name=name)
        slot_types.append(slot_type)
    return slot_types


def _prompt(
    locale: str, key: str, messages: MessageLookup, dtmf: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A slot ``PromptSpecification`` with the catalogue text of ``key``; every attempt
    accepts speech and key presses (the bot definition's ``dtmf`` settings)."""
    text = messages(locale, key).strip()
    if not text or len(text) > MAX_PROMPT_CHARS:
        raise BotTemplateError(f"{locale}: prompt {key} must have 1-{MAX_PROMPT_CHARS} characters")
    spec: dict[str, Any] = {
        "MessageGroupsList": [{"Message": {"PlainTextMessage": {"Value": text}}}],
        "MaxRetries": PROMPT_MAX_RETRIES,
        "AllowInterrupt": True,
    }
    if dtmf is not None:
        attempt = {
            "AllowInterrupt": True,
            "AllowedInputTypes": {"AllowAudioInput": True, "AllowDTMFInput": True},
            "AudioAndDTMFInputSpecification": {
                "StartTimeoutMs": int(dtmf.get("start_timeout_ms", 5000)),
                "DTMFSpecification": {
                    "MaxLength": int(dtmf.get("max_length", 3)),
                    "EndCharacter": str(dtmf.get("end_character", "#")),
                    "DeletionCharacter": str(dtmf.get("deletion_character", "*")),
                    "EndTimeoutMs": int(dtmf.get("end_timeout_ms", 3000)),
                },
            },
        }
        names = ["Initial"] + [f"Retry{n}" for n in range(1, PROMPT_MAX_RETRIES + 1)]
        # A fresh copy per attempt: shared objects would become YAML aliases in the template.
        spec["PromptAttemptsSpecification"] = {name: copy.deepcopy(attempt) for name in names}
    return spec


def _utterances(name: str, locale: str, spec: Mapping[str, Any], slots: set[str]) -> list[dict]:
    """The ``SampleUtterances`` of one intent in one locale, checked against its slots."""
    utterances = (spec.get("utterances") or {}).get(locale) or []
    if not utterances and not spec.get("parent"):
        raise BotTemplateError(f"intent {name}: no utterances for {locale}")
    out = []
    for utterance in utterances:
        text = str(utterance).strip()
        unknown = set(_PLACEHOLDER.findall(text)) - slots
        if unknown:
            raise BotTemplateError(f"intent {name} ({locale}): unknown slot(s) {sorted(unknown)}")
        if not text or len(text) > MAX_UTTERANCE_CHARS:
            raise BotTemplateError(f"intent {name} ({locale}): utterance length: {text!r}")
        out.append({"Utterance": text})
    return out


def _intent(
    name: str,
    spec: Mapping[str, Any],
    locale: str,
    messages: MessageLookup,
    dtmf: Mapping[str, Any] | None = None,
) -> dict:
    """One intent of one locale."""
    intent: dict[str, Any] = {"Name": name}
    if spec.get("description"):
        intent["Description"] = str(spec["description"])
    if spec.get("parent"):
        intent["ParentIntentSignature"] = str(spec["parent"])
    slot_specs = spec.get("slots") or []
    utterances = _utterances(name, locale, spec, {str(s["name"]) for s in slot_specs})
    if utterances:
        intent["SampleUtterances"] = utterances
    if spec.get("dialog_code_hook"):
        intent["DialogCodeHook"] = {"Enabled": True}
    intent["FulfillmentCodeHook"] = {"Enabled": bool(spec.get("fulfillment_code_hook"))}
    if slot_specs:
        intent["Slots"] = [
            {
                "Name": str(slot["name"]),
                "SlotTypeName": str(slot["type"]),
                "ValueElicitationSetting": _value_elicitation(slot, locale, messages, dtmf),
                **(
                    {"MultipleValuesSetting": {"AllowMultipleValues": True}}
                    if slot.get("multiple_values")
                    else {}
                ),
            }
            for slot in slot_specs
        ]
        intent["SlotPriorities"] = [
            {"Priority": index, "SlotName": str(slot["name"])}
            for index, slot in enumerate(slot_specs, start=1)
        ]
    return intent


def _value_elicitation(
    slot: Mapping[str, Any],
    locale: str,
    messages: MessageLookup,
    dtmf: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A slot's ``ValueElicitationSetting``; with ``elicitation_code_hook`` Lex calls the
    dialog code hook after each answer, also one it could not take (``SlotCaptureSetting``)."""
    setting: dict[str, Any] = {
        "SlotConstraint": "Required" if slot.get("required") else "Optional",
        "PromptSpecification": _prompt(locale, str(slot["prompt"]), messages, dtmf),
    }
    if slot.get("elicitation_code_hook"):
        setting["SlotCaptureSetting"] = {
            "ElicitationCodeHook": {"EnableCodeHookInvocation": True},
            "CaptureNextStep": {"DialogAction": {"Type": "InvokeDialogCodeHook"}},
            "FailureNextStep": {"DialogAction": {"Type": "InvokeDialogCodeHook"}},
        }
    return setting


def bot_locales(
    definition: Mapping[str, Any],
    slot_values: Mapping[str, Any],
    messages: MessageLookup = catalogue_message,
) -> list[dict]:
    """Return the ``BotLocales`` of the bot: every intent and slot type in every locale.

    Example
    -------
    >>> definition = {"bot": {"locales": {"en_US": {"voice_id": "Joanna"}}},
    ...               "intents": {"FallbackIntent": {"parent": "AMAZON.FallbackIntent",
    ...                                              "fulfillment_code_hook": True}}}
    >>> [i["Name"] for i in bot_locales(definition, {})[0]["Intents"]]
    ['FallbackIntent']
    """
    intents = definition.get("intents") or {}
    if "FallbackIntent" not in intents:
        raise BotTemplateError("the bot definition needs a FallbackIntent (Lex requires one)")
    locales = []
    for locale, spec in (definition["bot"].get("locales") or {}).items():
        spec = spec or {}
        entry: dict[str, Any] = {"LocaleId": locale}
        if spec.get("description"):
            entry["Description"] = str(spec["description"])
        entry["NluConfidenceThreshold"] = float(spec.get("nlu_confidence_threshold", 0.4))
        voice: dict[str, Any] = {"VoiceId": str(spec.get("voice_id", "Joanna"))}
        if spec.get("voice_engine"):
            voice["Engine"] = str(spec["voice_engine"])
        entry["VoiceSettings"] = voice
        slot_types = _slot_types(definition, slot_values.get(locale) or {})
        if slot_types:
            entry["SlotTypes"] = slot_types
        entry["Intents"] = [
            _intent(name, intent_spec or {}, locale, messages, definition["bot"].get("dtmf"))
            for name, intent_spec in intents.items()
        ]
        locales.append(entry)
    if not locales:
        raise BotTemplateError("the bot definition has no locales")
    return locales


def content_hash(content: Any) -> str:
    """A short stable hash of the versioned bot content (names the bot version resource)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _alias_locale_settings(locale_ids: Sequence[str]) -> list[dict]:
    """Per-locale alias settings: enabled, calling the function through code hook 1.0."""
    return [
        {
            "LocaleId": locale,
            "BotAliasLocaleSetting": {
                "Enabled": True,
                "CodeHookSpecification": {
                    "LambdaCodeHook": {
                        "LambdaArn": _ref(FUNCTION_ALIAS),
                        "CodeHookInterfaceVersion": CODE_HOOK_INTERFACE_VERSION,
                    }
                },
            },
        }
        for locale in locale_ids
    ]


def _invoke_permission(alias: str) -> dict[str, Any]:
    """A Lambda permission letting Lex call the function through one alias of the bot only.

    ``alias`` is the alias id as a ``Fn::Sub`` fragment (a literal id or ``${Res.Attr}``).
    """
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": _ref(FUNCTION_ALIAS),
            "Principal": "lexv2.amazonaws.com",
            "SourceAccount": _ref("AWS::AccountId"),
            "SourceArn": {
                "Fn::Sub": (
                    "arn:${AWS::Partition}:lex:${AWS::Region}:${AWS::AccountId}:"
                    f"bot-alias/${{{BOT}}}/{alias}"
                )
            },
        },
    }


def bot_resources(
    definition: Mapping[str, Any],
    slot_values: Mapping[str, Any],
    messages: MessageLookup = catalogue_message,
) -> dict[str, Any]:
    """Return the generated CloudFormation resources (logical id -> resource), in order."""
    bot = definition["bot"]
    locales = bot_locales(definition, slot_values, messages)
    locale_ids = [locale["LocaleId"] for locale in locales]
    properties: dict[str, Any] = {
        "Name": {"Fn::Sub": f"${{AWS::StackName}}-{bot['name']}"},
        "Description": str(bot.get("description", "")),
        "RoleArn": _get_att(LEX_ROLE, "Arn"),
        "DataPrivacy": {"ChildDirected": _ref("ChildDirected")},
        "IdleSessionTTLInSeconds": int(bot.get("idle_session_ttl_seconds", 300)),
        "AutoBuildBotLocales": True,
        "TestBotAliasSettings": {
            "Description": "Console test window (DRAFT) - same code hook as the live alias",
            "BotAliasLocaleSettings": _alias_locale_settings(locale_ids),
            "SentimentAnalysisSettings": {"DetectSentiment": False},
        },
        "BotLocales": locales,
    }
    if not properties["Description"]:
        del properties["Description"]
    versions = {child: version_resource(properties, child) for child in (True, False)}
    return {
        BOT: {"Type": "AWS::Lex::Bot", "Properties": properties},
        **dict(versions.values()),
        BOT_ALIAS: {
            "Type": "AWS::Lex::BotAlias",
            "Properties": {
                "BotId": _ref(BOT),
                "BotAliasName": ALIAS_NAME,
                "Description": "What learners talk to; moves to each new bot version",
                "BotVersion": {
                    "Fn::If": [
                        CHILD_DIRECTED_CONDITIONS[True],
                        _get_att(versions[True][0], "BotVersion"),
                        _get_att(versions[False][0], "BotVersion"),
                    ]
                },
                "BotAliasLocaleSettings": _alias_locale_settings(locale_ids),
                "SentimentAnalysisSettings": {"DetectSentiment": False},
            },
        },
        ALIAS_PERMISSION: _invoke_permission(f"${{{BOT_ALIAS}.BotAliasId}}"),
        TEST_ALIAS_PERMISSION: _invoke_permission(TEST_BOT_ALIAS_ID),
    }


def versioned_settings(properties: Mapping[str, Any], child_directed: bool) -> dict[str, Any]:
    """What a Lex bot version snapshots of the bot, with ``ChildDirected`` resolved.

    Everything but the DRAFT-only settings (the console test alias, auto-build).
    """
    snapshot = {
        key: value
        for key, value in properties.items()
        if key not in ("TestBotAliasSettings", "AutoBuildBotLocales")
    }
    snapshot["DataPrivacy"] = {"ChildDirected": child_directed}
    return snapshot


def version_resource(
    properties: Mapping[str, Any], child_directed: bool
) -> tuple[str, dict[str, Any]]:
    """The bot version resource for one value of ``ChildDirected``: (logical id, resource)."""
    digest = content_hash(versioned_settings(properties, child_directed))
    return f"{BOT_VERSION_PREFIX}{digest}", {
        "Type": "AWS::Lex::BotVersion",
        "Condition": CHILD_DIRECTED_CONDITIONS[child_directed],
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BotId": _ref(BOT),
            "Description": f"lessonbot content {digest}",
            "BotVersionLocaleSpecification": [
                {
                    "LocaleId": locale["LocaleId"],
                    "BotVersionLocaleDetails": {"SourceBotVersion": "DRAFT"},
                }
                for locale in properties["BotLocales"]
            ],
        },
    }


def render_block(resources: Mapping[str, Any]) -> str:
    """Render resources as YAML lines indented to sit under ``Resources:``, with markers."""
    body = yaml.safe_dump(
        dict(resources), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    indented = "".join(f"  {line}" if line.strip() else line for line in body.splitlines(True))
    return f"{BEGIN_MARKER}\n{indented}{END_MARKER}\n"


def splice(template_text: str, block: str) -> str:
    """Replace the marked generated block of ``template_text`` with ``block``."""
    start = template_text.find(BEGIN_MARKER)
    end = template_text.find(END_MARKER)
    if start < 0 or end < start:
        raise BotTemplateError("template markers not found (BEGIN/END GENERATED: Lex bot)")
    end = template_text.index("\n", end) + 1
    return template_text[:start] + block + template_text[end:]


def load_definition(path: Path = DEFINITION_PATH) -> dict[str, Any]:
    """Read the bot definition YAML (validated by ``lex_bot.devtools.bot_definition``)."""
    if path == DEFINITION_PATH:
        try:
            from lex_bot.devtools.bot_definition import load_bot_definition
        except ImportError:  # pragma: no cover - the module is always present once merged
            pass
        else:
            load_bot_definition()  # raises on an invalid definition
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "bot" not in data:
        raise BotTemplateError(f"{path}: not a bot definition")
    return data


def load_slot_values(path: Path = SLOT_VALUES_PATH) -> dict[str, Any]:
    """Read the generated slot values (``{locale: {slot_type: [{"value", "synonyms"}]}}``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise BotTemplateError(f"{path}: expected an object of locales, each of slot types")
    return data


def generate_template(
    template_text: str,
    definition: Mapping[str, Any] | None = None,
    slot_values: Mapping[str, Any] | None = None,
) -> str:
    """Return ``template_text`` with its Lex block regenerated from the bot definition."""
    definition = load_definition() if definition is None else definition
    slot_values = load_slot_values() if slot_values is None else slot_values
    text = splice(template_text, render_block(bot_resources(definition, slot_values)))
    size = len(text.encode("utf-8"))
    if size > MAX_TEMPLATE_BYTES:
        raise BotTemplateError(
            f"the template would be {size} bytes, above CloudFormation's {MAX_TEMPLATE_BYTES}"
        )
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m deploy.lex_template [--check] [--template PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m deploy.lex_template", description=__doc__)
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the template is out of date"
    )
    args = parser.parse_args(argv)
    current = args.template.read_text(encoding="utf-8")
    try:
        updated = generate_template(current)
    except (BotTemplateError, OSError, KeyError) as exc:
        print(f"lex_template: {exc}", file=sys.stderr)
        return 1
    if args.check:
        if updated != current:
            print(f"{args.template} is out of date: run `make template`", file=sys.stderr)
            return 1
        print(f"{args.template} is up to date")
        return 0
    if updated != current:
        args.template.write_text(updated, encoding="utf-8")
        print(f"rewrote the Lex bot in {args.template}")
    else:
        print(f"{args.template} already up to date")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
