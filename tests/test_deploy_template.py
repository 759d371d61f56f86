"""The SAM template (deploy/template.yaml) and its generated Lex part (deploy/lex_template.py)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy import lex_template
from deploy.cfn_yaml import load_template, load_template_text
from deploy.lex_template import (
    ALIAS_PERMISSION,
    BOT,
    BOT_ALIAS,
    BOT_VERSION_PREFIX,
    MAX_SLOT_TYPE_VALUES,
    BotTemplateError,
    bot_resources,
    content_hash,
    generate_template,
    load_definition,
    load_slot_values,
    slot_type_values,
    splice,
)
from deploy.package import DEFAULT_ARCHITECTURE, DEFAULT_PYTHON_VERSION

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = ROOT / "deploy" / "template.yaml"

#: EC2 network-interface actions Lambda needs for VPC access; they support no resource ARNs.
ENI_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
#: The documented exceptions allowed ``Resource: "*"`` (see docs/DEPLOY.md, IAM).
WILDCARD_RESOURCE_EXCEPTIONS = [ENI_ACTIONS, {"polly:SynthesizeSpeech"}]


@pytest.fixture(scope="module")
def text() -> str:
    return TEMPLATE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE_PATH)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return load_definition()


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy statement of every IAM role and EFS file system policy."""
    for name, resource in resources.items():
        props = resource.get("Properties", {})
        documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        documents += [props["FileSystemPolicy"]] if "FileSystemPolicy" in props else []
        documents += [props["PolicyDocument"]] if "PolicyDocument" in props else []
        for document in documents:
            for statement in document["Statement"]:
                if "Fn::If" in statement:  # conditional statement: check the real branch
                    statement = statement["Fn::If"][1]
                yield name, statement


def function_statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for name, s in statements(resources) if name == "FunctionRole"]


# ----------------------------------------------------------------------------- whole template


@pytest.fixture(scope="module")
def lint_matches(text: str) -> list[Any]:
    """cfn-lint's findings on the template (linted once: it takes a couple of seconds)."""
    from cfnlint.api import lint

    return list(lint(text, regions=["us-east-1", "eu-west-1"]))


def test_cfn_lint_passes(lint_matches: list[Any]) -> None:
    assert not lint_matches, "\n".join(str(m) for m in lint_matches)


def test_committed_template_matches_the_bot_definition(text: str) -> None:
    assert generate_template(text) == text, "deploy/template.yaml is stale: run `make template`"


def test_cfn_yaml_loader_is_safe() -> None:
    with pytest.raises(Exception, match="python/object"):
        load_template_text("a: !!python/object/apply:os.system [echo hi]\n")


# ----------------------------------------------------------------------------- Lex bot


def test_every_intent_is_in_every_locale(resources: dict[str, Any], definition) -> None:
    bot = resources[BOT]["Properties"]
    locales = {locale["LocaleId"]: locale for locale in bot["BotLocales"]}
    assert set(locales) == set(definition["bot"]["locales"])
    for locale in locales.values():
        assert {intent["Name"] for intent in locale["Intents"]} == set(definition["intents"])
        fallback = next(i for i in locale["Intents"] if i["Name"] == "FallbackIntent")
        assert fallback["ParentIntentSignature"] == "AMAZON.FallbackIntent"


def test_utterances_keep_slot_placeholders_of_their_intent(resources: dict[str, Any]) -> None:
    for locale in resources[BOT]["Properties"]["BotLocales"]:
        for intent in locale["Intents"]:
            slots = {slot["Name"] for slot in intent.get("Slots", [])}
            if "ParentIntentSignature" not in intent:
                assert intent["SampleUtterances"], intent["Name"]
            for utterance in intent.get("SampleUtterances", []):
                assert set(re.findall(r"\{(\w+)\}", utterance["Utterance"])) <= slots


