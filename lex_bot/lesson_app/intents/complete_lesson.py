"""CompleteLesson (slots LessonName, optional Score): record a completion, say what is next.

Completing is idempotent: a retried event or a repeated "I finished X" changes nothing the
second time (the store keeps the first timestamp and the best mastery). With no lesson
named, the lesson the learner is currently on is meant. A score (0-100) becomes the mastery;
below the mastery threshold the lesson is recorded but does not count as passed.
"""

from __future__ import annotations

import math

from knowledge_graph import MASTERY_THRESHOLD
from lex_bot.lesson_app.lesson_slots import filled_slot, slot_text, start_choice
from lex_bot.lesson_app.presentation import bullet_list
from lex_bot.lesson_app.recommendation_text import recommendation_line
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Router

router = Router()

SLOT = "LessonName"
SCORE = "Score"


def parse_score(text: str | None) -> float | None:
    """A mastery in [0, 1] from a score slot ("85", "85%", "0.85"); ``None`` if unusable.

    Example:
        >>> parse_score("85")
        0.85
        >>> parse_score("0.85"), parse_score("150")
        (0.85, None)
    """
    if text is None:
        return None
    try:
        value = float(text.strip().rstrip("%").replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0 or value > 100:
        return None
    return value if value <= 1 and "." in text else value / 100


@router.intent("CompleteLesson", slots=(SLOT, SCORE), dialog_hook=True)
def complete_lesson(turn: LessonTurn) -> LexResponse:
    graph, t = turn.graph, turn.t
    if turn.is_dialog_hook and slot_text(turn, SLOT) is None:
        current = turn.progress.current_lesson
        if current and current in graph:
            lesson = graph.lesson(current)
            return turn.delegate(slots={**turn.intent.slots, SLOT: filled_slot(lesson)})
    score_text = slot_text(turn, SCORE)
    mastery = parse_score(score_text)
    if score_text is not None and mastery is None:
        return turn.elicit_slot(
            SCORE, turn.reply(t("complete.bad_score")), slots={**turn.intent.slots, SCORE: None}
        )

    lesson = turn.lesson_from_slot(SLOT, prompt_key="prompt.lesson_name")
    result = turn.store.complete_lesson(
        turn.learner_id, lesson.id, 1.0 if mastery is None else mastery
    )
    progress = result.progress
    if not result.newly_completed:
        head = t("complete.again", title=lesson.title)
    elif mastery is not None and mastery < MASTERY_THRESHOLD:
        head = t("complete.low_score", title=lesson.title, score=round(mastery * 100))
    else:
        head = t("complete.ok", title=lesson.title, done=len(progress.completed), total=len(graph))
    goal = progress.goal if progress.goal in graph else None
    recommendations = graph.recommend(progress.mastery(), k=3, goal=goal, recent=progress.recent())
    turn.session.last_recommendations = [r.lesson_id for r in recommendations]
    if not recommendations:
        return turn.close(turn.reply(f"{head} {t('recommend.all_done', total=len(graph))}"))
    lines = [recommendation_line(t, graph, r) for r in recommendations]
    first = graph.lesson(recommendations[0].lesson_id)
    text = f"{head}\n{t('complete.next')}\n{bullet_list(lines)}"
    voice = f"{head} {t('complete.next.voice', title=first.title)}"
    choices = [start_choice(t, graph.lesson(r.lesson_id)) for r in recommendations]
    return turn.close(turn.reply(text, choices, title=t("recommend.card"), voice_text=voice))
