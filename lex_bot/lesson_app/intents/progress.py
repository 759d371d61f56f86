"""ShowProgress (per module, the learner's scores, toward the goal) and ResetProgress (asks first).

"What's my score?" is ShowProgress too: the bot has no other record of scores than the
completions, so the progress answer names each completed lesson's score.
"""

from __future__ import annotations

from collections import Counter

from knowledge_graph import MASTERY_THRESHOLD
from lex_bot.lesson_app.lesson_slots import help_reply, yes_no_choices
from lex_bot.lesson_app.lists import cut
from lex_bot.lesson_app.offers import offer_for, percent
from lex_bot.lesson_app.presentation import bullet_list
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()

SCORES_NAMED = 5


@router.intent("ShowProgress")
def show_progress(turn: LessonTurn) -> LexResponse:
    graph, t, progress = turn.graph, turn.t, turn.progress
    mastery = {i: m for i, m in progress.mastery().items() if i in graph}
    mastered = [i for i, m in mastery.items() if m >= MASTERY_THRESHOLD]
    attempted = [i for i, m in mastery.items() if m < MASTERY_THRESHOLD]
    lessons = t.lessons(len(graph))
    if not mastered and not attempted:
        return turn.close(help_reply(turn, t("progress.none", lessons=lessons)))
    # Work is bounded by what the learner completed, plus one line per module.
    done_per_module = Counter(
        (graph.lesson(i).course, graph.lesson(i).module_key) for i in mastered
    )
    lines = [
        t(
            "progress.module",
            module=m.name,
            done=done_per_module.get((m.course, m.key), 0),
            total=len(m.lesson_ids),
        )
        for m in graph.modules()
    ]
    percent = round(100 * len(mastered) / max(len(graph), 1))
    head = t("progress.head", done=len(mastered), lessons=lessons, percent=percent)
    voice = head
    if attempted:
        titles = t.join([graph.lesson(i).title for i in attempted])
        head = f"{head} {t('progress.attempted', titles=titles)}"
        voice = head
    scores = scores_text(turn)
    text = f"{head}\n{bullet_list(lines)}\n{scores}"
    voice = f"{voice} {scores}"
    choices = []
    if progress.goal and progress.goal in graph:
        path = graph.path_to(progress.goal, progress.mastery())
        goal = graph.lesson(progress.goal)
        if path.already_done:
            goal_text = t("progress.goal_done", title=goal.title)
        else:
            goal_text = t(
                "progress.goal",
                title=goal.title,
                lessons=t.lessons(len(path.steps)),
                minutes=t.minutes(path.total_minutes),
                first=path.steps[0].title,
            )
            choices.append(offer_for(t, turn.graph, turn.lesson_state(path.steps[0].id)))
        text = f"{text}\n{goal_text}"
        voice = f"{voice} {goal_text}"
    return turn.close(turn.reply(text, choices, voice_text=voice))


def scores_text(turn: LessonTurn) -> str:
    """The learner's scores, most recent first: the first :data:`SCORES_NAMED` named, the
    rest kept for "more" (``lists``, kind ``scores``). A lesson finished without a score
    was recorded as 100%, and the sentence says so."""
    t, graph = turn.t, turn.graph
    ids = [i for i in reversed(turn.progress.recent()) if i in graph]
    scores = [score_line(turn, i) for i in ids]
    if len(ids) > SCORES_NAMED:
        cut(turn, ids, 0, SCORES_NAMED, "scores", "", ids=ids)
    return t("progress.scores", scores=t.join_some(scores, SCORES_NAMED))


def score_line(turn: LessonTurn, lesson_id: str) -> str:
    """``Title: 85%`` for a lesson the learner completed."""
    mastery = turn.progress.mastery().get(lesson_id, 0.0)
    return turn.t(
        "progress.score",
        title=turn.graph.lesson(lesson_id).title,
        score=percent(mastery, turn.t.locale),
    )


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
    return turn.confirm_intent(turn.reply(t("reset.confirm"), yes_no_choices(t), keys=True))
