"""ShowProgress (per module, the learner's scores, toward the goal) and ResetProgress (asks first).

The progress answer names the :data:`MODULES_NAMED` modules where the learner has mastered
most ("Objects: 2 of 5") and counts the others ("3 more modules under way", "Nothing
mastered yet in 2 other modules"), names at most :data:`ATTEMPTED_NAMED` attempted lessons
and counts the rest: short enough to be heard in under 30 seconds, with the same content on
text and voice. Every module's lessons are one "show the modules" away.

"What's my score?" is ShowProgress too: the bot has no other record of scores than the
completions, so the progress answer names each completed lesson's score (the first
:data:`SCORES_NAMED`; "more" names the rest).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from knowledge_graph import MASTERY_THRESHOLD
from lex_bot.lesson_app.answers import is_dismissal
from lex_bot.lesson_app.intents.goals import way_to_goal
from lex_bot.lesson_app.lesson_slots import help_reply, yes_no_choices
from lex_bot.lesson_app.lists import cut
from lex_bot.lesson_app.offers import offer_for, percent
from lex_bot.lesson_app.speech import module_name
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from lex_bot.lesson_app.messages import Messages

router = Router()
#: Attempted lessons named in the progress answer (the rest are counted: "and 3 more").
ATTEMPTED_NAMED = 1
#: Modules named with their count in the progress answer (the modules with most mastered).
MODULES_NAMED = 1

#: Scores named in the progress answer (the rest: "more"). With the modules, the attempted
#: lessons and the goal, the fullest answer is still heard in under 30 seconds
#: (``speech_lint.MAX_SECONDS``; the oracle's spoken-answers test checks every state).
SCORES_NAMED = 1


@router.intent("ShowProgress")
def show_progress(turn: LessonTurn) -> LexResponse:
    graph, t, progress = turn.graph, turn.t, turn.progress
    mastery = {i: m for i, m in progress.mastery().items() if i in graph}
    mastered = [i for i, m in mastery.items() if m >= MASTERY_THRESHOLD]
    attempted = [i for i, m in mastery.items() if m < MASTERY_THRESHOLD]
    lessons = t.lessons(len(graph))
    goal = graph.lesson(progress.goal) if progress.goal and progress.goal in graph else None
    path = graph.path_to(goal.id, progress.mastery()) if goal is not None else None
    choices = (
        [offer_for(t, graph, turn.lesson_state(path.steps[0].id))]
        if path is not None and path.steps
        else []
    )

    def toward_goal(t: Messages) -> str:
        if goal is None or path is None:
            return ""
        if path.already_done:
            return t("progress.goal_done", title=t.title(goal))
        return way_to_goal(t, "progress.goal", goal, path)

    if not mastered and not attempted:
        if goal is None:
            return turn.close(help_reply(turn, t("progress.none", lessons=lessons)))

        def nothing_yet(t: Messages) -> str:  # ... but the goal and its first step are said
            return t.sentences(t("progress.none", lessons=t.lessons(len(graph))), toward_goal(t))

        return turn.close(turn.reply(nothing_yet(t), choices, voice_text=nothing_yet))
    # Work is bounded by what the learner completed, plus one line per module.
    done_per_module = Counter(
        (graph.lesson(i).course, graph.lesson(i).module_key) for i in mastered
    )
    share = round(100 * len(mastered) / max(len(graph), 1))

    def answer(t: Messages) -> str:
        head = t("progress.head", done=len(mastered), lessons=t.lessons(len(graph)), percent=share)
        if attempted:
            titles = t.join_some([t.title(graph.lesson(i)) for i in attempted], ATTEMPTED_NAMED)
            head = t.sentences(head, t.plural("progress.attempted", len(attempted), titles=titles))
        # The modules with the most mastered first; at most MODULES_NAMED, the rest counted.
        started = sorted(
            (m for m in graph.modules() if done_per_module.get((m.course, m.key))),
            key=lambda m: -done_per_module[(m.course, m.key)],
        )
        lines = [
            t(
                "progress.module",
                module=module_name(t, graph, m),
                done=done_per_module[(m.course, m.key)],
                total=len(m.lesson_ids),
            )
            for m in started[:MODULES_NAMED]
        ]
        if len(started) > MODULES_NAMED:
            lines.append(t.plural("progress.more_modules", len(started) - MODULES_NAMED))
        untouched = len(graph.modules()) - len(started)
        rest = t.plural("progress.untouched", untouched) if untouched and started else ""
        return t.lines(t.listing(head, lines), rest, scores_text(turn, t), toward_goal(t))

    return turn.close(turn.reply(answer(t), choices, voice_text=answer))


def scores_text(turn: LessonTurn, t: Messages) -> str:
    """The learner's scores, most recent first: the first :data:`SCORES_NAMED` named, the
    rest kept for "more" (``lists``, kind ``scores``). A lesson finished without a score
    was recorded as 100%, and the sentence says so when a score is 100%. Rendered by ``t``
    (text or speech)."""
    graph, mastery = turn.graph, turn.progress.mastery()
    ids = [i for i in reversed(turn.progress.recent()) if i in graph]
    scores = [score_line(turn, i, t) for i in ids]
    if len(ids) > SCORES_NAMED:
        cut(turn, ids, 0, SCORES_NAMED, "scores", "", ids=ids)
    full = any(mastery.get(i, 0.0) >= 1.0 for i in ids)  # may be a lesson without a score
    key = "progress.scores" if full else "progress.scores_plain"
    return t(key, scores=t.join_some(scores, SCORES_NAMED))


def score_line(turn: LessonTurn, lesson_id: str, t: Messages | None = None) -> str:
    """``Title 85%`` for a lesson the learner completed, rendered by ``t`` (default: text)."""
    t = t or turn.t
    mastery = turn.progress.mastery().get(lesson_id, 0.0)
    return t(
        "progress.score",
        title=t.title(turn.graph.lesson(lesson_id)),
        score=percent(mastery, t.locale),
    )


@router.intent("ResetProgress", dialog_hook=True)
def reset_progress(turn: LessonTurn) -> LexResponse:
    t = turn.t
    answer = turn.confirmation_state
    if answer is ConfirmationState.CONFIRMED:
        turn.store.reset(turn.learner_id)
        turn.session.offered_lesson = None
        return turn.close(turn.reply(t("reset.done")))
    if answer is ConfirmationState.DENIED:
        return turn.close(turn.reply(t("reset.kept")))
    if is_dismissal(turn.event.input_transcript, turn.locale):
        # "forget it" / "olvídalo" lets a question go; it never asks to erase progress
        return turn.close(turn.reply(t("start.declined")))
    return turn.confirm_intent(turn.reply(t("reset.confirm"), yes_no_choices(t), keys=True))
