"""Greeting: welcome the learner, new or returning, and show what they can do.

"Welcome back! ... Shall we find your next one?" is a real question: a ConfirmIntent on
RecommendNextLesson, so Lex reads the next "yes" (or "sí", "sure", a Yes button) as
confirming that intent and "no" as declining it (RecommendNextLesson's dialog code hook is
enabled so that the "no" comes back to the bot too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge_graph import MASTERY_THRESHOLD
from lex_bot.lesson_app.lesson_slots import help_reply, yes_no_choices
from lex_bot.lesson_app.messages import content_locale
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import ConfirmationState, Intent, IntentState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

if TYPE_CHECKING:  # pragma: no cover
    from lex_bot.lesson_app.messages import Messages

router = Router()


@router.intent("Greeting")
def greeting(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    mastery = turn.progress.mastery()
    mastered = sum(1 for i, m in mastery.items() if m >= MASTERY_THRESHOLD and i in graph)
    if len(graph) and mastered == len(graph):
        key = "greeting.all_done"
    elif turn.progress.completed:
        key = "greeting.returning"
    else:
        key = "greeting.new"

    def answer(t: Messages) -> str:
        courses = t.join([t.content(c.title, content_locale(c)) for c in graph.courses.values()])
        return t(key, course=courses, done=mastered, lessons=t.lessons(len(graph)))

    text, spoken = answer(t), answer(turn.speech)
    if key == "greeting.returning":
        recommend = Intent(
            name="RecommendNextLesson",
            state=IntentState.IN_PROGRESS,
            confirmationState=ConfirmationState.NONE,
        )
        return turn.confirm_intent(
            turn.reply(text, yes_no_choices(t), voice_text=spoken, keys=True), intent=recommend
        )
    return turn.close(help_reply(turn, text, voice_text=spoken))
