"""RecommendNextLesson: the best next lessons for this learner, with the reasons why."""

from __future__ import annotations

from lex_bot.app import app
from lex_bot.lesson_slots import start_choice
from lex_bot.presentation import bullet_list, reply, texts
from lex_bot.recommendation_text import because, recommendation_line
from lex_bot.responses import LexResponse
from lex_bot.router import Turn
from lex_bot.services import get_services, learner_id
from lex_bot.session import LessonSession

RECOMMENDATIONS = 3


@app.intent("RecommendNextLesson")
def recommend_next_lesson(turn: Turn[LessonSession]) -> LexResponse:
    services = get_services()
    graph = services.graph()
    progress = services.progress_store().get(learner_id(turn))
    t = texts(turn)
    goal = progress.goal if progress.goal in graph else None
    recommendations = graph.recommend(
        progress.mastery(), k=RECOMMENDATIONS, goal=goal, recent=progress.recent()
    )
    turn.session.last_recommendations = [r.lesson_id for r in recommendations]
    if not recommendations:
        return turn.close(reply(turn, t("recommend.all_done", total=len(graph))))
    best = recommendations[0]
    lesson = graph.lesson(best.lesson_id)
    why = because(t, graph, best)
    head = (
        t("recommend.best", title=lesson.title, minutes=lesson.minutes, why=why)
        if why
        else t("recommend.best.plain", title=lesson.title, minutes=lesson.minutes)
    )
    others = [recommendation_line(t, graph, r) for r in recommendations[1:]]
    text = head if not others else f"{head}\n{t('recommend.also')}\n{bullet_list(others)}"
    choices = [start_choice(t, graph.lesson(r.lesson_id)) for r in recommendations]
    return turn.close(reply(turn, text, choices, title=t("recommend.card"), voice_text=head))
