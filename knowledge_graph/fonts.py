"""Fonts for drawing lesson titles in any script: a fallback chain and a check of coverage.

matplotlib's bundled DejaVu Sans has Latin, Greek and Cyrillic but no Chinese, Japanese,
Korean or emoji: such titles came out as empty boxes, with one warning per missing glyph.
:func:`font_setup` returns the font families to draw with (DejaVu Sans, then each installed
fallback of :data:`FALLBACK_FONTS`, which matplotlib uses glyph by glyph) and one note per
group of characters that no installed font has, naming the Debian package that has them:

* ``fonts-noto-cjk`` (Noto Sans CJK): Chinese, Japanese, Korean;
* ``fonts-symbola`` (Symbola): emoji and symbols, in black and white (matplotlib cannot draw
  the colour bitmaps of Noto Color Emoji).

Fonts installed after matplotlib built its font cache are found by their file names in the
system font folders and added (:data:`FALLBACK_FONTS`).

Example
-------
>>> families, notes = font_setup(["For Loops", "Fonctions"])
>>> families[0], notes
('DejaVu Sans', [])
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final

__all__ = ["FALLBACK_FONTS", "PRIMARY_FONT", "FallbackFont", "font_setup"]

#: The font matplotlib ships with; always available.
PRIMARY_FONT: Final[str] = "DejaVu Sans"


@dataclass(frozen=True)
class FallbackFont:
    """A font tried for characters the primary font lacks, and how to install it."""

    family: str
    file_prefix: str
    package: str
    covers: str


#: Fallbacks, in the order matplotlib tries them for a missing glyph.
FALLBACK_FONTS: Final[tuple[FallbackFont, ...]] = (
    FallbackFont("Noto Sans CJK JP", "NotoSansCJK-Regular", "fonts-noto-cjk", "CJK"),
    FallbackFont("Symbola", "Symbola", "fonts-symbola", "emoji and symbols"),
)


@cache
def _font_file(family: str, file_prefix: str) -> str | None:
    """The file of ``family``, added to matplotlib's font list if it was installed later."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if entry.name == family:
            return str(entry.fname)
    for path in sorted(font_manager.findSystemFonts()):
        if path.rsplit("/", 1)[-1].startswith(file_prefix):
            font_manager.fontManager.addfont(path)
            return str(path)
    return None


@cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def _kind(char: str) -> str:
    """``CJK`` or ``emoji and symbols`` (what a missing character needs)."""
    name = unicodedata.name(char, "")
    if any(word in name for word in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC")):
        return "CJK"
    return "emoji and symbols"


def font_setup(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """Return the font families to draw ``texts`` with, and notes on missing characters.

    Parameters
    ----------
    texts : iterable of str
        Everything that will be drawn (titles, module names).

    Returns
    -------
    (list of str, list of str)
        Font families for matplotlib's ``font.family`` (primary first, then the installed
        fallbacks); and one note per kind of character no installed font covers, e.g.
        ``"3 characters (e.g. '你', '好') need a CJK font: install fonts-noto-cjk ..."``.
    """
    from matplotlib import font_manager

    primary = _charmap(font_manager.findfont(PRIMARY_FONT))
    needed: set[str] = set()
    for text in texts:
        needed.update(c for c in text if ord(c) not in primary and not c.isspace())
    needed = {c for c in needed if unicodedata.category(c) not in ("Mn", "Cf", "Cc")}
    families = [PRIMARY_FONT]
    for fallback in FALLBACK_FONTS:
        if not needed:
            break
        path = _font_file(fallback.family, fallback.file_prefix)
        if path is None:
            continue
        found = {c for c in needed if ord(c) in _charmap(path)}
        if found:  # only fonts that are needed: each one costs time when drawing
            families.append(fallback.family)
            needed -= found
    missing: dict[str, list[str]] = {}
    for char in sorted(needed):
        missing.setdefault(_kind(char), []).append(char)
    notes = []
    for fallback in FALLBACK_FONTS:
        chars = missing.get(fallback.covers, [])
        if chars:
            examples = ", ".join(repr(c) for c in chars[:3])
            notes.append(
                f"{len(chars)} character{'s' * (len(chars) != 1)} of the titles (e.g. "
                f"{examples}) need a {fallback.covers} font and are drawn as empty boxes: "
                f"install {fallback.package} (Debian: apt-get install {fallback.package})"
            )
    return families, notes
