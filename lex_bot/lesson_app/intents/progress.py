"""ShowProgress (per module and toward the goal) and ResetProgress (asks first)."""

from __future__ import annotations

from collections import Counter

from lex_bot.lesson_app.lesson_slots import help_choices, start_choice, yes_no_choices
from lex_bot.lesson_app.presentation import bullet_list
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()


@router.intent("ShowProgress")
def show_progress(turn: LessonTurn) -> LexResponse:
    graph, t, progress = turn.graph, turn.t, turn.progress
    completed = [lesson_id for lesson_id in progress.completed if lesson_id in graph]
    if not completed:
        return turn.close(turn.reply(t("progress.none", total=len(graph)), help_choices(turn)))
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
    return turn.close(turn.reply(text, choices, voice_text=voice))


@router.intent("ResetProgress", dialog_hook=True)
def reset_progress(turn: LessonTurn) -> LexResponse:
    t = turn.t
    answer = turn.confirmation_state
    if answer is ConfirmationState.CONFIRMED:
        turn.store.reset(turn.learner_id)
        turn.session.offered_lesson = None
        turn.session.last_recommendations = []
        return turn.close(turn.reply(t("reset.done")))
    if answer is ConfirmationState.DENIED:
        return turn.close(turn.reply(t("reset.kept")))
    return turn.confirm_intent(turn.reply(t("reset.confirm"), yes_no_choices(t)))
