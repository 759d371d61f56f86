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


#: Words that need a plural noun after them ("faltan", "son", "las", "unos", "otras"): in
#: front of a count that may be 1 they make "te faltan 1 lección" (the wording must not
#: depend on the count unless it goes through a plural form).
_PLURAL_ONLY = {
    "es_US": r"\b(?:faltan|quedan|son|las|los|unos|unas|otras|otros|estas|estos)\s+1\b",
    "en_US": r"\b(?:these|those|are|other|all)\s+1\b",
}


@pytest.mark.parametrize("locale", sorted(_PLURAL_ONLY))
def test_counts_of_one_read_in_the_singular(locale: str) -> None:
    """Every template filled with counts of 1 (one lesson, one minute, one more) reads in
    the singular: no plural word stands in front of the number."""
    t = messages_for(locale)
    counts = {"lessons": t.lessons(1), "minutes": t.minutes(1), "rest": t.lessons(1)}
    wrong = {}
    for key, template in load_catalogue(locale).items():
        if key.rsplit(".", 1)[-1] in {"other", "few", "many", "two", "zero"}:
            continue  # a plural form chosen only for counts other than 1
        values = {
            name: counts.get(name, "1" if name in {"count", "done"} else "X")
            for name in placeholders(template)
        }
        text = template.format(**values)
        if re.search(_PLURAL_ONLY[locale], text, re.IGNORECASE):
            wrong[key] = text
    assert not wrong
