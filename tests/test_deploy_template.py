"""The SAM template (deploy/template.yaml) and its generated Lex part (deploy/lex_template.py)."""

from __future__ import annotations

import ast
import json
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
    versioned_settings,
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
#: X-Ray's write actions (tracing) have no resource-level permissions either.
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
WILDCARD_RESOURCE_EXCEPTIONS = [ENI_ACTIONS, {"polly:SynthesizeSpeech"}, XRAY_ACTIONS]


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
    every_locale = load_slot_values()
    for locale in resources[BOT]["Properties"]["BotLocales"]:
        slot_values = every_locale[locale["LocaleId"]]  # each locale gets its own values
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
    # a bot version snapshots the TTL: it comes from the definition, so the hash covers it
    assert bot["IdleSessionTTLInSeconds"] == definition["bot"]["idle_session_ttl_seconds"]
    assert "IdleSessionTTL" not in parameters
    assert bot["AutoBuildBotLocales"] is True
    assert bot["RoleArn"] == {"Fn::GetAtt": ["LexRuntimeRole", "Arn"]}
    for locale in bot["BotLocales"]:
        spec = definition["bot"]["locales"][locale["LocaleId"]]
        assert locale["NluConfidenceThreshold"] == spec["nlu_confidence_threshold"]
        assert locale["VoiceSettings"]["VoiceId"] == spec["voice_id"]


def test_alias_serves_the_settings_version_through_the_lambda_alias(
    resources: dict[str, Any],
) -> None:
    bot = resources[BOT]["Properties"]
    versions = of_type(resources, "AWS::Lex::BotVersion")
    expected = {
        f"{BOT_VERSION_PREFIX}{content_hash(versioned_settings(bot, child))}": child
        for child in (True, False)
    }
    assert set(versions) == set(expected)  # one per ChildDirected value, under its condition
    for version_id, version in versions.items():
        child = expected[version_id]
        assert version["Condition"] == ("IsChildDirected" if child else "IsNotChildDirected")
        assert version["DeletionPolicy"] == "Retain"  # earlier versions stay for rollbacks
        spec = version["Properties"]["BotVersionLocaleSpecification"]
        locale_ids = [locale["LocaleId"] for locale in bot["BotLocales"]]
        assert [s["LocaleId"] for s in spec] == locale_ids
        assert {s["BotVersionLocaleDetails"]["SourceBotVersion"] for s in spec} == {"DRAFT"}

    alias = resources[BOT_ALIAS]["Properties"]
    by_child = {child: version_id for version_id, child in expected.items()}
    assert alias["BotVersion"] == {
        "Fn::If": [
            "IsChildDirected",
            {"Fn::GetAtt": [by_child[True], "BotVersion"]},
            {"Fn::GetAtt": [by_child[False], "BotVersion"]},
        ]
    }
    assert alias["SentimentAnalysisSettings"] == {"DetectSentiment": False}
    settings = {s["LocaleId"]: s["BotAliasLocaleSetting"] for s in alias["BotAliasLocaleSettings"]}
    assert list(settings) == locale_ids
    test_alias = bot["TestBotAliasSettings"]["BotAliasLocaleSettings"]
    for setting in [*settings.values(), *(s["BotAliasLocaleSetting"] for s in test_alias)]:
        assert setting["Enabled"] is True
        hook = setting["CodeHookSpecification"]["LambdaCodeHook"]
        # the Lambda alias CodeDeploy shifts, never $LATEST
        assert hook == {
            "LambdaArn": {"Ref": "LessonFunctionAliaslive"},
            "CodeHookInterfaceVersion": "1.0",
        }


def test_conditions_of_the_versions_cover_both_child_directed_values(
    template: dict[str, Any],
) -> None:
    conditions = template["Conditions"]
    assert template["Parameters"]["ChildDirected"]["AllowedValues"] == ["true", "false"]
    for value in ("true", "false"):
        chosen = [
            name
            for name in ("IsChildDirected", "IsNotChildDirected")
            if evaluate({"Condition": name}, {"ChildDirected": value}, conditions)
        ]
        assert len(chosen) == 1


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
        # Lex may invoke the function's live alias only (the version CodeDeploy routes to)
        assert props["FunctionName"] == {"Ref": "LessonFunctionAliaslive"}
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


