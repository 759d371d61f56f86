"""Read CloudFormation YAML templates, including the short-form intrinsic function tags.

PyYAML's safe loader refuses ``!Ref``, ``!Sub``, ``!GetAtt`` and friends; this loader turns
them into their long JSON form (``{"Ref": "X"}``, ``{"Fn::Sub": "..."}``,
``{"Fn::GetAtt": ["Res", "Attr"]}``), which is what CloudFormation itself does. It builds
on ``yaml.SafeLoader``, so no other tag is accepted and nothing is ever executed.

Example
-------
>>> load_template_text("A: !GetAtt Fn.Arn\\nB: !Ref X\\n")
{'A': {'Fn::GetAtt': ['Fn', 'Arn']}, 'B': {'Ref': 'X'}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: Short-form tags and their long-form keys (``Ref`` and ``Condition`` have no ``Fn::``).
INTRINSIC_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Contains",
            "Equals",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "Transform",
            "Length",
            "ToJsonString",
        )
    },
}


class CloudFormationLoader(yaml.SafeLoader):
    """A safe YAML loader that understands CloudFormation's short-form tags."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    """Turn ``!Name value`` into ``{long_name: value}``."""
    key = INTRINSIC_TAGS[tag_suffix]
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


for _tag in INTRINSIC_TAGS:
    CloudFormationLoader.add_constructor(
        f"!{_tag}",
        lambda loader, node, _t=_tag: _construct_intrinsic(loader, _t, node),
    )


def load_template_text(text: str) -> dict[str, Any]:
    """Parse a CloudFormation YAML template into plain dicts and lists."""
    data = yaml.load(text, Loader=CloudFormationLoader)  # a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError("a CloudFormation template must be a mapping")
    return data


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse the CloudFormation YAML template at ``path``."""
    return load_template_text(Path(path).read_text(encoding="utf-8"))
