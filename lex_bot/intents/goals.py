"""SetLearningGoal (slot GoalLesson) and ShowLearningPath (optional GoalLesson)."""

from __future__ import annotations

from lex_bot.app import app
from lex_bot.lesson_slots import lesson_from_slot, slot_text, start_choice
from lex_bot.presentation import reply, texts
from lex_bot.responses import LexResponse
from lex_bot.router import Turn
from lex_bot.services import get_services, learner_id
from lex_bot.session import LessonSession

SLOT = "GoalLesson"
PATH_LINES = 8
VOICE_STEPS = 3


@app.intent("SetLearningGoal")
def set_learning_goal(turn: Turn[LessonSession]) -> LexResponse:
    services = get_services()
    graph = services.graph()
    t = texts(turn)
    found = lesson_from_slot(turn, graph, SLOT, prompt_key="prompt.goal_lesson")
    if isinstance(found, LexResponse):
        return found
    goal = found
    store = services.progress_store()
    learner = learner_id(turn)
    progress = store.set_goal(learner, goal.id)
    path = graph.path_to(goal.id, progress.mastery())
    if path.already_done:
        return turn.close(reply(turn, t("goal.already_done", title=goal.title)))
    first = path.steps[0]
    text = t(
        "goal.set",
        title=goal.title,
        steps=len(path.steps),
        minutes=path.total_minutes,
        first=first.title,
    )
    return turn.close(reply(turn, text, [start_choice(t, first)]))


@app.intent("ShowLearningPath")
def show_learning_path(turn: Turn[LessonSession]) -> LexResponse:
    services = get_services()
    graph = services.graph()
    t = texts(turn)
    progress = services.progress_store().get(learner_id(turn))
    if slot_text(turn, SLOT) is None:
        if not progress.goal or progress.goal not in graph:
            return turn.elicit_slot(SLOT, reply(turn, t("path.ask_goal")))
        goal = graph.lesson(progress.goal)
        if turn.is_dialog_hook:
            return turn.delegate()
    else:
        found = lesson_from_slot(turn, graph, SLOT, prompt_key="prompt.goal_lesson")
        if isinstance(found, LexResponse):
            return found
        goal = found
    path = graph.path_to(goal.id, progress.mastery())
    if path.already_done:
        return turn.close(reply(turn, t("goal.already_done", title=goal.title)))
    steps = [f"{n}. {s.title} ({s.minutes} min)" for n, s in enumerate(path.steps[:PATH_LINES], 1)]
    if len(path.steps) > PATH_LINES:
        steps.append(t("path.more", count=len(path.steps) - PATH_LINES))
    head = t("path.head", title=goal.title, steps=len(path.steps), minutes=path.total_minutes)
    spoken = t.join([s.title for s in path.steps[:VOICE_STEPS]], "and")
    voice = f"{head} {t('path.voice_first', lessons=spoken)}"
    return turn.close(
        reply(
            turn, head + "\n" + "\n".join(steps), [start_choice(t, path.steps[0])], voice_text=voice
        )
    )
