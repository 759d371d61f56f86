"""Greeting: welcome the learner, new or returning, and show what they can do.

"Welcome back! ... Shall we find your next one?" is a real question: a ConfirmIntent on
RecommendNextLesson, so Lex reads the next "yes" (or "sí", "sure", a Yes button) as
confirming that intent and "no" as declining it (RecommendNextLesson's dialog code hook is
enabled so that the "no" comes back to the bot too).
"""

from __future__ import annotations

from knowledge_graph import MASTERY_THRESHOLD
from lex_bot.lesson_app.lesson_slots import help_reply, yes_no_choices
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, Intent, IntentState
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
        recommend = Intent(
            name="RecommendNextLesson",
            state=IntentState.IN_PROGRESS,
            confirmationState=ConfirmationState.NONE,
        )
        return turn.confirm_intent(turn.reply(text, yes_no_choices(t), keys=True), intent=recommend)
    else:
        text = t("greeting.new", course=courses, lessons=lessons)
    return turn.close(help_reply(turn, text))
