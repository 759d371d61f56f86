"""Test helper: the text of small lesson graph course files, valid or deliberately broken."""

from __future__ import annotations


def course_text(course: str, titles: list[str], *, broken: bool = False) -> str:
    """A course file chaining lessons ``l0 -> l1 -> ...`` titled ``titles``.

    With ``broken=True`` the last lesson requires a lesson that does not exist, so the file
    parses but fails validation.

    >>> print(course_text("py", ["Intro"]), end="")
    course:
      id: py
      title: Course py
    lessons:
      - id: l0
        title: Intro
    """
    lines = [f"course:\n  id: {course}\n  title: Course {course}\nlessons:"]
    for i, title in enumerate(titles):
        lines.append(f"  - id: l{i}\n    title: {title}")
        if i + 1 < len(titles):
            lines.append(f"    next: [l{i + 1}]")
    if broken:
        lines.append("    requires: [missing-lesson]")
    return "\n".join(lines) + "\n"