def test_slot_types_resolve_to_original_values_from_slot_values_json(
    resources: dict[str, Any], definition
) -> None:
    slot_values = load_slot_values()
    for locale in resources[BOT]["Properties"]["BotLocales"]:
        slot_types = {t["Name"]: t for t in locale["SlotTypes"]}
        assert set(slot_types) == set(definition["slot_types"])
        for name, slot_type in slot_types.items():
            assert slot_type["ValueSelectionSetting"] == {"ResolutionStrategy": "ORIGINAL_VALUE"}
            assert slot_type["SlotTypeValues"] == slot_type_values(slot_values[name])
            assert 0 < len(slot_type["SlotTypeValues"]) <= MAX_SLOT_TYPE_VALUES
            # every generated lesson name survives (the sample course is far below the quota)
            values = {v["SampleValue"]["Value"] for v in slot_type["SlotTypeValues"]}
            assert values == {str(v["value"]).strip() for v in slot_values[name]}


def test_slots_prompt_with_catalogue_text(resources: dict[str, Any], definition) -> None:
    from lex_bot.lesson_app.messages import messages_for

    for locale in resources[BOT]["Properties"]["BotLocales"]:
        messages = messages_for(locale["LocaleId"])
        for intent in locale["Intents"]:
            specs = {s["name"]: s for s in definition["intents"][intent["Name"]].get("slots", [])}
            for slot in intent.get("Slots", []):
                spec = specs[slot["Name"]]
                setting = slot["ValueElicitationSetting"]
                assert slot["SlotTypeName"] == spec["type"]
                expected = "Required" if spec.get("required") else "Optional"
                assert setting["SlotConstraint"] == expected
                prompt = setting["PromptSpecification"]
                text = prompt["MessageGroupsList"][0]["Message"]["PlainTextMessage"]["Value"]
                assert text == messages(spec["prompt"])
                assert prompt["MaxRetries"] == 2
            priorities = [p["SlotName"] for p in intent.get("SlotPriorities", [])]
            assert priorities == [s["Name"] for s in intent.get("Slots", [])]


def test_bot_privacy_session_and_build_settings(template: dict[str, Any], definition) -> None:
    bot = template["Resources"][BOT]["Properties"]
    parameters = template["Parameters"]
    assert bot["DataPrivacy"] == {"ChildDirected": {"Ref": "ChildDirected"}}
    assert parameters["ChildDirected"]["Default"] == "true"  # learners may be children
    assert bot["IdleSessionTTLInSeconds"] == {"Ref": "IdleSessionTTL"}
    assert parameters["IdleSessionTTL"]["Default"] == definition["bot"]["idle_session_ttl_seconds"]
    assert bot["AutoBuildBotLocales"] is True
    assert bot["RoleArn"] == {"Fn::GetAtt": ["LexRuntimeRole", "Arn"]}
    for locale in bot["BotLocales"]:
        spec = definition["bot"]["locales"][locale["LocaleId"]]
        assert locale["NluConfidenceThreshold"] == spec["nlu_confidence_threshold"]
        assert locale["VoiceSettings"]["VoiceId"] == spec["voice_id"]


def test_alias_serves_the_content_version_through_the_function(
    resources: dict[str, Any],
) -> None:
    bot = resources[BOT]["Properties"]
    versions = of_type(resources, "AWS::Lex::BotVersion")
    assert list(versions) == [f"{BOT_VERSION_PREFIX}{content_hash(bot['BotLocales'])}"]
    ((version_id, version),) = versions.items()
    assert version["DeletionPolicy"] == "Retain"  # earlier versions stay for rollbacks
    spec = version["Properties"]["BotVersionLocaleSpecification"]
    locale_ids = [locale["LocaleId"] for locale in bot["BotLocales"]]
    assert [s["LocaleId"] for s in spec] == locale_ids
    assert {s["BotVersionLocaleDetails"]["SourceBotVersion"] for s in spec} == {"DRAFT"}

    alias = resources[BOT_ALIAS]["Properties"]
    assert alias["BotVersion"] == {"Fn::GetAtt": [version_id, "BotVersion"]}
    assert alias["SentimentAnalysisSettings"] == {"DetectSentiment": False}
    settings = {s["LocaleId"]: s["BotAliasLocaleSetting"] for s in alias["BotAliasLocaleSettings"]}
    assert list(settings) == locale_ids
    for setting in settings.values():
        assert setting["Enabled"] is True
        hook = setting["CodeHookSpecification"]["LambdaCodeHook"]
        assert hook == {
            "LambdaArn": {"Fn::GetAtt": ["LessonFunction", "Arn"]},
            "CodeHookInterfaceVersion": "1.0",
        }


