"""ShowMore: "more", "the rest", "next page" continue the last list the bot cut, where it stopped.

Every list cut short (a learning path, a module's lessons, the list of modules, the
candidates for a lesson name, the lessons a sentence named only partly) ends with "…and N
more" and leaves ``session.more`` (``lex_bot.lesson_app.lists``); this intent continues it.
A list of choices continues as the same question (the pending slot asked again, with the
next page of choices), so "the second one" or a key press answers it as before. Every other
intent forgets the cut list (:func:`forget_finished_lists`), so "more" never continues a
list the learner has left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lex_bot.lesson_app.intents.browse_modules import module_page, modules_page
from lex_bot.lesson_app.intents.goals import path_page
from lex_bot.lesson_app.intents.progress import score_line
from lex_bot.lesson_app.lesson_slots import help_reply, offer_lessons
from lex_bot.lesson_app.lists import PAGE_CHOICES, continued, cut, with_more
from lex_bot.lesson_app.offers import marked_title, startable_choice
from lex_bot.lesson_app.turn import LessonTurn
from lex_bot.lexv2.events import Intent, IntentState
from lex_bot.lexv2.responses import LexResponse
from lex_bot.lexv2.router import Handler, Router, Turn

if TYPE_CHECKING:  # pragma: no cover
    from lex_bot.lesson_app.messages import Messages

router = Router()

INTENT = "ShowMore"


@router.intent(INTENT)
def show_more(turn: LessonTurn) -> LexResponse:
    found, graph = continued(turn), turn.graph
    turn.session.more = []
    if found is not None:
        kind, key, offset, ids = found
        if kind == "path" and key in graph:
            return path_page(turn, graph.lesson(key), offset)
        if kind == "module":
            return module_page(turn, key, offset)
        if kind == "modules":
            names = set(key.split("|")) if key else set()
            among = [m for m in graph.modules() if m.key in names]
            return _as_pending(
                turn, "BrowseModules", lambda: modules_page(turn, offset, among=among)
            )
        if kind == "choices":
            asked, _, rest = key.partition(" ")
            message_key, _, heard = rest.partition(" ")
            intent_name, _, slot_name = asked.partition(".")
            if intent_name and slot_name and message_key.startswith("lesson."):
                return offer_lessons(
                    turn,
                    slot_name,
                    message_key,
                    heard,
                    ids,
                    offset,
                    graph,
                    intent=_pending(intent_name),
                )
        if kind in ("lessons", "scores"):
            return _lessons_page(turn, kind, [i for i in ids if i in graph], offset)
    return turn.close(help_reply(turn, turn.t("more.none")))


def _pending(name: str) -> Intent:
    return Intent(name=name, state=IntentState.IN_PROGRESS)


def _as_pending(turn: LessonTurn, name: str, answer: object) -> LexResponse:
    """Answer as intent ``name`` (the question the cut list asked is asked again)."""
    state = turn.event.session_state.model_copy(update={"intent": _pending(name)})
    turn.event = turn.event.model_copy(update={"session_state": state})
    return answer()  # type: ignore[operator]


def _lessons_page(turn: LessonTurn, kind: str, ids: list[str], offset: int) -> LexResponse:
    """The rest of a list of lessons a sentence named partly: each with what is true of it
    now (mastered, attempted; or its score, for ``scores``), and Start buttons for those
    that can be started."""
    t, graph = turn.t, turn.graph
    page = cut(turn, ids, offset, PAGE_CHOICES, kind, "", ids=ids)
    states = [turn.lesson_state(i, with_path=False) for i in page.items]
    choices = [c for state in states if (c := startable_choice(t, graph, state))]

    def answer(t: Messages) -> str:
        if kind == "scores":
            lines = [score_line(turn, i, t) for i in page.items]
        else:
            lines = [marked_title(t, graph, state) for state in states]
        return with_more(t, t.listing(t("more.head"), lines), page)

    return turn.close(turn.reply(answer(t), choices, voice_text=answer(turn.speech)))


def forget_finished_lists(turn: Turn[object], call_next: Handler) -> LexResponse:
    """Middleware: a turn of any other intent ends the list "more" would continue, and the
    buttons "the second one" may pick (FallbackIntent reads them, ``picks``) are only those
    of the turn just before."""
    if turn.intent_name != INTENT:
        turn.session.more = []  # type: ignore[attr-defined]
    if turn.intent_name != "FallbackIntent":
        turn.session.last_recommendations = []  # type: ignore[attr-defined]
        turn.session.offered = []  # type: ignore[attr-defined]
    return call_next(turn)
