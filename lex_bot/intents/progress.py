"""ShowProgress (per module and toward the goal) and ResetProgress (asks first)."""

from __future__ import annotations

from collections import Counter

from lex_bot.app import app
from lex_bot.events import ConfirmationState
from lex_bot.lesson_slots import help_choices, start_choice
from lex_bot.presentation import bullet_list, reply, texts
from lex_bot.responses import LexResponse
from lex_bot.router import Turn
from lex_bot.services import get_services, learner_id
from lex_bot.session import LessonSession


@app.intent("ShowProgress")
def show_progress(turn: Turn[LessonSession]) -> LexResponse:
    services = get_services()
    graph = services.graph()
    t = texts(turn)
    progress = services.progress_store().get(learner_id(turn))
    completed = [lesson_id for lesson_id in progress.completed if lesson_id in graph]
    if not completed:
        return turn.close(reply(turn, t("progress.none", total=len(graph)), help_choices(turn)))
    # Work is bounded by what the learner completed, plus one line per module.
    done_per_module = Counter((graph.lesson(i).course, graph.lesson(i).module) for i in completed)
    lines = [
        t(
            "progress.module",
            module=m.name,
            done=done_per_module.get((m.course, m.name), 0),
            total=len(m.lesson_ids),
        )
        for m in graph.modules()
    ]
    percent = round(100 * len(completed) / max(len(graph), 1))
    head = t("progress.head", done=len(completed), total=len(graph), percent=percent)
    text = f"{head}\n{bullet_list(lines)}"
    voice = head
    choices = []
    if progress.goal and progress.goal in graph:
        path = graph.path_to(progress.goal, progress.mastery())
        goal = graph.lesson(progress.goal)
        if path.already_done:
            goal_text = t("progress.goal_done", title=goal.title)
        else:
            goal_text = t(
                "progress.goal", title=goal.title, steps=len(path.steps), minutes=path.total_minutes
            )
            choices.append(start_choice(t, path.steps[0]))
        text = f"{text}\n{goal_text}"
        voice = f"{voice} {goal_text}"
    return turn.close(reply(turn, text, choices, voice_text=voice))


@app.intent("ResetProgress")
def reset_progress(turn: Turn[LessonSession]) -> LexResponse:
    t = texts(turn)
    answer = turn.confirmation_state
    if answer is ConfirmationState.CONFIRMED:
        get_services().progress_store().reset(learner_id(turn))
        turn.session.offered_lesson = None
        turn.session.last_recommendations = []
        return turn.close(reply(turn, t("reset.done")))
    if answer is ConfirmationState.DENIED:
        return turn.close(reply(turn, t("reset.kept")))
    return turn.confirm_intent(
        reply(
            turn,
            t("reset.confirm"),
            [(t("button.yes"), t("button.yes.value")), (t("button.no"), t("button.no.value"))],
        )
    )