def test_lambda_permissions_are_scoped_to_aliases_of_this_bot(resources: dict[str, Any]) -> None:
    permissions = of_type(resources, "AWS::Lambda::Permission")
    assert ALIAS_PERMISSION in permissions
    pattern = re.compile(
        r"^arn:\$\{AWS::Partition\}:lex:\$\{AWS::Region\}:\$\{AWS::AccountId\}:"
        r"bot-alias/\$\{LessonBot\}/(\$\{LessonBotAlias\.BotAliasId\}|TSTALIASID)$"
    )
    for permission in permissions.values():
        props = permission["Properties"]
        assert props["Principal"] == "lexv2.amazonaws.com"
        assert props["Action"] == "lambda:InvokeFunction"
        assert props["SourceAccount"] == {"Ref": "AWS::AccountId"}
        assert pattern.match(props["SourceArn"]["Fn::Sub"]), props["SourceArn"]
    live = permissions[ALIAS_PERMISSION]["Properties"]["SourceArn"]["Fn::Sub"]
    assert live.endswith("/${LessonBotAlias.BotAliasId}")


# ----------------------------------------------------------------------------- IAM


@pytest.mark.reliability(
    area="Least privilege",
    tried="Every IAM role and EFS file system policy statement of deploy/template.yaml",
    scale="All statements, conditional ones included",
    outcome="No action with a wildcard and no NotAction anywhere",
)
def test_no_iam_statement_has_a_wildcard_action(resources: dict[str, Any]) -> None:
    for name, statement in statements(resources):
        for action in as_list(statement.get("Action", [])):
            assert "*" not in action, f"{name}: wildcard action {action}"
        assert "NotAction" not in statement, name


def test_wildcard_resource_only_for_the_documented_exceptions(resources: dict[str, Any]) -> None:
    for name, statement in statements(resources):
        if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
            continue
        actions = set(as_list(statement["Action"]))
        assert any(actions <= allowed for allowed in WILDCARD_RESOURCE_EXCEPTIONS), (
            f"{name}: Resource '*' for {sorted(actions)}"
        )


@pytest.mark.reliability(
    area="Least privilege",
    tried="The function role's DynamoDB grant against the calls in the progress store's source",
    scale="Every client call of lex_bot/lesson_app/progress_store/dynamodb.py",
    outcome="Exactly those actions (Query, UpdateItem, DeleteItem), on the progress table only",
)
def test_function_may_use_exactly_the_dynamodb_actions_of_the_store(
    resources: dict[str, Any],
) -> None:
    dynamodb = [s for s in function_statements(resources) if "dynamodb:" in str(s["Action"])]
    assert len(dynamodb) == 1
    actions = {a.removeprefix("dynamodb:") for a in dynamodb[0]["Action"]}
    assert actions == store_dynamodb_actions()
    assert as_list(dynamodb[0]["Resource"]) == [{"Fn::GetAtt": ["ProgressTable", "Arn"]}]


def test_function_mounts_efs_read_only_through_its_access_point(
    resources: dict[str, Any],
) -> None:
    from knowledge_graph.loader import LAMBDA_DEFAULT_LOCATION

    efs = [s for s in function_statements(resources) if "elasticfilesystem" in str(s["Action"])]
    assert [s["Action"] for s in efs] == [["elasticfilesystem:ClientMount"]]
    assert efs[0]["Resource"] == {"Fn::GetAtt": ["LessonFileSystem", "Arn"]}
    condition = efs[0]["Condition"]["StringEquals"]["elasticfilesystem:AccessPointArn"]
    assert condition == {"Fn::GetAtt": ["LessonAccessPoint", "Arn"]}

    function = resources["LessonFunction"]["Properties"]
    (mount,) = function["FileSystemConfigs"]
    assert mount["Arn"] == {"Fn::GetAtt": ["LessonAccessPoint", "Arn"]}
    assert mount["LocalMountPath"].startswith("/mnt/")
    assert mount["LocalMountPath"] == LAMBDA_DEFAULT_LOCATION


