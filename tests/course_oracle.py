"""The truth about a course, computed from its files by code independent of the product.

This module reads the course YAML files with PyYAML only and answers, by its own short and
slow code, what the bot must say: which lessons a learner has mastered, which can be started,
the minimal path to a lesson (by exhaustive enumeration of the "one of" choices), how many
lessons mastering one would open. It imports nothing from ``knowledge_graph`` or ``lex_bot``,
so a bug there cannot hide here.

Rules, as knowledge_graph/FORMAT.md states them: mastered at a mastery of 0.6 or more; a
lesson can be started when every ``requires`` lesson and one member of each ``requires_any``
group is mastered; the path is the set of lessons still to master (the lesson included) with
the fewest minutes, then the fewest lessons, then the earliest in file order. What learners
took next (:class:`OracleTransitions`) is counted from their histories, not read from the
product's snapshot.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

THRESHOLD = 0.6


@dataclass
class OracleLesson:
    id: str
    title: str
    minutes: int
    order: int
    module: str = ""
    requires: list[str] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)


def _ref(value: object, course: str) -> str:
    ref = value["id"] if isinstance(value, dict) else str(value)
    return ref if "/" in ref else f"{course}/{ref}"


def course_texts(folder: Path, locale: str | None = None) -> set[str]:
    """Every learner-facing text of the course files in ``folder``, read from the YAML here
    (not through the product's loader): course titles and descriptions, lesson titles,
    summaries and module names; in ``locale`` (a ``translations`` key), or, with None, the
    courses' own text."""
    texts: set[str] = set()
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        header = data["course"]
        for entry in (header, *data["lessons"]):
            fields = entry if locale is None else (entry.get("translations") or {}).get(locale)
            for name in ("title", "description", "summary", "module"):
                value = (fields or {}).get(name)
                if isinstance(value, str) and value.strip():
                    texts.add(" ".join(value.split()))
    return texts


def localized_lessons(folder: Path, locale: str) -> dict[str, dict[str, str]]:
    """Lesson id -> its ``title``, ``summary`` and ``module`` in ``locale``, read from the
    YAML here: the lesson's ``translations`` entry, a module named by any lesson of the same
    module, else the lesson's own text (FORMAT.md, "Translations")."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        course = data["course"]["id"]
        modules: dict[str, str] = {}
        for spec in data["lessons"]:
            name = ((spec.get("translations") or {}).get(locale) or {}).get("module")
            if name:
                modules.setdefault(spec.get("module", "General"), name)
        for spec in data["lessons"]:
            given = (spec.get("translations") or {}).get(locale) or {}
            module = spec.get("module", "General")
            out[f"{course}/{spec['id']}"] = {
                "title": given.get("title") or spec["title"],
                "summary": given.get("summary") or spec.get("summary", ""),
                "module": given.get("module") or modules.get(module) or module,
            }
    return out


def read_course_folder(folder: Path) -> dict[str, OracleLesson]:
    """Every lesson of every course file in ``folder`` (file name order, then listing order)."""
    lessons: dict[str, OracleLesson] = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        course = data["course"]["id"]
        for spec in data["lessons"]:
            lesson_id = f"{course}/{spec['id']}"
            lessons[lesson_id] = OracleLesson(
                id=lesson_id,
                title=spec["title"],
                minutes=int(spec.get("minutes", 10)),
                order=len(lessons),
                module=str(spec.get("module", "")),
                requires=[_ref(r, course) for r in spec.get("requires", [])],
                groups=[[_ref(m, course) for m in g] for g in spec.get("requires_any", [])],
            )
    return lessons


class Oracle:
    """Answers about one learner (``mastery``: lesson id -> mastery in [0, 1])."""

    def __init__(self, lessons: dict[str, OracleLesson], mastery: dict[str, float]):
        self.lessons = lessons
        self.mastery = mastery
        self.mastered = {i for i, m in mastery.items() if m >= THRESHOLD and i in lessons}
        self.by_title = {lesson.title.casefold(): lesson.id for lesson in lessons.values()}

    def startable_with(self, lesson_id: str, have: set[str]) -> bool:
        lesson = self.lessons[lesson_id]
        return all(r in have for r in lesson.requires) and all(
            any(m in have for m in g) for g in lesson.groups
        )

    def can_start(self, lesson_id: str) -> bool:
        """Not mastered, and every hard prerequisite mastered."""
        return lesson_id not in self.mastered and self.startable_with(lesson_id, self.mastered)

    def _groups_below(self, goal: str) -> list[tuple[str, int]]:
        """Every ``requires_any`` group of every lesson the goal could depend on."""
        seen, stack, groups = set(), [goal], []
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            lesson = self.lessons[v]
            stack.extend(lesson.requires)
            for n, group in enumerate(lesson.groups):
                groups.append((v, n))
                stack.extend(group)
        return groups

    def minimal_plan(self, goal: str) -> frozenset[str]:
        """The cheapest set of lessons to master to reach ``goal``, over every choice."""
        if goal in self.mastered:
            return frozenset()
        groups = self._groups_below(goal)
        options = [self.lessons[v].groups[n] for v, n in groups]
        best = None
        for picks in itertools.product(*options):
            choice = dict(zip(groups, picks, strict=True))
            plan, stack = set(), [goal]
            while stack:
                v = stack.pop()
                if v in plan or v in self.mastered:
                    continue
                plan.add(v)
                lesson = self.lessons[v]
                stack.extend(lesson.requires)
                for n, group in enumerate(lesson.groups):
                    if not any(m in self.mastered for m in group):
                        stack.append(choice[(v, n)])
            key = (
                sum(self.lessons[v].minutes for v in plan),
                len(plan),
                sorted(self.lessons[v].order for v in plan),
            )
            if best is None or key < best[0]:
                best = (key, frozenset(plan))
        assert best is not None
        return best[1]

    def minutes(self, ids: set[str] | frozenset[str]) -> int:
        return sum(self.lessons[i].minutes for i in ids)

    def opens(self, lesson_id: str) -> set[str]:
        """Lessons that become startable once ``lesson_id`` is mastered."""
        after = self.mastered | {lesson_id}
        return {
            d
            for d in self.lessons
            if d not in self.mastered
            and not self.startable_with(d, self.mastered)
            and self.startable_with(d, after)
        }


class OracleTransitions:
    """What learners took next, counted from their histories by this module's own code.

    A history is one learner's completed lessons, oldest first; a lesson counts at its
    first completion only (knowledge_graph/FORMAT.md, "Learned next steps"). A pair's
    learners are a *set*, so one learner counts once; counts below ``floor`` are not known.
    """

    def __init__(self, histories: list[list[str]], floor: int) -> None:
        self.floor = floor
        self.took: dict[tuple[str, str], set[int]] = {}
        self.finished_by: dict[str, set[int]] = {}
        for learner, history in enumerate(histories):
            firsts: list[str] = []
            for lesson in history:
                if lesson not in firsts:
                    firsts.append(lesson)
            for lesson in firsts:
                self.finished_by.setdefault(lesson, set()).add(learner)
            for before, after in itertools.pairwise(firsts):
                self.took.setdefault((before, after), set()).add(learner)

    def learners(self, before: str, after: str) -> int:
        """Distinct learners who took ``after`` next after ``before`` (0 below the floor)."""
        n = len(self.took.get((before, after), ()))
        return n if n >= self.floor else 0

    def finished(self, lesson: str) -> int:
        """Distinct learners who finished ``lesson`` (0 below the floor)."""
        n = len(self.finished_by.get(lesson, ()))
        return n if n >= self.floor else 0
