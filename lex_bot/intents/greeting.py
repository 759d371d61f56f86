"""Greeting: welcome the learner, new or returning, and show what they can do."""

from __future__ import annotations

from lex_bot.app import app
from lex_bot.lesson_slots import help_choices
from lex_bot.presentation import reply, texts
from lex_bot.responses import LexResponse
from lex_bot.router import Turn
from lex_bot.services import get_services, learner_id
from lex_bot.session import LessonSession


@app.intent("Greeting")
def greeting(turn: Turn[LessonSession]) -> LexResponse:
    services = get_services()
    graph = services.graph()
    progress = services.progress_store().get(learner_id(turn))
    t = texts(turn)
    courses = t.join([c.title for c in graph.courses.values()], "and")
    if progress.completed:
        text = t("greeting.returning", done=len(progress.completed), total=len(graph))
    else:
        text = t("greeting.new", course=courses, total=len(graph))
    return turn.close(reply(turn, text, help_choices(turn)))