def evaluate(node: Any, parameters: dict[str, Any], conditions: dict[str, Any]) -> Any:
    """Evaluate the intrinsic functions the template's conditions and rules use."""
    if isinstance(node, list):
        return [evaluate(item, parameters, conditions) for item in node]
    if not isinstance(node, dict):
        return node
    ((name, arg),) = node.items()
    if name == "Ref":
        return parameters[arg]
    if name == "Condition":
        return evaluate(conditions[arg], parameters, conditions)
    args = evaluate(arg, parameters, conditions)
    if name == "Fn::Not":
        return not args[0]
    if name == "Fn::Equals":
        return args[0] == args[1]
    if name == "Fn::And":
        return all(args)
    if name == "Fn::Or":
        return any(args)
    if name == "Fn::Contains":
        return args[1] in args[0]
    if name == "Fn::Join":
        return args[0].join(args[1])
    if name == "Fn::Split":
        return args[1].split(args[0])
    if name == "Fn::Select":
        return args[1][int(args[0])]
    raise AssertionError(f"no evaluator for {name}")


def created(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The resources a stack with these parameter values creates."""
    conditions = template["Conditions"]
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if "Condition" not in resource
        or evaluate({"Condition": resource["Condition"]}, parameters, conditions)
    }


def rules_pass(template: dict[str, Any], parameters: dict[str, Any]) -> bool:
    for rule in template["Rules"].values():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], parameters, {}):
            continue
        if not all(evaluate(a["Assert"], parameters, {}) for a in rule["Assertions"]):
            return False
    return True


def stack_parameters(template: dict[str, Any], **values: Any) -> dict[str, Any]:
    defaults = {k: v.get("Default") for k, v in template["Parameters"].items()}
    return {**defaults, "SubnetIds": ["subnet-a", "subnet-b"], **values}


def test_gateway_endpoints_for_dynamodb_and_s3_only_when_asked(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    endpoints = of_type(resources, "AWS::EC2::VPCEndpoint")
    services = {e["Properties"]["ServiceName"]["Fn::Sub"] for e in endpoints.values()}
    assert services == {"com.amazonaws.${AWS::Region}.dynamodb", "com.amazonaws.${AWS::Region}.s3"}
    for endpoint in endpoints.values():
        assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
        assert endpoint["Properties"]["RouteTableIds"] == {"Ref": "RouteTableIds"}
        assert "Condition" in endpoint  # an endpoint already on the route tables would clash
    both = created(template, stack_parameters(template))
    assert set(endpoints) <= set(both)  # the defaults keep existing stacks as they are
    none = created(
        template,
        stack_parameters(template, CreateDynamoDBEndpoint="false", CreateS3Endpoint="false"),
    )
    assert not set(endpoints) & set(none)
    only_s3 = created(template, stack_parameters(template, CreateDynamoDBEndpoint="false"))
    assert set(endpoints) & set(only_s3) == {"S3GatewayEndpoint"}


@pytest.mark.parametrize("count", [2, 3, 6])
def test_one_mount_target_per_subnet(template: dict[str, Any], count: int) -> None:
    subnets = [f"subnet-{i:08x}" for i in range(count)]
    stack = created(template, stack_parameters(template, SubnetIds=subnets))
    targets = of_type(stack, "AWS::EFS::MountTarget").values()
    chosen = [subnets[t["Properties"]["SubnetId"]["Fn::Select"][0]] for t in targets]
    assert sorted(chosen) == subnets
    ready = stack["MountTargetsReady"]["Metadata"]["MountTargets"]
    conditions = template["Conditions"]
    parameters = stack_parameters(template, SubnetIds=subnets)
    refs = []
    for item in ready:  # the functions wait for every mount target that exists
        if "Fn::If" in item:
            condition, yes, _ = item["Fn::If"]
            if not evaluate({"Condition": condition}, parameters, conditions):
                continue
            item = yes
        refs.append(item["Ref"])
    assert sorted(refs) == sorted(
        n for n, r in stack.items() if r["Type"] == "AWS::EFS::MountTarget"
    )
    assert template["Resources"]["LessonFunction"]["DependsOn"] == "MountTargetsReady"
    assert template["Parameters"]["SubnetIds"]["Description"].count("six")


def test_file_system_is_encrypted_and_read_through_an_access_point(
    resources: dict[str, Any],
) -> None:
    props = resources["LessonFileSystem"]["Properties"]
    assert props["Encrypted"] is True
    assert props["BackupPolicy"] == {"Status": "ENABLED"}
    # existing stacks keep their two mount targets (renaming them would replace them)
    assert {"MountTargetA", "MountTargetB"} <= set(of_type(resources, "AWS::EFS::MountTarget"))
    access_point = resources["LessonAccessPoint"]["Properties"]
    assert access_point["RootDirectory"]["Path"] == "/lessons"
    assert access_point["PosixUser"]["Uid"] != "0"


@pytest.mark.parametrize(
    ("path", "bucket", "kms", "ok"),
    [
        ("/mnt/lessons", "", "", True),
        ("s3://lessons-bucket/course/", "lessons-bucket", "", True),
        ("s3://lessons-bucket/course/", "", "", False),  # AccessDenied at run time otherwise
        ("/mnt/lessons", "", "arn:aws:kms:us-east-1:123456789012:key/abc", False),
    ],
)
def test_rules_refuse_an_s3_path_without_its_bucket(
    template: dict[str, Any], path: str, bucket: str, kms: str, ok: bool
) -> None:
    parameters = stack_parameters(
        template, LessonGraphPath=path, LessonGraphBucket=bucket, LessonGraphKmsKeyArn=kms
    )
    assert re.fullmatch(template["Parameters"]["LessonGraphPath"]["AllowedPattern"], path)
    assert rules_pass(template, parameters) is ok


def test_kms_decrypt_only_for_the_given_key_through_s3(resources: dict[str, Any]) -> None:
    (kms,) = [s for s in function_statements(resources) if "kms:" in str(s["Action"])]
    assert as_list(kms["Action"]) == ["kms:Decrypt"]
    assert kms["Resource"] == {"Ref": "LessonGraphKmsKeyArn"}
    assert "kms:ViaService" in kms["Condition"]["StringEquals"]


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


def test_powertools_tracer_runs_only_with_active_tracing(template: dict[str, Any]) -> None:
    function = template["Resources"]["LessonFunction"]["Properties"]
    assert function["Tracing"] == {"Ref": "TracingMode"}
    assert template["Conditions"]["IsTracingActive"] == {
        "Fn::Equals": [{"Ref": "TracingMode"}, "Active"]
    }
    disabled = function["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"]
    assert disabled == {"Fn::If": ["IsTracingActive", "false", "true"]}
    assert "aws-xray-sdk" in (ROOT / "requirements.txt").read_text()  # what Tracer needs


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
SMALL_VALUES = {"en_US": {"LessonNameType": [{"value": "Loops", "synonyms": ["for loops"]}]}}


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
    more = {
        "en_US": {
            "LessonNameType": [*SMALL_VALUES["en_US"]["LessonNameType"], {"value": "Recursion"}]
        }
    }
    after = bot_resources(SMALL_DEFINITION, more, fake_messages)
    version = [name for name in before if name.startswith(BOT_VERSION_PREFIX)]
    assert version and version[0] not in after
    assert bot_resources(SMALL_DEFINITION, SMALL_VALUES, fake_messages) == before


def version_ids(resources: dict[str, Any]) -> dict[str, str]:
    """Condition -> bot version logical id."""
    return {
        r["Condition"]: name for name, r in resources.items() if name.startswith(BOT_VERSION_PREFIX)
    }


def test_every_versioned_setting_changes_the_version_hash() -> None:
    before = version_ids(bot_resources(SMALL_DEFINITION, SMALL_VALUES, fake_messages))
    # ChildDirected (a stack parameter): each value has its own version resource
    assert before["IsChildDirected"] != before["IsNotChildDirected"]
    for key, value in [("idle_session_ttl_seconds", 900), ("description", "another")]:
        changed = {**SMALL_DEFINITION, "bot": {**SMALL_DEFINITION["bot"], key: value}}
        after = version_ids(bot_resources(changed, SMALL_VALUES, fake_messages))
        assert not set(after.values()) & set(before.values()), key


def test_changing_child_directed_moves_the_alias_to_another_version(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    conditions = template["Conditions"]

    def served(value: str) -> str:
        branch = resources[BOT_ALIAS]["Properties"]["BotVersion"]["Fn::If"]
        chosen = (
            branch[1]
            if evaluate({"Condition": branch[0]}, {"ChildDirected": value}, conditions)
            else branch[2]
        )
        version_id = chosen["Fn::GetAtt"][0]
        assert evaluate(
            {"Condition": resources[version_id]["Condition"]}, {"ChildDirected": value}, conditions
        )
        return version_id

    assert served("true") != served("false")


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


# ----------------------------------------------------------------------------- releases, alarms

DEPLOYMENT_ALARMS = {
    "FunctionErrorsAlarm",
    "TurnErrorsAlarm",
    "DurationP99Alarm",
    "ProblemShareAlarm",
}


def test_code_goes_live_through_a_canary_rolled_back_on_alarms(template: dict[str, Any]) -> None:
    function = template["Resources"]["LessonFunction"]["Properties"]
    assert function["AutoPublishAlias"] == "live"  # FUNCTION_ALIAS = LessonFunctionAlias + live
    assert "LessonFunctionAlias" + function["AutoPublishAlias"] == lex_template.FUNCTION_ALIAS
    preference = function["DeploymentPreference"]
    assert preference["Type"] == {"Ref": "DeploymentType"}
    assert template["Parameters"]["DeploymentType"]["Default"].startswith("Canary")
    assert {a["Ref"] for a in preference["Alarms"]} == DEPLOYMENT_ALARMS
    assert function["Tracing"] == {"Ref": "TracingMode"}
    assert function["ReservedConcurrentExecutions"]["Fn::If"][0] == "HasReservedConcurrency"


def test_alarms_watch_errors_throttles_latency_problems_and_publishes(
    resources: dict[str, Any],
) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert DEPLOYMENT_ALARMS | {"ThrottlesAlarm", "PublishFailuresAlarm"} <= set(alarms)
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert props["TreatMissingData"] == "notBreaching"  # no traffic is not an outage
    duration = alarms["DurationP99Alarm"]["Properties"]
    assert duration["ExtendedStatistic"] == "p99"
    assert duration["Threshold"] < 10_000  # the function's timeout
    names = {
        m["MetricStat"]["Metric"]["MetricName"]
        for m in alarms["ProblemShareAlarm"]["Properties"]["Metrics"]
        if "MetricStat" in m
    }
    assert names == {"Turns", "Fallbacks", "Errors"}  # emitted by lex_bot/lexv2/observability.py
    publish = {
        m["Id"]: m.get("MetricStat", {}).get("Metric")
        for m in alarms["PublishFailuresAlarm"]["Properties"]["Metrics"]
    }
    assert publish["refused"]["MetricName"] == "PublishFailures"  # publisher/handler.py
    # A crash or timeout emits no PublishFailures and writes no report: Lambda's Errors do.
    assert publish["crashed"]["Namespace"] == "AWS/Lambda"
    assert publish["crashed"]["MetricName"] == "Errors"
    assert publish["crashed"]["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "PublisherFunction"}}
    ]


def test_dashboard_shows_turns_latency_fallbacks_problems_and_publishes(
    resources: dict[str, Any],
) -> None:
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"][0]
    for metric in ("Turns", "TurnLatency", "Fallbacks", "Errors", "Publishes", "PublishFailures"):
        assert f'"{metric}"' in body

    json.loads(re.sub(r"\$\{[^}]+\}", "x", body))  # valid JSON once substituted


# ----------------------------------------------------------------------------- publisher


def test_publisher_is_triggered_by_staged_course_files_and_writes_efs(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    function = resources["PublisherFunction"]["Properties"]
    assert function["Handler"] == "publisher.handler.lambda_handler"
    assert function["CodeUri"] == "../build/publisher.zip"  # not the bot's function.zip
    assert function["ReservedConcurrentExecutions"] == 1
    assert function["FileSystemConfigs"][0]["Arn"] == {
        "Fn::GetAtt": ["AuthoringAccessPoint", "Arn"]
    }
    suffixes = set()
    for event in function["Events"].values():
        assert event["Type"] == "S3"
        assert event["Properties"]["Bucket"] == {"Ref": "PublishBucket"}
        rules = {r["Name"]: r["Value"] for r in event["Properties"]["Filter"]["S3Key"]["Rules"]}
        assert rules["prefix"] == function["Environment"]["Variables"]["STAGING_PREFIX"]
        suffixes.add(rules["suffix"])
    assert suffixes == {".yaml", ".yml", ".json"}  # never the .txt report: no self-trigger
    policy = next(p["PolicyDocument"] for p in resources["PublisherRole"]["Properties"]["Policies"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["MountLessonsReadWrite"]["Condition"]["StringEquals"] == {
        "elasticfilesystem:AccessPointArn": {"Fn::GetAtt": ["AuthoringAccessPoint", "Arn"]}
    }
    assert by_sid["WriteReport"]["Action"] == ["s3:PutObject"]
    assert by_sid["WriteReport"]["Resource"]["Fn::Sub"][0].endswith("/staging/PUBLISH-REPORT.txt")
    bucket = resources["PublishBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert "publisher" not in str(resources["LessonFunction"]["Properties"]["CodeUri"])


# ----------------------------------------------------------------------------- learned next steps

SNAPSHOT_PATH = "/mnt/lessons/.transitions/transitions.json"


def role_statements(resources: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for name, s in statements(resources) if name == role}


def source_dynamodb_actions(module: Any) -> set[str]:
    """The DynamoDB actions a module's client calls need (transactions: their items')."""
    source = Path(module.__file__).read_text(encoding="utf-8")
    pattern = (
        r"\.(query|scan|get_item|put_item|update_item|delete_item|transact_write_items|"
        r"get_paginator)\(\s*\"?(\w*)"
    )
    calls = set(re.findall(pattern, source))
    actions = set()
    for call, argument in calls:
        if call == "get_paginator":
            actions.add("".join(part.title() for part in argument.split("_")))
        elif call == "transact_write_items":
            kinds = set(re.findall(r'"(Put|Update|Delete|ConditionCheck)": \{', source))
            actions |= {kind + "Item" for kind in kinds}
        else:
            actions.add("".join(part.title() for part in call.split("_")))
    return actions


def test_progress_table_streams_old_and_new_images(resources: dict[str, Any]) -> None:
    spec = resources["ProgressTable"]["Properties"]["StreamSpecification"]
    assert spec == {"StreamViewType": "NEW_AND_OLD_IMAGES"}  # a reset is told by its images


def test_aggregator_reads_the_stream_with_partial_failures_bisect_and_a_dead_letter_queue(
    resources: dict[str, Any],
) -> None:
    from transitions_aggregator import handler

    function = resources["TransitionsAggregatorFunction"]["Properties"]
    assert function["CodeUri"] == "../build/transitions.zip"  # its own zip, not function.zip
    module, name = function["Handler"].rsplit(".", 1)
    assert module == handler.__name__ and callable(getattr(handler, name))
    assert "VpcConfig" not in function  # DynamoDB only: no ENI, no endpoint needed
    (event,) = function["Events"].values()
    assert event["Type"] == "DynamoDB"
    props = event["Properties"]
    assert props["Stream"] == {"Fn::GetAtt": ["ProgressTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 1 <= props["BatchSize"] <= 1000 and props["MaximumRetryAttempts"] >= 1
    assert props["ParallelizationFactor"] == 1  # a learner's records stay in order
    assert 0 < props["MaximumRecordAgeInSeconds"] <= 86_400  # the stream keeps 24 hours
    assert props["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["TransitionsDeadLetterQueue", "Arn"]},
    }
    env = function["Environment"]["Variables"]
    assert env["PROGRESS_TABLE"] == {"Ref": "ProgressTable"}
    assert env["COUNTS_TABLE"] == {"Ref": "TransitionCountsTable"}
    assert resources["TransitionsDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True


def test_counts_table_has_the_aggregators_key_schema(resources: dict[str, Any]) -> None:
    from transitions_aggregator import counts

    props = resources["TransitionCountsTable"]["Properties"]
    assert props["KeySchema"] == counts.KEY_SCHEMA
    assert props["AttributeDefinitions"] == counts.ATTRIBUTE_DEFINITIONS
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEEnabled"] is True


@pytest.mark.reliability(
    area="Least privilege",
    tried="The transitions roles' DynamoDB grants against the calls in their source",
    scale="transitions_aggregator/counts.py and the progress store's read",
    outcome="Progress: Query and the stream only; counts: exactly the calls made (no Scan)",
)
def test_transitions_roles_may_make_exactly_their_calls(resources: dict[str, Any]) -> None:
    from transitions_aggregator import counts

    aggregator = role_statements(resources, "TransitionsAggregatorRole")
    assert aggregator["ReadLearnerProgress"]["Action"] == ["dynamodb:Query"]
    assert aggregator["ReadLearnerProgress"]["Resource"] == {"Fn::GetAtt": ["ProgressTable", "Arn"]}
    stream = aggregator["ReadProgressStream"]
    assert stream["Resource"] == {"Fn::Sub": "${ProgressTable.Arn}/stream/*"}
    assert set(stream["Action"]) == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    granted = {a.removeprefix("dynamodb:") for a in aggregator["WriteTransitionCounts"]["Action"]}
    # Scan (CountsTable.learners) is for an operator's rebuild, never the function's
    assert granted == source_dynamodb_actions(counts) - {"Scan"}
    assert aggregator["WriteTransitionCounts"]["Resource"] == {
        "Fn::GetAtt": ["TransitionCountsTable", "Arn"]
    }
    assert aggregator["SendDiscardedBatches"]["Action"] == ["sqs:SendMessage"]
    dynamodb_sids = {sid for sid, s in aggregator.items() if "dynamodb:" in str(s["Action"])}
    assert dynamodb_sids == {"ReadLearnerProgress", "ReadProgressStream", "WriteTransitionCounts"}

    snapshot = role_statements(resources, "TransitionsSnapshotRole")
    dynamodb = [s for s in snapshot.values() if "dynamodb:" in str(s["Action"])]
    assert dynamodb == [snapshot["ReadTransitionCounts"]]
    assert dynamodb[0]["Action"] == ["dynamodb:Query"]
    assert snapshot["MountLessonsReadWrite"]["Condition"]["StringEquals"] == {
        "elasticfilesystem:AccessPointArn": {"Fn::GetAtt": ["AuthoringAccessPoint", "Arn"]}
    }


def test_snapshot_is_scheduled_floored_and_written_where_the_bot_reads_it(
    template: dict[str, Any],
) -> None:
    from knowledge_graph.file_format import is_course_file_name
    from transitions_aggregator import handler

    resources = template["Resources"]
    function = resources["TransitionsSnapshotFunction"]["Properties"]
    assert function["CodeUri"] == "../build/transitions.zip"
    module, name = function["Handler"].rsplit(".", 1)
    assert module == handler.__name__ and callable(getattr(handler, name))
    (event,) = function["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(5 minutes)"
    env = function["Environment"]["Variables"]
    assert env["MIN_LEARNERS"] == {"Ref": "MinLearners"}
    assert template["Parameters"]["MinLearners"]["Default"] == 5
    assert template["Parameters"]["MinLearners"]["MinValue"] == 1
    bot_env = resources["LessonFunction"]["Properties"]["Environment"]["Variables"]
    assert env["TRANSITIONS_SNAPSHOT"] == bot_env["TRANSITIONS_SNAPSHOT"] == SNAPSHOT_PATH
    (mount,) = function["FileSystemConfigs"]
    assert mount["Arn"] == {"Fn::GetAtt": ["AuthoringAccessPoint", "Arn"]}
    (bot_mount,) = resources["LessonFunction"]["Properties"]["FileSystemConfigs"]
    assert mount["LocalMountPath"] == bot_mount["LocalMountPath"]
    # same directory on EFS for both (same root), in a subfolder: never read as a course file
    for point in ("AuthoringAccessPoint", "LessonAccessPoint"):
        assert resources[point]["Properties"]["RootDirectory"]["Path"] == "/lessons"
    relative = Path(SNAPSHOT_PATH).relative_to(mount["LocalMountPath"])
    assert len(relative.parts) == 2 and is_course_file_name(relative.parts[-1])
    assert resources["TransitionsSnapshotFunction"]["DependsOn"] == "MountTargetsReady"


def test_dead_letters_and_failed_snapshots_raise_alarms(resources: dict[str, Any]) -> None:
    dead = resources["TransitionsDeadLetterAlarm"]["Properties"]
    assert dead["Namespace"] == "AWS/SQS"
    assert dead["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dead["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["TransitionsDeadLetterQueue", "QueueName"]}}
    ]
    assert dead["Threshold"] == 1 and dead["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    snapshot = resources["TransitionsSnapshotErrorsAlarm"]["Properties"]
    assert snapshot["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "TransitionsSnapshotFunction"}}
    ]
