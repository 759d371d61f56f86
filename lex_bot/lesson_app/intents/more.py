"""ShowMore: "more", "the rest", "next page" continue the last long list where it stopped.

A list cut short (a learning path, a module's lessons) ends with "say more" and leaves
``session.more`` (``[kind, key, offset]``); every other intent forgets it
(:func:`forget_finished_lists`), so "more" never continues a list the learner has left.
"""

from __future__ import annotations

from lex_bot.lesson_app.intents.browse_modules import module_page
from lex_bot.lesson_app.intents.goals import path_page
from lex_bot.lesson_app.lesson_slots import help_choices
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Handler, Router, Turn

router = Router()

INTENT = "ShowMore"


@router.intent(INTENT)
def show_more(turn: LessonTurn) -> LexResponse:
    more, t = turn.session.more, turn.t
    turn.session.more = []
    if len(more) == 3 and more[2].isdigit():
        kind, key, offset = more[0], more[1], int(more[2])
        if kind == "path" and key in turn.graph:
            return path_page(turn, turn.graph.lesson(key), offset)
        if kind == "module":
            return module_page(turn, key, offset)
    return turn.close(turn.reply(t("more.none"), help_choices(turn)))


def forget_finished_lists(turn: Turn[object], call_next: Handler) -> LexResponse:
    """Middleware: a turn of any other intent ends the list "more" would continue, and the
    recommendations "the second one" may pick (FallbackIntent reads them) are only those
    of the turn just before."""
    if turn.intent_name != INTENT:
        turn.session.more = []  # type: ignore[attr-defined]
    if turn.intent_name != "FallbackIntent":
        turn.session.last_recommendations = []  # type: ignore[attr-defined]
    return call_next(turn)
