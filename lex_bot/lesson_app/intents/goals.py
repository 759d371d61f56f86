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
    from knowledge_graph import Lesson

router = Router()

SLOT = "GoalLesson"
PATH_LINES = 8
VOICE_STEPS = 3


@router.intent("SetLearningGoal", slots=(SLOT,), dialog_hook=True)
def set_learning_goal(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    goal = turn.lesson_from_slot(SLOT, prompt_key="prompt.goal_lesson")
    progress = turn.store.set_goal(turn.learner_id, goal.id)
    path = graph.path_to(goal.id, progress.mastery())
    if path.already_done:
        return turn.close(turn.reply(t("goal.already_done", title=goal.title)))
    first = path.steps[0]
    text = t(
        "goal.set",
        title=goal.title,
        lessons=t.lessons(len(path.steps)),
        minutes=t.minutes(path.total_minutes),
        first=first.title,
    )
    return turn.close(turn.reply(text, [offer_for(t, turn.graph, turn.lesson_state(first.id))]))


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
        return turn.close(turn.reply(t("goal.already_done", title=goal.title)))
    cut_page = cut(turn, path.steps, offset, PATH_LINES, "path", goal.id)
    page = cut_page.items
    steps = [
        t("path.step", number=n, title=s.title, minutes=s.minutes)
        for n, s in enumerate(page, cut_page.offset + 1)
    ]
    head = t(
        "path.head",
        title=goal.title,
        lessons=t.lessons(len(path.steps)),
        minutes=t.minutes(path.total_minutes),
    )
    # A later page still offers the first step: the text names it too.
    first = f"\n{t('path.voice_first', lessons=path.steps[0].title)}" if cut_page.offset else ""
    spoken = t.join([s.title for s in page[:VOICE_STEPS]])
    voice = f"{head} {t('path.voice_first', lessons=spoken)}"
    return turn.close(
        turn.reply(
            with_more(t, head + "\n" + "\n".join(steps) + first, cut_page),
            [offer_for(t, turn.graph, turn.lesson_state(path.steps[0].id))],
            voice_text=voice,
        )
    )
