"""SetLearningGoal (slot GoalLesson) and ShowLearningPath (optional GoalLesson)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lex_bot.lesson_app.lesson_slots import slot_text
from lex_bot.lesson_app.lists import cut, with_more
from lex_bot.lesson_app.offers import offer_for
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from knowledge_graph import LearningPath, Lesson
    from lex_bot.lesson_app.messages import Messages

router = Router()

SLOT = "GoalLesson"
PATH_LINES = 8


def way_to_goal(t: Messages, key: str, goal: Lesson, path: LearningPath) -> str:
    """The message ``key`` for the way to ``goal`` (the lessons left, their minutes, the
    first step), or ``{key}_ready`` when the goal itself can be started now: then it is
    named once. ``path`` is the goal's path, not already done."""
    if path.steps[0].id == goal.id:
        return t(f"{key}_ready", title=t.title(goal), minutes=t.minutes(goal.minutes))
    return t(
        key,
        title=t.title(goal),
        lessons=t.lessons(len(path.steps)),
        minutes=t.minutes(path.total_minutes),
        first=t.title(path.steps[0]),
    )


@router.intent("SetLearningGoal", slots=(SLOT,), dialog_hook=True)
def set_learning_goal(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    goal = turn.lesson_from_slot(SLOT, prompt_key="prompt.goal_lesson")
    progress = turn.store.set_goal(turn.learner_id, goal.id)
    path = graph.path_to(goal.id, progress.mastery())
    if path.already_done:
        return _already_done(turn, goal)
    first = path.steps[0]

    def answer(t: Messages) -> str:
        return way_to_goal(t, "goal.set", goal, path)

    return turn.close(
        turn.reply(
            answer(t),
            [offer_for(t, graph, turn.lesson_state(first.id))],
            voice_text=answer,
        )
    )


def _already_done(turn: LessonTurn, goal: Lesson) -> LexResponse:
    said = turn.speech("goal.already_done", title=turn.speech.title(goal))
    return turn.close(turn.reply(turn.t("goal.already_done", title=goal.title), voice_text=said))


@router.intent("ShowLearningPath", slots=(SLOT,), dialog_hook=True)
def show_learning_path(turn: LessonTurn) -> LexResponse:
    graph, t, progress = turn.graph, turn.t, turn.progress
    if slot_text(turn, SLOT) is None:
        if not progress.goal or progress.goal not in graph:
            return turn.elicit_slot(SLOT, turn.reply(t("path.ask_goal")))
        goal = graph.lesson(progress.goal)
        if turn.is_dialog_hook:
            return turn.delegate()
    else:
        goal = turn.lesson_from_slot(SLOT, prompt_key="prompt.goal_lesson")
    return path_page(turn, goal, 0)


def path_page(turn: LessonTurn, goal: Lesson, offset: int) -> LexResponse:
    """The learning path to ``goal`` from step ``offset`` on, :data:`PATH_LINES` at a time;
    a cut list ends with "say more" and leaves ``session.more`` to continue it."""
    graph, t = turn.graph, turn.t
    path = graph.path_to(goal.id, turn.progress.mastery())
    if path.already_done:
        return _already_done(turn, goal)
    cut_page = cut(turn, path.steps, offset, PATH_LINES, "path", goal.id)
    page = cut_page.items

    def answer(t: Messages) -> str:
        head = t(
            "path.head",
            title=t.title(goal),
            lessons=t.lessons(len(path.steps)),
            minutes=t.minutes(path.total_minutes),
        )
        steps = [
            t(
                "path.step",
                number=n,
                title=t.title(s),
                minutes=s.minutes,
                duration=t.minutes(s.minutes),
            )
            for n, s in enumerate(page, cut_page.offset + 1)
        ]
        # A later page still offers the first step: the answer names it too.
        first = t("path.first", title=t.title(path.steps[0])) if cut_page.offset else ""
        return with_more(t, t.lines(head, *steps, first), cut_page)

    return turn.close(
        turn.reply(
            answer(t),
            [offer_for(t, graph, turn.lesson_state(path.steps[0].id))],
            voice_text=answer,
        )
    )
