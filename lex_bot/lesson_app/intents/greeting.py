"""Greeting: welcome the learner, new or returning, and show what they can do."""

from __future__ import annotations

from lex_bot.lesson_app.lesson_slots import help_choices
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()


@router.intent("Greeting")
def greeting(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    courses = t.join([c.title for c in graph.courses.values()], "and")
    if turn.progress.completed:
        text = t("greeting.returning", done=len(turn.progress.completed), total=len(graph))
    else:
        text = t("greeting.new", course=courses, total=len(graph))
    return turn.close(turn.reply(text, help_choices(turn)))
