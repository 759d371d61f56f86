"""Greeting: welcome the learner, new or returning, and show what they can do."""

from __future__ import annotations

from knowledge_graph import MASTERY_THRESHOLD
from lex_bot.lesson_app.lesson_slots import help_choices
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()


@router.intent("Greeting")
def greeting(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    courses = t.join([c.title for c in graph.courses.values()])
    mastery = turn.progress.mastery()
    mastered = sum(1 for i, m in mastery.items() if m >= MASTERY_THRESHOLD and i in graph)
    lessons = t.lessons(len(graph))
    if len(graph) and mastered == len(graph):
        text = t("greeting.all_done", lessons=lessons)
    elif turn.progress.completed:
        text = t("greeting.returning", done=mastered, lessons=lessons)
    else:
        text = t("greeting.new", course=courses, lessons=lessons)
    return turn.close(turn.reply(text, help_choices(turn)))
