"""The content names of the sample course, read from its files with PyYAML only."""

from __future__ import annotations

import yaml
from paths import ROOT


def _strings(value: object) -> list[str]:
    """A course text as written: one string, or one per locale (``{en_US: ..., es_US: ...}``)."""
    if isinstance(value, dict):
        return [str(v) for v in value.values() if v]
    return [str(value)] if value else []


def content_names() -> list[str]:
    """Every lesson title, module name and course title of the course files, in every locale
    they are written in (their own fields and each of their ``translations``): the content
    items an answer and its spoken form must share."""
    names: set[str] = set()
    for path in sorted((ROOT / "data" / "lessons").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for spec in [data["course"], *data["lessons"]]:
            for block in [spec, *(spec.get("translations") or {}).values()]:
                for field in ("title", "module"):
                    names.update(_strings(block.get(field)))
    return sorted(names)