def test_efs_policy_delegates_to_iam_and_requires_tls(resources: dict[str, Any]) -> None:
    policy = resources["LessonFileSystem"]["Properties"]["FileSystemPolicy"]["Statement"]
    deny = next(s for s in policy if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allow = next(s for s in policy if s["Effect"] == "Allow")
    assert allow["Principal"]["AWS"]["Fn::Sub"].endswith(":iam::${AWS::AccountId}:root")
    assert "elasticfilesystem:ClientRootAccess" not in allow["Action"]


def test_lex_runtime_role_only_synthesizes_speech(resources: dict[str, Any]) -> None:
    role = resources["LexRuntimeRole"]["Properties"]
    principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "lexv2.amazonaws.com"}
    actions = {
        a
        for name, s in statements(resources)
        if name == "LexRuntimeRole"
        for a in as_list(s["Action"])
    }
    assert actions == {"polly:SynthesizeSpeech"}


# ----------------------------------------------------------------------------- storage, network


def test_progress_table_is_on_demand_recoverable_encrypted_and_retained(
    resources: dict[str, Any],
) -> None:
    table = resources["ProgressTable"]
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    schema = {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]}
    assert schema == store_key_schema()
    declared = {a["AttributeName"] for a in props["AttributeDefinitions"]}
    assert declared == set(schema)  # only key attributes are declared (no indexes)


def test_gateway_endpoints_for_dynamodb_and_s3(resources: dict[str, Any]) -> None:
    endpoints = of_type(resources, "AWS::EC2::VPCEndpoint").values()
    services = {e["Properties"]["ServiceName"]["Fn::Sub"] for e in endpoints}
    assert services == {"com.amazonaws.${AWS::Region}.dynamodb", "com.amazonaws.${AWS::Region}.s3"}
    for endpoint in endpoints:
        assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
        assert endpoint["Properties"]["RouteTableIds"] == {"Ref": "RouteTableIds"}


def test_file_system_is_encrypted_with_two_mount_targets(resources: dict[str, Any]) -> None:
    props = resources["LessonFileSystem"]["Properties"]
    assert props["Encrypted"] is True
    assert props["BackupPolicy"] == {"Status": "ENABLED"}
    targets = of_type(resources, "AWS::EFS::MountTarget").values()
    subnets = [t["Properties"]["SubnetId"] for t in targets]
    assert subnets == [
        {"Fn::Select": [0, {"Ref": "SubnetIds"}]},
        {"Fn::Select": [1, {"Ref": "SubnetIds"}]},
    ]
    access_point = resources["LessonAccessPoint"]["Properties"]
    assert access_point["RootDirectory"]["Path"] == "/lessons"
    assert access_point["PosixUser"]["Uid"] != "0"


