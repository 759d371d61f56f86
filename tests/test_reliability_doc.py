"""``docs/RELIABILITY.md`` says exactly what the reliability tests check."""

from __future__ import annotations

from reliability_table import AREAS, DOCUMENT, collect_rows, render


def test_the_reliability_document_matches_the_tests() -> None:
    expected = render(collect_rows())
    actual = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    assert actual == expected, (
        "docs/RELIABILITY.md is stale: run `make reliability-doc` and commit the result"
    )


def test_every_area_of_the_document_has_a_test() -> None:
    areas = {row.area for row in collect_rows()}
    assert areas == set(AREAS), f"areas without a test: {sorted(set(AREAS) - areas)}"
