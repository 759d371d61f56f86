"""Message catalogues: every learner-facing sentence, per locale.

Catalogues are YAML files beside this module named after Lex locale ids (``en_US.yaml``,
``es_US.yaml``). Values are ``str.format`` templates; every catalogue has the same keys and
placeholders (a test checks it). A locale without a catalogue falls back to ``en_US``, and
so does a key missing from a catalogue.

Example:
    >>> messages_for("es_US")("goodbye")
    '¡Hasta pronto! Sigue practicando.'
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

import yaml

DEFAULT_LOCALE = "en_US"
CATALOGUE_DIR = Path(__file__).parent


class MissingMessageError(KeyError):
    """A message key exists in no catalogue."""


@cache
def load_catalogue(locale: str) -> dict[str, str]:
    """The raw ``key -> template`` map of ``locale`` (empty when there is none)."""
    if not locale.replace("_", "").isalnum():
        return {}
    path = CATALOGUE_DIR / f"{locale}.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in _flatten(data).items()}


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def available_locales() -> list[str]:
    """Every locale with a catalogue file."""
    return sorted(p.stem for p in CATALOGUE_DIR.glob("*.yaml"))


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields a template uses."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Messages:
    """Look up and fill templates for one locale: ``messages("key", name=value)``."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if load_catalogue(locale) else DEFAULT_LOCALE
        self._own = load_catalogue(self.locale)
        self._default = load_catalogue(DEFAULT_LOCALE)

    def __call__(self, key: str, **values: object) -> str:
        template = self._own.get(key) or self._default.get(key)
        if template is None:
            raise MissingMessageError(key)
        return template.format(**values)

    def has(self, key: str) -> bool:
        return key in self._own or key in self._default

    def join(self, items: list[str], conjunction: str = "and") -> str:
        """``a, b and c`` in this locale (``conjunction`` is ``and`` or ``or``)."""
        if not items:
            return ""
        if len(items) == 1:
            return items[0]
        word = self(f"list.{conjunction}")
        return f"{', '.join(items[:-1])} {word} {items[-1]}"


@cache
def messages_for(locale: str) -> Messages:
    """The (cached) :class:`Messages` of a Lex locale id such as ``en_US``."""
    return Messages(locale)
