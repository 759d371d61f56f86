"""Message catalogues: same keys and placeholders in every locale; every key used exists."""

from __future__ import annotations

import re

import pytest
from paths import ROOT

from lex_bot.lesson_app.messages import (
    available_locales,
    load_catalogue,
    messages_for,
    placeholders,
)

LOCALES = available_locales()


def test_there_are_at_least_two_locales() -> None:
    assert "en_US" in LOCALES and len(LOCALES) >= 2


@pytest.mark.parametrize("locale", LOCALES)
def test_same_keys_as_english(locale: str) -> None:
    assert set(load_catalogue(locale)) == set(load_catalogue("en_US"))


@pytest.mark.parametrize("locale", LOCALES)
def test_same_placeholders_as_english(locale: str) -> None:
    english = load_catalogue("en_US")
    other = load_catalogue(locale)
    mismatched = {k for k in english if placeholders(english[k]) != placeholders(other.get(k, ""))}
    assert not mismatched


def _keys_used_in_code() -> set[str]:
    used: set[str] = set()
    pattern = re.compile(r"""\b(?:t|s|sp|speech)\(\s*f?["']([a-z_.{}]+)["']""")
    for path in (ROOT / "lex_bot").rglob("*.py"):
        for key in pattern.findall(path.read_text()):
            used.add(key)
    return used


def test_every_key_used_in_code_exists_in_every_locale() -> None:
    used = _keys_used_in_code()
    assert len(used) > 30
    for locale in LOCALES:
        catalogue = load_catalogue(locale)
        for key in used:
            if "{" in key:  # f-string keys: at least one catalogue key must fit the pattern
                regex = re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[a-z_.]+", re.escape(key)) + "$")
                assert any(regex.match(k) for k in catalogue), (locale, key)
            else:
                assert key in catalogue, (locale, key)


def test_unknown_locale_falls_back_to_english() -> None:
    assert messages_for("fr_CA")("goodbye") == messages_for("en_US")("goodbye")


def test_lists_are_joined_in_the_locale() -> None:
    assert messages_for("es_US").join(["a", "b", "c"], "or") == "a, b o c"
    assert messages_for("en_US").join(["a", "b"], "and") == "a and b"