def test_network_rules_are_minimal(resources: dict[str, Any]) -> None:
    function_sg = resources["FunctionSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in function_sg
    assert [(r["FromPort"], r["ToPort"]) for r in function_sg["SecurityGroupEgress"]] == [
        (443, 443)
    ]
    nfs_egress = resources["FunctionToFileSystemEgress"]["Properties"]
    assert (nfs_egress["FromPort"], nfs_egress["ToPort"]) == (2049, 2049)
    assert nfs_egress["DestinationSecurityGroupId"] == {"Ref": "FileSystemSecurityGroup"}
    ingress = [
        r["Properties"]
        for r in of_type(resources, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Ref": "FileSystemSecurityGroup"}
    ]
    assert {(r["FromPort"], r["ToPort"]) for r in ingress} == {(2049, 2049)}
    assert {"Ref": "FunctionSecurityGroup"} in [r["SourceSecurityGroupId"] for r in ingress]


# ----------------------------------------------------------------------------- function


def test_function_runtime_architecture_and_artefacts(template: dict[str, Any]) -> None:
    function = template["Resources"]["LessonFunction"]["Properties"]
    settings = {**template.get("Globals", {}).get("Function", {}), **function}
    runtime = settings["Runtime"]
    assert re.fullmatch(r"python3\.(\d+)", runtime) and int(runtime.split(".")[1]) >= 12
    assert runtime == f"python{DEFAULT_PYTHON_VERSION}"  # what deploy/package.py builds for
    assert function["Architectures"] == [{"Ref": "Architecture"}]
    assert template["Parameters"]["Architecture"]["Default"] == DEFAULT_ARCHITECTURE.value
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^ARCH\s*\?=\s*(\S+)$", makefile, re.M)[1] == DEFAULT_ARCHITECTURE.value
    assert function["CodeUri"] == "../build/function.zip"
    layer = template["Resources"]["DependenciesLayer"]["Properties"]
    assert layer["ContentUri"] == "../build/layer.zip"
    assert layer["CompatibleRuntimes"] == [runtime]
    assert settings["MemorySize"] == 512 and settings["Timeout"] == 10
    module, handler = function["Handler"].split(".")
    tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
    assert handler in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_function_environment(template: dict[str, Any]) -> None:
    function = template["Resources"]["LessonFunction"]["Properties"]
    env = function["Environment"]["Variables"]
    assert env["PROGRESS_STORE"] == {"Fn::Sub": "dynamodb://${ProgressTable}"}
    assert env["LESSON_GRAPH_PATH"] == {"Ref": "LessonGraphPath"}
    assert env["LESSON_GRAPH_CHECK_SECONDS"] == {"Ref": "GraphCheckSeconds"}
    assert env["LOG_TRANSCRIPTS"] == {"Ref": "LogTranscripts"}
    assert {"LOG_LEVEL", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"} <= set(env)
    assert "LEARNER_ID_ATTRIBUTE" in env
    parameters = template["Parameters"]
    assert parameters["LessonGraphPath"]["Default"] == "/mnt/lessons"
    assert parameters["LogTranscripts"]["Default"] == "false"


def test_function_logs_to_a_retained_log_group(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    function = resources["LessonFunction"]["Properties"]
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogGroup"}
    log_group = resources["FunctionLogGroup"]["Properties"]
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    logs = [s for s in function_statements(resources) if "logs:" in str(s["Action"])]
    assert logs[0]["Resource"] == {"Fn::GetAtt": ["FunctionLogGroup", "Arn"]}


# ----------------------------------------------------------------------------- the generator

SMALL_DEFINITION = {
    "bot": {
        "name": "LessonBot",
        "description": "test bot",
        "idle_session_ttl_seconds": 600,
        "locales": {
            "en_US": {
                "description": "English",
                "voice_id": "Joanna",
                "nlu_confidence_threshold": 0.4,
            }
        },
    },
    "slot_types": {
        "LessonNameType": {"description": "lessons", "resolution": "original_value"},
    },
    "intents": {
        "StartLesson": {
            "description": "start",
            "dialog_code_hook": True,
            "fulfillment_code_hook": True,
            "slots": [
                {"name": "LessonName", "type": "LessonNameType", "required": True, "prompt": "p"}
            ],
            "utterances": {"en_US": ["start {LessonName}"]},
        },
        "FallbackIntent": {"parent": "AMAZON.FallbackIntent", "fulfillment_code_hook": True},
    },
}
SMALL_VALUES = {"LessonNameType": [{"value": "Loops", "synonyms": ["for loops"]}]}


def fake_messages(locale: str, key: str) -> str:
    return f"[{locale}] {key}?"


def test_generator_maps_the_definition(tmp_path: Path) -> None:
    generated = bot_resources(SMALL_DEFINITION, SMALL_VALUES, fake_messages)
    (locale,) = generated[BOT]["Properties"]["BotLocales"]
    start = locale["Intents"][0]
    assert start["SampleUtterances"] == [{"Utterance": "start {LessonName}"}]
    prompt = start["Slots"][0]["ValueElicitationSetting"]["PromptSpecification"]
    assert prompt["MessageGroupsList"][0]["Message"]["PlainTextMessage"]["Value"] == "[en_US] p?"
    assert "DialogCodeHook" not in locale["Intents"][1]  # fallback: fulfillment only


def test_new_content_gets_a_new_bot_version() -> None:
    before = bot_resources(SMALL_DEFINITION, SMALL_VALUES, fake_messages)
    more = {"LessonNameType": [*SMALL_VALUES["LessonNameType"], {"value": "Recursion"}]}
    after = bot_resources(SMALL_DEFINITION, more, fake_messages)
    version = [name for name in before if name.startswith(BOT_VERSION_PREFIX)]
    assert version and version[0] not in after
    assert bot_resources(SMALL_DEFINITION, SMALL_VALUES, fake_messages) == before


def test_generator_truncates_slot_values_to_the_lex_quota(
    capsys: pytest.CaptureFixture[str],
) -> None:
    values = [{"value": f"Lesson {i}", "synonyms": []} for i in range(MAX_SLOT_TYPE_VALUES + 5)]
    kept = slot_type_values(values, name="LessonNameType")
    assert len(kept) == MAX_SLOT_TYPE_VALUES
    assert kept[-1]["SampleValue"]["Value"] == f"Lesson {MAX_SLOT_TYPE_VALUES - 1}"
    assert "keeping the first" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["intents"].pop("FallbackIntent"), "FallbackIntent"),
        (
            lambda d: d["intents"]["StartLesson"]["utterances"].update(en_US=["go {Nope}"]),
            "unknown slot",
        ),
        (lambda d: d["intents"]["StartLesson"]["utterances"].pop("en_US"), "no utterances"),
        (lambda d: d["slot_types"].update(ModuleType={}), "ModuleType: no values"),
    ],
)
def test_generator_rejects_bad_definitions(change, message: str) -> None:
    import copy

    definition = copy.deepcopy(SMALL_DEFINITION)
    change(definition)
    with pytest.raises(BotTemplateError, match=message):
        bot_resources(definition, SMALL_VALUES, fake_messages)


def test_splice_needs_the_markers() -> None:
    with pytest.raises(BotTemplateError, match="markers"):
        splice("Resources: {}\n", "x")
    text = f"a\n{lex_template.BEGIN_MARKER}\nold\n{lex_template.END_MARKER}\nb\n"
    assert splice(text, "new\n") == "a\nnew\nb\n"


# ----------------------------------------------------------------------------- the store


def store_key_schema() -> dict[str, str]:
    """The progress store's DynamoDB key schema (attribute -> HASH/RANGE), from its module."""
    from lex_bot.lesson_app.progress_store import dynamodb as store

    schema = {store.PARTITION_KEY: "HASH"}
    if getattr(store, "SORT_KEY", None):
        schema[store.SORT_KEY] = "RANGE"
    return schema


def store_dynamodb_actions() -> set[str]:
    """The DynamoDB API operations the store's code calls (``client.get_item`` -> GetItem)."""
    from lex_bot.lesson_app.progress_store import dynamodb as store

    source = Path(store.__file__).read_text(encoding="utf-8")
    calls = set(
        re.findall(
            r"\.(get_item|put_item|update_item|delete_item|query|scan|batch_get_item|"
            r"batch_write_item|transact_write_items|transact_get_items)\(",
            source,
        )
    )
    actions = {"".join(part.title() for part in call.split("_")) for call in calls}
    if "TransactWriteItems" in actions:
        # No IAM action of its own: DynamoDB checks the action of each item inside (Amazon
        # DynamoDB Developer Guide, "Using IAM with DynamoDB transactions",
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
        actions.discard("TransactWriteItems")
        kinds = set(re.findall(r'\{"(Update|Put|Delete|ConditionCheck)": ', source))
        actions |= {kind + "Item" for kind in kinds}
    return actions
