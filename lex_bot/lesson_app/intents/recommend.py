"""RecommendNextLesson: the best next lessons for this learner, with the reasons why.

The greeting may ask "Shall we find your next one?" (a ConfirmIntent on this intent): a
"no" comes back through the dialog code hook and closes politely; anything else in the
dialog code hook is left to Lex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lex_bot.lesson_app.offers import offer_for
from lex_bot.lesson_app.recommendation_text import recommendation_line
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from lex_bot.lesson_app.messages import Messages

router = Router()

RECOMMENDATIONS = 3


@router.intent("RecommendNextLesson", dialog_hook=True)
def recommend_next_lesson(turn: LessonTurn) -> LexResponse:
    graph, t, progress = turn.graph, turn.t, turn.progress
    if turn.confirmation_state is ConfirmationState.DENIED:
        return turn.close(turn.reply(t("start.declined")))
    if turn.is_dialog_hook:
        return turn.delegate()
    goal = progress.goal if progress.goal in graph else None
    recommendations = graph.recommend(
        progress.mastery(),
        k=RECOMMENDATIONS,
        goal=goal,
        recent=progress.recent(),
        transitions=turn.transitions,
    )
    if not recommendations:
        # Nothing can be started and nothing is locked: every lesson is mastered.
        return turn.close(turn.reply(t("recommend.all_done", lessons=t.lessons(len(graph)))))
    choices = [offer_for(t, graph, turn.lesson_state(r.lesson_id)) for r in recommendations]

    def answer(t: Messages) -> str:
        best = recommendation_line(t, graph, recommendations[0], "recommend.best")
        # The alternatives with their first reason only: the answer stays short to hear.
        others = [recommendation_line(t, graph, r, reasons=1) for r in recommendations[1:]]
        return t.lines(best, t.listing(t("recommend.also"), others)) if others else best

    return turn.close(turn.reply(answer(t), choices, title=t("recommend.card"), voice_text=answer))
